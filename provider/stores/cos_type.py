"""cos://bucket-appid/key: Tencent COS over its own API. Declared apart from cos.py, which imports the HTTP layer."""
from __future__ import annotations

from .store_type import HTTP_FIELDS, StoreType, URLShape, secret_from

STORE = StoreType(
    scheme="cos",
    url=URLShape("bucket", "cos://bucket-appid/key"),
    implementation=f"{__package__}.cos",
    profile_fields={**HTTP_FIELDS, "region": "text", "service_domain": "text", **secret_from("secret_id"),
                    **secret_from("secret_key"), **secret_from("session_token"), "single_copy_limit": "size"},
    plaintext_secrets={"secret_key": "secret_key_env", "session_token": "session_token_env"},
    secret_headers=frozenset({"x-cos-security-token"}),
)
