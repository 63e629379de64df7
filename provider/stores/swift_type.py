"""swift://container/object: OpenStack Swift over its native API (tempauth or Keystone v3). Declared apart from
swift.py, which imports the HTTP layer."""
from __future__ import annotations

from .store_type import HTTP_FIELDS, Limits, StoreType, URLShape, secret_from

# max_key: Swift's max_object_name_length, 1,024 bytes unless the cluster's swift.conf says otherwise.
LIMITS = Limits(max_single_copy=5 * 1024**3 + 2, min_part=1, max_part=5 * 1024**3, max_parts=1000, max_key=1024)

STORE = StoreType(
    scheme="swift",
    url=URLShape("container", "swift://container/object"),
    implementation=f"{__package__}.swift",
    profile_fields={
        **HTTP_FIELDS, "auth_url": "url", "auth_version": "text", "storage_url": "url",
        # tempauth
        "user": "text", **secret_from("user"), **secret_from("key"),
        # Keystone v3
        "username": "text", **secret_from("username"), **secret_from("password"), "project_name": "text",
        "project_id": "text", "user_domain_name": "text", "project_domain_name": "text", "user_domain_id": "text",
        "project_domain_id": "text", "region_name": "text", "interface": "text",
    },
    plaintext_secrets={"key": "key_env", "password": "password_env", "token": "key_env or password_env"},
    secret_headers=frozenset({"x-auth-token", "x-auth-key", "x-auth-password", "x-storage-token",
                              "x-subject-token"}),
    limits=LIMITS,
)
