"""oss://bucket/key: Alibaba Cloud OSS over its own API. Declared apart from oss.py, which imports the HTTP
layer."""
from __future__ import annotations

from .store_type import GiB, HTTP_FIELDS, KiB, Limits, MiB, StoreType, URLShape, secret_from

# CopyObject up to 1 GB (the docs disagree; 1 GB is the safe rule), parts of 100 KB to 5 GB, 10,000 parts; object
# names of 1 to 1,023 bytes in UTF-8 (Object naming conventions).
LIMITS = Limits(max_single_copy=1 * GiB, multipart_cutoff=64 * MiB, min_part=100 * KiB, max_part=5 * GiB,
                max_parts=10_000, max_key=1023)

STORE = StoreType(
    scheme="oss",
    url=URLShape("bucket", "oss://bucket/key"),
    implementation=f"{__package__}.oss",
    profile_fields={**HTTP_FIELDS, "region": "text", "addressing": "text", "signature_version": "text",
                    "api": "text", "access_key_id": "text", **secret_from("access_key_id"),
                    **secret_from("access_key_secret"), **secret_from("session_token"), "single_copy_limit": "size"},
    plaintext_secrets={"access_key_secret": "access_key_secret_env", "session_token": "session_token_env"},
    secret_headers=frozenset({"x-oss-security-token"}),
    limits=LIMITS,
)
