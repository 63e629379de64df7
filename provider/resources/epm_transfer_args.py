"""EpmObjectStoreExport / EpmObjectStoreImport inputs: names, defaults, validation (each failure on its own
property) and the addresses derived from them. Pure: no I/O here.
"""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit

from pulumi.output import Unknown
from pulumi.runtime import rpc

from ..services import epm
from ..services.buckets import BucketURL, parse_bucket_url
from ..signing import oci as oci_signing
from ..urls import ObjectURL, URLError, parse

COMMON_INPUTS = ("environment_url", "url", "oci_tenancy", "oci_user", "oci_fingerprint", "oci_private_key",
                 "object_profile", "delete_policy")
EXPORT_INPUTS = COMMON_INPUTS + ("file_path",)
IMPORT_INPUTS = COMMON_INPUTS + ("track_source", "file_name", "source_etag")  # source_etag: planned by check()
SECRET_INPUTS = ("oci_private_key",)  # never an output: only create/update need it, and they get it as an input
DELETE_POLICIES = ("delete", "retain")

# key_fingerprint: the public fingerprint of the key last used, so a new key shows as a change without the key
# itself being kept in outputs.
EXPORT_OUTPUTS = ("job_id", "object_url", "etag", "written_etag", "size", "last_modified", "exported_at",
                  "key_fingerprint")
IMPORT_OUTPUTS = ("job_id", "file_name", "source_etag", "imported_at", "key_fingerprint")
EXPORT_REPLACE_ON = ("environment_url", "file_path", "url")
IMPORT_REPLACE_ON = ("environment_url", "url", "file_name")

_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){15}$")


def unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or value == rpc.UNKNOWN


