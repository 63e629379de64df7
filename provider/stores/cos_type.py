"""cos://bucket-appid/key: Tencent COS over its own API. Declared apart from cos.py, which imports the HTTP layer."""
from __future__ import annotations

from .store_type import GiB, HTTP_FIELDS, Limits, MiB, StoreType, URLShape, secret_from

# PUT Object - Copy up to 5 GB, parts of 1 MB to 5 GB, 10,000 parts (docs 436/10881, 436/8287, 436/7750); object
# keys up to 850 bytes in UTF-8 (Object Overview, 436/13324).
LIMITS = Limits(max_single_copy=5 * GiB, multipart_cutoff=64 * MiB, min_part=1 * MiB, max_part=5 * GiB,
                max_parts=10_000, max_key=850)

STORE = StoreType(
    scheme="cos",
    url=URLShape("bucket", "cos://bucket-appid/key"),
    implementation=f"{__package__}.cos",
    profile_fields={**HTTP_FIELDS, "region": "text", "service_domain": "text", **secret_from("secret_id"),
                    **secret_from("secret_key"), **secret_from("session_token"), "single_copy_limit": "size"},
    plaintext_secrets={"secret_key": "secret_key_env", "session_token": "session_token_env"},
    secret_headers=frozenset({"x-cos-security-token"}),
    limits=LIMITS,
)
