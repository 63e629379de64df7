"""EpmObjectStoreExport's and EpmObjectStoreImport's properties, declared once with their rules, and the addresses
derived from them. Pure: no I/O here.

The OCI API key that EPM signs with travels in EPM's request body, so `oci_private_key` is an input, secret end to
end and never kept among the outputs (echoed=False): only create and update use it, and they get it as an input.
`key_fingerprint`, the key's public fingerprint, stands for it, so a new key shows as a change.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from ..errors import URLError
from ..services.names import exported_object_name, imported_file_name, is_snapshot
from ..services.buckets import BucketURL, parse_bucket_url
from ..urls import ObjectURL, parse
from .api import UNKNOWN, is_unknown
from .schema import BOOL, INT, STRING, Prop, ResourceSchema

DELETE_POLICIES = ("delete", "retain")
_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){15}$")


def key_fingerprint(pem: Any) -> str | None:
    """The key's fingerprint (public), or None when it is unknown or does not parse."""
    if not isinstance(pem, str):
        return None
    from ..signing import oci as oci_signing  # here: reading the schema needs no cryptography
    try:
        return oci_signing.fingerprint(pem)
    except Exception:  # cryptography raises several types for a key that does not parse
        return None


# --- rules: a value in, what is wrong with it out (without the property's name) -------------------------------------
def environment_url(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} is not the EPM environment's URL, https://<host>"
    if parts.username or parts.password:
        return "must not carry credentials; EPM's come from EPM_USERNAME and EPM_PASSWORD, or EPM_TOKEN"
    return None


def _bucket_url(swift: bool, needs_object: bool) -> Callable[[str], "str | None"]:
    def rule(value: str) -> str | None:
        try:
            target = parse_bucket_url(value, field="", swift=swift)
        except URLError as e:
            return str(e).removeprefix(": ")
        if needs_object and not target.object:
            return f"must name the object to copy into the environment: {value}/o/<object>"
        return None
    return rule


def _ocid(kind: str) -> Callable[[str], "str | None"]:
    def rule(value: str) -> str | None:
        return None if value.startswith(f"ocid1.{kind}.") else \
            f"must be the OCID of the {kind}, ocid1.{kind}.oc1..<id> (got {value!r})"
    return rule


def private_key(value: str) -> str | None:
    if not value.strip():
        return "required: the PEM private key of the OCI API key EPM signs with"
    return None if key_fingerprint(value) else "does not parse as an unencrypted RSA private key in PEM form"


def fingerprint_form(value: str) -> str | None:
    if _FINGERPRINT.match(value.strip().lower()):
        return None
    return f"{value!r} is not a key fingerprint such as 12:34:...:ef (16 hex pairs)"


def profile_name(value: str) -> str | None:
    return None if _PROFILE.match(value) else f"{value!r} is not a profile name (letters, digits, '_', '.', '-')"


def file_path(value: str) -> str | None:
    if value.strip():
        return None
    return "required: the file or snapshot in the environment, e.g. 'Artifact Snapshot' (no .zip) or 'inbox/data.csv'"


def file_name(value: str) -> str | None:
    if any(c in value for c in "\0\r\n"):
        return f"{value!r} is not a file name such as 'inbox/data.csv'"
    if is_snapshot(value):
        return (f"{value!r}: the environment lists a snapshot without .zip: file_name {value[:-4]!r} (an object "
                "ending in .zip is imported as a snapshot)")
    return None


def fingerprint_matches_key(p: Mapping[str, Any], name: Callable[[str], str]) -> Iterable[tuple[str, str]]:
    given, computed = p.get("oci_fingerprint"), key_fingerprint(p.get("oci_private_key"))
    if isinstance(given, str) and computed is not None and given.strip().lower() != computed:
        yield "oci_fingerprint", (f"{given} does not match {name('oci_private_key')}, whose fingerprint is "
                                  f"{computed}; leave {name('oci_fingerprint')} out to use the key's own")