def defaults(news: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The inputs named, with defaults filled in and enums in canonical case; unknowns kept as they are."""
    out = {k: news.get(k) for k in names}
    policy = out.get("delete_policy")
    out["delete_policy"] = "delete" if policy is None else policy.lower() if isinstance(policy, str) else policy
    if "track_source" in names and out.get("track_source") is None:
        out["track_source"] = True
    name = out.get("file_name")
    if "file_name" in names and not unknown(name) and not (isinstance(name, str) and name.strip()):
        out["file_name"] = default_file_name(out.get("url"))
    for name in ("oci_fingerprint", "object_profile"):
        if isinstance(out.get(name), str) and not out[name].strip():
            out[name] = None
    return out


def default_file_name(url: Any) -> Any:
    """The name an import gives its file when `file_name` is not set: the one the environment lists the object
    under (what the `file_name` output reported before it was an input, so older state plans no change). Unknown
    while `url` is; None when `url` names no object (validate says why)."""
    if unknown(url):
        return rpc.UNKNOWN
    try:
        obj = parse_bucket_url(url, field="url", swift=True).object
    except URLError:
        return None
    return epm.imported_file_name(obj) if obj else None


def public(props: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The inputs that may be outputs: all but the secret ones."""
    return {k: props.get(k) for k in names if k not in SECRET_INPUTS}


def key_fingerprint(pem: Any) -> str | None:
    """The key's fingerprint (public), or None when it is unknown or does not parse."""
    if not isinstance(pem, str) or unknown(pem):
        return None
    try:
        return oci_signing.fingerprint(pem)
    except Exception:  # cryptography raises several types for a key that does not parse
        return None


def validate(p: Mapping[str, Any], *, direction: str) -> list[tuple[str, str]]:
    """(property, reason) for each known input that is wrong, as preview reports them. `direction` is "export"
    (Copy To: file_path, a bucket URL that may name the object) or "import" (Copy From: the URL names the object,
    native or Swift form)."""
    failures: list[tuple[str, str]] = []

    def bad(name: str, reason: str) -> None:
        if not unknown(p.get(name)):
            failures.append((name, f"{name}: {reason}"))

    env = p.get("environment_url")
    try:
        parts = urlsplit(env) if isinstance(env, str) else None
        _ = parts and parts.port  # a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        bad("environment_url", f"{env!r} is not the EPM environment's URL, https://<host>")
    elif parts.username or parts.password:
        bad("environment_url", "must not carry credentials; EPM's come from EPM_USERNAME and EPM_PASSWORD, or "
                               "EPM_TOKEN")
    if not unknown(p.get("url")):
        try:
            target = parse_bucket_url(p.get("url"), field="url", swift=direction == "import")
            if direction == "import" and not target.object:
                bad("url", f"must name the object to copy into the environment: {p.get('url')}/o/<object>")
        except URLError as e:
            failures.append(("url", str(e)))
    for name, kind in (("oci_tenancy", "tenancy"), ("oci_user", "user")):
        value = p.get(name)
        if not isinstance(value, str) or not value.startswith(f"ocid1.{kind}."):
            bad(name, f"must be the OCID of the {kind}, ocid1.{kind}.oc1..<id> (got {value!r})")
    pem = p.get("oci_private_key")
    computed = key_fingerprint(pem)
    if not pem:
        bad("oci_private_key", "required: the PEM private key of the OCI API key EPM signs with")
    elif computed is None:
        bad("oci_private_key", "does not parse as an unencrypted RSA private key in PEM form")
    given = p.get("oci_fingerprint")
    if given is not None and not unknown(given):
        normal = str(given).strip().lower()
        if not _FINGERPRINT.match(normal):
            bad("oci_fingerprint", f"{given!r} is not a key fingerprint such as 12:34:...:ef (16 hex pairs)")
        elif computed is not None and normal != computed:
            bad("oci_fingerprint", f"{given} does not match oci_private_key, whose fingerprint is {computed}; "
                                   "leave oci_fingerprint out to use the key's own")
    profile = p.get("object_profile")
    if profile is not None and not (isinstance(profile, str) and _PROFILE.match(profile)):
        bad("object_profile", f"{profile!r} is not a profile name (letters, digits, '_', '.', '-')")
    if p.get("delete_policy") not in DELETE_POLICIES:
        bad("delete_policy", f"{p.get('delete_policy')!r} is not one of {', '.join(DELETE_POLICIES)}")
    if direction == "export":
        if not isinstance(p.get("file_path"), str) or not p["file_path"].strip():
            bad("file_path", "required: the file or snapshot in the environment, e.g. 'Artifact Snapshot' "
                             "(no .zip) or 'inbox/data.csv'")
    else:
        if not isinstance(p.get("track_source"), bool):
            bad("track_source", f"must be true or false, not {p.get('track_source')!r}")
        failures += _file_name_failures(p.get("file_name"))
    return failures


def _file_name_failures(name: Any) -> list[tuple[str, str]]:
    if name is None or unknown(name):  # None: url names no object, and says so itself
        return []
    if not isinstance(name, str) or any(c in name for c in "\0\r\n"):
        return [("file_name", f"file_name: {name!r} is not a file name such as 'inbox/data.csv'")]
    if epm.is_snapshot(name):
        return [("file_name", f"file_name: {name!r}: the environment lists a snapshot without .zip: file_name "
                              f"{name[:-4]!r} (an object ending in .zip is imported as a snapshot)")]
    return []


def bucket_url(props: Mapping[str, Any], *, direction: str) -> BucketURL:
    return parse_bucket_url(props["url"], field="url", swift=direction == "import")


def object_url(props: Mapping[str, Any], name: str | None = None, *, direction: str) -> ObjectURL:
    """The object as the provider reaches it (`oci://[object_profile@]ns/bucket/object`)."""
    return bucket_url(props, direction=direction).oci(props.get("object_profile"), name)


def same_export_target(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether a replacement export would write the object the old one wrote (then the old one goes first, so its
    delete does not find the new object and leave it with a confusing warning)."""
    if unknown(news.get("url")) or not olds.get("object_url"):
        return False
    try:
        old = parse(olds["object_url"], field="object_url")
        new = bucket_url(news, direction="export")
    except ValueError:  # URLError included
        return False
    if old.bucket != f"{new.namespace}/{new.bucket}":
        return False
    if new.object:
        return old.key == new.object
    path = news.get("file_path")
    return unknown(path) or old.key in {epm.exported_object_name(str(path), t) for t in (None, "LCM")}


def same_import_target(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether a replacement import would write the file the old one wrote (then the old one must be deleted
    first: deleting it after would remove the file just imported). Unknown: assume so."""
    if unknown(news.get("url")) or unknown(news.get("environment_url")):
        return True
    if str(news.get("environment_url")).rstrip("/") != str(olds.get("environment_url")).rstrip("/"):
        return False
    return unknown(news.get("file_name")) or news.get("file_name") == olds.get("file_name")
