"""Where the Oracle services' objects are, as `oci://` URLs the OCI store can HEAD and delete.

EPM names a bucket by its REST URL (https://objectstorage.<region>.oraclecloud.com/n/<ns>/b/<bucket>[/o/<object>],
or the Swift form for Copy From); Oracle Analytics by bucket, optional namespace and a `file:///<folder>/<name>.bar`
URI. The services reach the bucket with the OCI key in their payload; the provider reaches the same object with an
objectcopy profile (`object_profile`, or the default OCI configuration when none is named).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from ..stores import open_store
from ..urls import ObjectURL, URLError

_NATIVE = re.compile(r"^https://objectstorage\.([a-z0-9-]+)\.oraclecloud\.com/n/([^/]+)/b/([^/]+)(?:/o/(.*))?$")
_SWIFT = re.compile(r"^https://swiftobjectstorage\.([a-z0-9-]+)\.oraclecloud\.com/v1/([^/]+)/([^/]+)/(.+)$")
NATIVE_FORM = "https://objectstorage.<region>.oraclecloud.com/n/<namespace>/b/<bucket>/o/<object>"


@dataclass(frozen=True)
class BucketURL:
    region: str
    namespace: str
    bucket: str
    object: str          # "" when the URL names only the bucket

    def oci(self, profile: str | None, name: str | None = None) -> ObjectURL:
        return ObjectURL("oci", f"{self.namespace}/{self.bucket}", name if name is not None else self.object,
                         profile)


def parse_bucket_url(text: str, *, field: str = "url", swift: bool = False) -> BucketURL:
    """An Object Storage REST URL as EPM takes it; `swift` also accepts the Swift form (Copy From only)."""
    text = str(text or "").strip()
    match = _NATIVE.match(text.rstrip("/") if "/o/" not in text else text)
    if match:
        region, namespace, bucket, name = match.groups()
        return BucketURL(region, unquote(namespace), unquote(bucket), unquote(name or ""))
    match = _SWIFT.match(text) if swift else None
    if match:
        region, namespace, bucket, name = match.groups()
        return BucketURL(region, unquote(namespace), unquote(bucket), unquote(name))
    forms = NATIVE_FORM + (" (or https://swiftobjectstorage.<region>.oraclecloud.com/v1/<namespace>/<bucket>/"
                           "<object>)" if swift else "")
    raise URLError(f"{field}: {text!r} is not an Object Storage URL; expected {forms}")


def bar_object_name(bar_uri: str) -> str:
    """ASSUMPTION (apis.md §7 does not say): `file:///<folder>/<name>.bar` is the object `<folder>/<name>.bar` in
    the snapshot's bucket."""
    return str(bar_uri)[len("file:///"):].lstrip("/")


def bar_object(bucket: str, bar_uri: str, *, namespace: str | None, profile: str | None) -> ObjectURL:
    """The BAR file's object. Without a namespace, the profile's tenancy namespace (what OAC uses then)."""
    if not namespace:
        namespace = open_store(ObjectURL("oci", "", "", profile)).namespace()
    return ObjectURL("oci", f"{namespace}/{bucket}", bar_object_name(bar_uri), profile)
