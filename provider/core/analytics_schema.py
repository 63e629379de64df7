"""AnalyticsSnapshot's and AnalyticsSnapshotRestore's properties, declared once with their rules: from them come the
plan-time checks, the README's tables, the Pulumi plugin's schema and the Terraform schema.

The OCI key and the BAR password travel in the service's payload, so they are inputs, secret end to end and never
outputs (`echoed=False`: Terraform keeps them write-only, out of state). The instance's bearer token is never an
input: it comes from the environment at each call (services/analytics.py).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping

from ..errors import UsageError
from ..services import analytics
from ..signing import oci as oci_signing
from .schema import BOOL, STRING, Prop, ResourceSchema

_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}")
_REGION = re.compile(r"[a-z]+-[a-z]+-\d+")
_PROFILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # as in an object URL's PROFILE@
API_KEY_INPUTS = ("oci_region", "oci_tenancy", "oci_user", "oci_private_key")


# --- rules: a value in, what is wrong with it out (without the property's name) -------------------------------------
def instance_url(value: str) -> str | None:
    return None if value.startswith(("https://", "http://")) else "must be the instance's URL, https://<host>"


def bucket_name(value: str) -> str | None:
    return None if _BUCKET.fullmatch(value) else f"{value!r} is not a bucket name (letters, digits, '.', '_', '-')"


def region_id(value: str) -> str | None:
    return None if _REGION.fullmatch(value) else f"{value!r} is not a region id such as us-ashburn-1"


def bar_uri(value: str) -> str | None:
    return None if value.startswith("file:///") else "must be file:///<folder>/<name>.bar"


def profile_name(value: str) -> str | None:
    return None if _PROFILE.fullmatch(value) else \
        f"{value!r} is not a profile name (letters, digits, '_', '.', '-')"


def private_key(value: str) -> str | None:
    try:
        oci_signing.fingerprint(value)
    except Exception:  # cryptography raises several types for a key that does not parse
        return "does not parse as a PEM private key"
    return None


# --- cross rules: the whole input map in, (property, reason) pairs out ------------------------------------------------
def new_snapshot_password(p: Mapping[str, Any], name: Callable[[str], str]) -> Iterable[tuple[str, str]]:
    """The BAR password rule holds for a new snapshot (CREATE) only; a REGISTER takes the BAR's own password."""
    if p.get("type") == "CREATE" and p.get("bar_password"):
        problems = analytics.password_problems(str(p["bar_password"]))
        if problems:
            yield "bar_password", "a new snapshot's password needs " + ", ".join(problems)


def api_key_complete(p: Mapping[str, Any], name: Callable[[str], str]) -> Iterable[tuple[str, str]]:
    if p.get("auth_type") != "api_key":  # resource_principal, or not known yet
        return
    for prop in API_KEY_INPUTS:
        if not p.get(prop):
            yield prop, f"required with {name('auth_type')} api_key (or use {name('auth_type')} resource_principal)"


URL = (instance_url,)

