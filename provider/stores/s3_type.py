"""s3://bucket/key: Amazon S3 and S3-compatible servers (MinIO, Swift's s3api, COS and OSS through their S3
endpoints). Declared apart from s3.py, which imports the HTTP layer."""
from __future__ import annotations

from .store_type import HTTP_FIELDS, Limits, StoreType, URLShape, secret_from

STORE = StoreType(
    scheme="s3",
    url=URLShape("bucket", "s3://bucket/key"),
    implementation=f"{__package__}.s3",
    profile_fields={**HTTP_FIELDS, "region": "text", "addressing": "text", "provider": "text", "aws_profile": "text",
                    "access_key_id": "text", **secret_from("access_key_id"), **secret_from("secret_access_key"),
                    **secret_from("session_token"), "single_copy_limit": "size"},
    plaintext_secrets={"secret_access_key": "secret_access_key_env", "aws_secret_access_key": "secret_access_key_env",
                       "session_token": "session_token_env"},
    secret_headers=frozenset({"x-amz-security-token", "x-amz-server-side-encryption-customer-key",
                              "x-amz-copy-source-server-side-encryption-customer-key"}),
    # S3's own (CopyObject up to 5 GiB, 1,024-byte keys); a profile for COS or OSS through their S3 endpoints
    # narrows them (s3.PRESET_LIMITS)
    limits=Limits(),
)