# --- the properties ------------------------------------------------------------------------------------------------
def _common(url: Prop) -> tuple[Prop, ...]:
    return (
        Prop("environment_url", STRING, "the EPM environment, `https://<host>`; another one replaces the resource",
             required=True, replaces=True, rules=(environment_url,)),
        url,
        Prop("oci_tenancy", STRING, "the OCID of the tenancy of the OCI API key EPM signs with "
             "(`ocid1.tenancy.oc1..<id>`)", required=True, rules=(_ocid("tenancy"),)),
        Prop("oci_user", STRING, "the OCID of the user of that key (`ocid1.user.oc1..<id>`)", required=True,
             rules=(_ocid("user"),)),
        Prop("oci_fingerprint", STRING, "the key's fingerprint; default: computed from the key (when given, it must "
             "be the key's)", rules=(fingerprint_form,)),
        Prop("oci_private_key", STRING, "the PEM private key of the OCI API key EPM signs with", required=True,
             secret=True, echoed=False, rules=(private_key,)),
        Prop("object_profile", STRING, "the objectcopy profile this provider reads the bucket with (to see the "
             "object, and to delete an export); default: the default OCI configuration", rules=(profile_name,)),
        Prop("delete_policy", STRING, "delete: destroy removes what the resource wrote (an export's object only "
             "while it is unchanged); retain: destroy leaves it", default="delete", choices=DELETE_POLICIES,
             case="lower"),
    )


_KEY_FINGERPRINT = Prop("key_fingerprint", STRING, "the fingerprint of the key last used (the key itself is never "
                        "kept)", output=True)

EXPORT = ResourceSchema(
    name="EpmObjectStoreExport",
    drift={"missing": "destination missing", "etag": "destination changed"},
    description="Copies a file or snapshot of an Oracle EPM Cloud environment into an OCI bucket (Copy To Object "
                "Store v3), and keeps the object there: overwritten or deleted by hand, the next apply exports again.",
    import_id="ENVIRONMENT_URL,OBJECT_URL",
    props=(
        *_common(Prop("url", STRING, "the bucket, `https://objectstorage.<region>.oraclecloud.com/n/<namespace>/b/"
                      "<bucket>`, or the object in it (`.../o/<object>`); by default the object is named after the "
                      "file, plus .zip for a snapshot; another one replaces the export", required=True, replaces=True,
                      rules=(_bucket_url(swift=False, needs_object=False),))),
        Prop("file_path", STRING, "the file or snapshot in the environment, such as `Artifact Snapshot` (no .zip) or "
             "`inbox/data.csv`; another one replaces the export", required=True, replaces=True, rules=(file_path,)),
        Prop("job_id", STRING, "the EPM job of the last export (none for an imported export)", output=True),
        Prop("object_url", STRING, "the object written, as `oci://[PROFILE@]namespace/bucket/object`", output=True,
             always_set=True),
        Prop("etag", STRING, "the object's ETag, as last seen", output=True, always_set=True),
        Prop("written_etag", STRING, "the ETag the export wrote; drift is etag != written_etag", output=True,
             always_set=True),
        Prop("size", INT, "the object's size in bytes, as last seen", output=True, always_set=True),
        Prop("last_modified", STRING, "the object's Last-Modified, as last seen (ISO 8601)", output=True),
        Prop("exported_at", STRING, "when the object was exported (ISO 8601)", output=True),
        _KEY_FINGERPRINT,
    ),
    cross_rules=(fingerprint_matches_key,),
)

