"""oci://namespace/bucket/object: OCI Object Storage. Declared apart from oci.py, which imports the HTTP layer and
cryptography."""
from __future__ import annotations

from .store_type import HTTP_FIELDS, StoreType, URLShape, secret_from

STORE = StoreType(
    scheme="oci",
    # The object name travels as one path segment, '/' encoded: only a name that is '.' or '..' would be lost.
    url=URLShape("namespace", "oci://namespace/bucket/object", namespaced=True, key_is_one_segment=True),
    implementation=f"{__package__}.oci",
    profile_fields={**HTTP_FIELDS, "region": "text", "user": "text", "tenancy": "text", "fingerprint": "text",
                    "key_file": "text", **secret_from("private_key"), **secret_from("passphrase"),
                    "oci_profile": "text", "copy_timeout": "seconds", "min_part_size": "size"},
    plaintext_secrets={"private_key": "key_file or private_key_env", "passphrase": "passphrase_env",
                       "pass_phrase": "passphrase_env"},
    secret_headers=frozenset({"opc-sse-customer-key"}),
)
