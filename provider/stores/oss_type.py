"""oss://bucket/key: Alibaba Cloud OSS over its own API. Declared apart from oss.py, which imports the HTTP
layer."""
from __future__ import annotations

from .store_type import HTTP_FIELDS, StoreType, URLShape, secret_from

STORE = StoreType(
    scheme="oss",
    url=URLShape("bucket", "oss://bucket/key"),
    implementation=f"{__package__}.oss",
    profile_fields={**HTTP_FIELDS, "region": "text", "addressing": "text", "signature_version": "text",
                    "api": "text", "access_key_id": "text", **secret_from("access_key_id"),
                    **secret_from("access_key_secret"), **secret_from("session_token"), "single_copy_limit": "size"},
    plaintext_secrets={"access_key_secret": "access_key_secret_env", "session_token": "session_token_env"},
    secret_headers=frozenset({"x-oss-security-token"}),
)