IMPORT = ResourceSchema(
    name="EpmObjectStoreImport",
    drift={"missing": "file missing", "source_etag missing": "source missing", "source_etag": "source changed"},
    description="Copies an object from an OCI bucket into an Oracle EPM Cloud environment (Copy From Object Store "
                "v3), and again whenever the object changes (track_source): the plan shows the object's new ETag.",
    import_id="ENVIRONMENT_URL,FILE_NAME",
    props=(
        *_common(Prop("url", STRING, "the object to copy, `https://objectstorage.<region>.oraclecloud.com/n/"
                      "<namespace>/b/<bucket>/o/<object>` (or the Swift form `https://swiftobjectstorage.<region>."
                      "oraclecloud.com/v1/<namespace>/<bucket>/<object>`); another one replaces the import",
                      required=True, replaces=True, rules=(_bucket_url(swift=True, needs_object=True),))),
        Prop("track_source", BOOL, "import again when the object changes (its ETag is planned at every plan)",
             default=True),
        # planned: filled in by check from `url` when not given, so a plan knows it.
        Prop("file_name", STRING, "the name the environment lists the file under, such as `inbox/data.csv`; "
             "default: the object's base name, without the .zip of a snapshot; another one replaces the import",
             replaces=True, planned=True, always_set=True, rules=(file_name,)),
        Prop("job_id", STRING, "the EPM job of the last import (none for an imported import)", output=True),
        Prop("source_etag", STRING, "the object's ETag imported: planned at every plan with track_source",
             output=True, planned=True),
        Prop("imported_at", STRING, "when the object was imported (ISO 8601)", output=True),
        _KEY_FINGERPRINT,
    ),
    cross_rules=(fingerprint_matches_key,),
)


# --- inputs as checked, and the addresses derived from them --------------------------------------------------------
def checked_inputs(schema: ResourceSchema, news: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with defaults filled in; a blank optional name counts as not given."""
    inputs = schema.with_defaults(news)
    for name in ("oci_fingerprint", "object_profile"):
        if isinstance(inputs.get(name), str) and not inputs[name].strip():
            inputs[name] = None
    if "file_name" in inputs:
        name = inputs["file_name"]
        if not is_unknown(name) and not (isinstance(name, str) and name.strip()):
            inputs["file_name"] = default_file_name(inputs.get("url"))
    return inputs


def default_file_name(url: Any) -> Any:
    """The name an import gives its file when `file_name` is not set: the one the environment lists the object
    under (what the `file_name` output reported before it was an input, so older state plans no change). Unknown
    while `url` is; None when `url` names no object (its rule says why)."""
    if is_unknown(url):
        return UNKNOWN
    try:
        obj = parse_bucket_url(url, field="url", swift=True).object
    except URLError:
        return None
    return imported_file_name(obj) if obj else None


def bucket_url(props: Mapping[str, Any], *, swift: bool) -> BucketURL:
    return parse_bucket_url(props["url"], field="url", swift=swift)


def planned_object_url(inputs: Mapping[str, Any]) -> Any:
    """The export's object when `url` names it (known at plan time); UNKNOWN when EPM's listing names it."""
    try:
        bucket = bucket_url(inputs, swift=False)
    except (URLError, TypeError, KeyError):
        return UNKNOWN
    profile = inputs.get("object_profile")
    return str(bucket.oci(profile)) if bucket.object and not is_unknown(profile) else UNKNOWN


def same_export_target(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether an export of `news` would write the object `olds` wrote (then the old one goes first on a replace,
    so its delete does not find the new object and leave it with a confusing warning)."""
    if is_unknown(news.get("url")) or not olds.get("object_url"):
        return False
    try:
        old = parse(olds["object_url"], field="object_url")
        new = bucket_url(news, swift=False)
    except (URLError, ValueError, TypeError):
        return False
    if old.bucket != f"{new.namespace}/{new.bucket}":
        return False
    if new.object:
        return old.key == new.object
    path = news.get("file_path")
    return is_unknown(path) or old.key in {exported_object_name(str(path), t) for t in (None, "LCM")}


def same_import_target(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether a replacement import would write the file the old one wrote (then the old one must be deleted
    first: deleting it after would remove the file just imported). Unknown: assume so."""
    if is_unknown(news.get("url")) or is_unknown(news.get("environment_url")):
        return True
    if str(news.get("environment_url")).rstrip("/") != str(olds.get("environment_url")).rstrip("/"):
        return False
    return is_unknown(news.get("file_name")) or news.get("file_name") == olds.get("file_name")


def object_of(state: Mapping[str, Any]) -> ObjectURL:
    return parse(state["object_url"], field="object_url")
