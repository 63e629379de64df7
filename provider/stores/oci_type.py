"""oci://namespace/bucket/object: OCI Object Storage. Declared apart from oci.py, which imports the HTTP layer and
cryptography."""
from __future__ import annotations

from .store_type import GiB, HTTP_FIELDS, Limits, MiB, StoreType, URLShape, secret_from

# CopyObject copies any size in the service; uploads: parts up to 50 GiB, 10,000 of them (min 10 MiB assumed).
# Object names: up to 1,024 bytes in UTF-8 (Object Names).
LIMITS = Limits(max_single_copy=10 * 1024 * GiB, min_part=10 * MiB, max_part=50 * GiB, max_parts=10_000,
                max_key=1024)

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
    limits=LIMITS,
)