SNAPSHOT = ResourceSchema(
    name="AnalyticsSnapshot",
    description="An Oracle Analytics Cloud snapshot: CREATE (snapshot the instance into a BAR file in an OCI bucket, "
                "and register it) or REGISTER (register a BAR file already there), followed to the end of its work "
                "request; the BAR file's ETag is tracked, so a BAR replaced or deleted by hand replaces the snapshot.",
    import_id="INSTANCE_URL,SNAPSHOT_ID",
    delete_before_replace=True,  # one name per instance: the old snapshot must go first
    props=(
        Prop("instance_url", STRING, "the Oracle Analytics instance's URL, `https://<host>`", required=True,
             replaces=True, rules=URL),
        Prop("type", STRING, "CREATE snapshots the instance into the BAR file and registers it; REGISTER registers "
             "a BAR file already there", required=True, replaces=True, choices=("CREATE", "REGISTER"), case="upper"),
        Prop("name", STRING, "the snapshot's name, one per instance", required=True, replaces=True),
        Prop("description", STRING, "the snapshot's description; a change is recorded in place"),
        Prop("bucket", STRING, "the OCI bucket that holds the BAR file", required=True, replaces=True,
             rules=(bucket_name,)),
        Prop("bucket_namespace", STRING, "the bucket's namespace (another tenancy's); default: the tenancy's own",
             replaces=True),
        Prop("bucket_region", STRING, "the bucket's region (another region's), such as us-ashburn-1", replaces=True,
             rules=(region_id,)),
        Prop("auth_type", STRING, "how the instance reaches the bucket: `api_key` (the `oci_*` inputs) or "
             "`resource_principal`", default="api_key", choices=("api_key", "resource_principal")),
        Prop("oci_region", STRING, "the API key's region (auth_type api_key)"),
        Prop("oci_tenancy", STRING, "the API key's tenancy OCID (auth_type api_key)"),
        Prop("oci_user", STRING, "the API key's user OCID (auth_type api_key)"),
        Prop("oci_fingerprint", STRING, "the API key's fingerprint; default: computed from the key"),
        Prop("oci_private_key", STRING, "the API key's private key, PEM (auth_type api_key); sent to the instance, "
             "never an output", secret=True, echoed=False, rules=(private_key,)),
        Prop("bar_uri", STRING, "the BAR file, `file:///<folder>/<name>.bar`: the object `<folder>/<name>.bar` "
             "in the bucket", required=True, replaces=True, rules=(bar_uri,)),
        Prop("bar_password", STRING, "the BAR file's password; for CREATE 8 to 50 characters with a digit, an "
             "upper- and a lower-case letter", secret=True, echoed=False),
        Prop("delete_storage", BOOL, "destroy also deletes the BAR file, if it is still the one registered",
             default=False),
        Prop("object_profile", STRING, "the objectcopy profile the provider reads the BAR with, for drift; default: "
             "the default OCI configuration", rules=(profile_name,)),
        Prop("snapshot_id", STRING, "the snapshot's id", output=True),
        Prop("work_request_id", STRING, "the work request that created or registered it (none when a retried create "
             "took over the snapshot it had started)", output=True),
        Prop("status", STRING, "the snapshot's lifecycle state, as last seen", output=True),
        Prop("created_at", STRING, "when the snapshot was created (ISO 8601)", output=True),
        Prop("bar_object", STRING, "the BAR file as an oci:// URL", output=True),
        Prop("bar_etag", STRING, "the BAR's ETag as last seen, planned at every plan; drift when it is no longer "
             "registered_bar_etag", output=True, planned=True),
        Prop("registered_bar_etag", STRING, "the BAR's ETag when this resource created or registered the snapshot",
             output=True),
    ),
    cross_rules=(new_snapshot_password, api_key_complete),
)

RESTORE = ResourceSchema(
    name="AnalyticsSnapshotRestore",
    description="Restores a registered snapshot into an Oracle Analytics instance, once (again when the snapshot or "
                "the instance changes); destroying it leaves the instance as restored.",
    import_id="INSTANCE_URL,WORK_REQUEST_ID",
    props=(
        Prop("instance_url", STRING, "the Oracle Analytics instance's URL, `https://<host>`", required=True,
             replaces=True, rules=URL),
        Prop("snapshot_id", STRING, "the snapshot to restore (an AnalyticsSnapshot's snapshot_id); a new one "
             "restores again", required=True, replaces=True),
        Prop("password", STRING, "the snapshot's BAR password", secret=True, echoed=False),
        Prop("work_request_id", STRING, "the restore's work request", output=True),
        Prop("restored_at", STRING, "when the restore finished (ISO 8601)", output=True),
    ),
)


def split_import_id(text: str, what: str) -> tuple[str, str]:
    """`INSTANCE_URL,<what>`: the instance's URL and an id, joined by the last comma."""
    url, comma, ident = str(text).rpartition(",")
    if not comma or not url or not ident.strip() or instance_url(url):
        raise UsageError(f"import id {text!r}: expected INSTANCE_URL,{what}, such as "
                         f"https://oac-dev.example.com,{what}")
    return url, ident.strip()
