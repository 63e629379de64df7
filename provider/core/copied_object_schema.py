"""CopiedObject's properties, declared once with their rules, and its inputs as the transfer layer needs them.

The rules here are the one set both the resource's plan and `objectcopy cp` apply (copy_inputs.check_inputs names
the command's flags in the same messages), and from this table come the README's tables, the Pulumi plugin's
schema and the Terraform schema.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable, Mapping

from ..errors import URLError
from ..inputs import date_problem, etag_problem, header_value_problem, key_problem, parse_user_date
from ..stores import default_limits
from ..stores.base import SourceConditions, WriteOptions
from ..urls import ObjectURL, parse
from .schema import BOOL, INT, STRING, STRING_MAP, Prop, ResourceSchema

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control")
SSE = ("AES256", "aws:kms", "aws:kms:dsse", "SM4")  # SM4: OSS only (Capabilities.sse_algorithms)
ENUMS = {"metadata_directive": ("COPY", "REPLACE"), "tagging_directive": ("COPY", "REPLACE"),
         "delete_policy": ("delete", "retain", "all-versions")}
_META_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")
_STORAGE_CLASS = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # STANDARD_IA on S3, InfrequentAccess on OCI
# S3's rule for tag keys (1-128) and values (0-256): letters, digits, spaces and _ . : / = + - @
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")


# --- rules: a value in, what is wrong with it out (without the property's name) -------------------------------------
def object_url(value: str) -> str | None:
    try:
        url = parse(value, field="")
    except URLError as e:
        return str(e).removeprefix(": ")
    return key_problem(url.scheme, url.key, default_limits(url.scheme))


def metadata_map(value: Mapping[str, str]) -> str | None:
    for key, text in value.items():
        if not _META_KEY.fullmatch(key):
            return f"key {key!r} must be lower-case letters, digits, '.', '_' or '-' (stores lower-case metadata names)"
        if problem := header_value_problem(text):
            return f"the value of {key!r}: {problem}"
    return None


def tag_map(value: Mapping[str, str]) -> str | None:
    for key, tag in value.items():
        if not (0 < len(key) <= 128 and len(tag) <= 256 and _TAG_TEXT.fullmatch(key + tag)):
            return (f"tag {key!r}: keys (1-128) and values (up to 256) may hold letters, digits, spaces and "
                    "_ . : / = + - @ only")
    return None


def canned_acl(value: str) -> str | None:
    return None if value in CANNED_ACLS else f"{value!r} is not a canned ACL: {', '.join(CANNED_ACLS)}"


def storage_class(value: str) -> str | None:
    if _STORAGE_CLASS.fullmatch(value):
        return None
    return f"{value!r} must be a class name such as STANDARD_IA (S3) or InfrequentAccess (OCI)"


def replace_needs_something(p: Mapping[str, Any], name: Callable[[str], str]) -> Iterable[tuple[str, str]]:
    if p.get("metadata_directive") == "REPLACE" and not p.get("metadata") and not p.get("content_type"):
        yield "metadata", (f"{name('metadata_directive')} REPLACE with no {name('metadata')} and no "
                           f"{name('content_type')} would strip the object's metadata; give {name('metadata')}, or "
                           "use COPY to keep the source's")


def kms_needs_kms(p: Mapping[str, Any], name: Callable[[str], str]) -> Iterable[tuple[str, str]]:
    if p.get("kms_key_id") and p.get("server_side_encryption") not in (None, "aws:kms", "aws:kms:dsse"):
        yield "kms_key_id", f"needs {name('server_side_encryption')} aws:kms (or leave it unset)"


HEADER = (header_value_problem,)

SCHEMA = ResourceSchema(
    name="CopiedObject",
    drift={"missing": "destination missing", "etag": "destination changed", "source_etag missing": "source missing",
           "source_etag": "source changed"},
    description="A server-side copy of one object, kept in sync with its source: the source ETag read at plan time "
                "is pinned on the copy, a changed source shows in the plan, a destination edited by hand in a "
                "refresh.",
    import_id="SOURCE,DESTINATION",
    props=(
        Prop("source", STRING, "object URL to copy from; a profile can be named: s3://PROFILE@bucket/key",
             required=True, rules=(object_url,)),
        Prop("destination", STRING, "object URL to copy to; a new physical destination replaces the resource",
             required=True, replaces=True, rules=(object_url,)),
        Prop("source_version_id", STRING, "copy this version of the source (S3 versioning); default: the latest",
             rules=HEADER),
        Prop("metadata_directive", STRING, "COPY keeps the source's metadata and content type (anything given is "
             "merged over them); REPLACE sets exactly what is given, and needs metadata or content_type",
             default="COPY", choices=ENUMS["metadata_directive"], case="upper"),
        Prop("metadata", STRING_MAP, "user metadata: lower-case keys (letters, digits, `.`, `_`, `-`); an upper-case "
             "key is refused, never lower-cased for you", default={}, rules=(metadata_map,)),
        Prop("content_type", STRING, "Content-Type of the copy; default: the source's", rules=HEADER),
        Prop("cache_control", STRING, "Cache-Control of the copy; default: the source's", rules=HEADER),
        Prop("content_disposition", STRING, "Content-Disposition of the copy; default: the source's", rules=HEADER),
        Prop("content_encoding", STRING, "Content-Encoding of the copy; default: the source's", rules=HEADER),
        Prop("tags", STRING_MAP, "object tags; giving tags replaces the source's (S3 ignores tags under COPY, so "
             "REPLACE is sent for you)", rules=(tag_map,)),
        Prop("tagging_directive", STRING, "COPY keeps the source's tags, REPLACE sets `tags`", default="COPY",
             choices=ENUMS["tagging_directive"], case="upper"),
        Prop("acl", STRING, "S3 canned ACL; default: the store's", rules=(canned_acl,)),
        Prop("storage_class", STRING, "storage class (STANDARD_IA on S3, InfrequentAccess on OCI); default: the "
             "store's", rules=(storage_class,)),
        Prop("server_side_encryption", STRING, "`AES256`, `aws:kms`, `aws:kms:dsse`, or `SM4` (OSS only); a KMS key "
             "implies `aws:kms`; a value the destination's store does not offer fails the plan", choices=SSE),
        Prop("kms_key_id", STRING, "KMS key for aws:kms encryption", rules=HEADER),
        Prop("if_match", STRING, "your precondition on the source's ETag, checked at plan time when the source can "
             "be read, and on the copy itself", rules=(etag_problem,)),
        Prop("if_unmodified_since", STRING, "your precondition on the source's date (ISO 8601 or RFC 1123), checked "
             "at plan time and on the copy", rules=(date_problem,)),
        Prop("overwrite", BOOL, "false: create only where the destination does not exist", default=True),
        Prop("track_source", BOOL, "copy again when the source changes (its ETag is planned at every plan); false "
             "copies once", default=True),
        Prop("adopt_existing", BOOL, "take over a destination that already holds the source's content (same "
             "ETag, or same MD5), without copying (for dynamic resources, which `pulumi import` cannot reach)",
             default=False),
        Prop("delete_policy", STRING, "delete (only if it is still the object this resource wrote), retain (never), "
             "all-versions (every version of the key, on versioned buckets)", default="delete",
             choices=ENUMS["delete_policy"], case="lower"),
        Prop("etag", STRING, "the destination's ETag, as last seen", output=True, always_set=True),
        Prop("size", INT, "the destination's size in bytes, as last seen", output=True, always_set=True),
        Prop("last_modified", STRING, "the destination's Last-Modified, as last seen (ISO 8601)", output=True),
        Prop("version_id", STRING, "the destination's version id, on versioned buckets", output=True),
        Prop("source_etag", STRING, "the source ETag copied: planned at every plan, and pinned on the copy",
             output=True, planned=True, always_set=True),
        Prop("copied_source_version_id", STRING, "the source version copied", output=True),
        Prop("source_last_modified", STRING, "the source's Last-Modified when copied", output=True),
        Prop("copied_at", STRING, "when the copy was made (ISO 8601)", output=True, always_set=True),
        Prop("method", STRING, "server-side, server-side-multipart, streamed, streamed-multipart, adopted or "
             "imported", output=True, always_set=True),
        Prop("written_etag", STRING, "the ETag this resource wrote; drift is etag != written_etag", output=True,
             always_set=True),
    ),
    cross_rules=(replace_needs_something, kms_needs_kms),
)

# Inputs whose change means the object must be copied again; the others (track_source, adopt_existing,
# delete_policy, overwrite) only change how the resource behaves.
COPY_INPUTS = tuple(n for n in SCHEMA.input_names
                    if n not in ("track_source", "adopt_existing", "delete_policy", "overwrite", "destination"))


@dataclass(frozen=True)
class Args:
    """The checked inputs (defaults filled in), as the transfer layer needs them."""

    source: str
    destination: str
    source_version_id: str | None = None
    metadata_directive: str = "COPY"
    metadata: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    cache_control: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    tags: Mapping[str, str] | None = None
    tagging_directive: str = "COPY"
    acl: str | None = None
    storage_class: str | None = None
    server_side_encryption: str | None = None
    kms_key_id: str | None = None
    if_match: str | None = None
    if_unmodified_since: str | None = None
    overwrite: bool = True
    track_source: bool = True
    adopt_existing: bool = False
    delete_policy: str = "delete"

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> "Args":
        return cls(**SCHEMA.with_defaults(props))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return SCHEMA.input_names

    @classmethod
    def defaults(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        return SCHEMA.with_defaults(props)

    @classmethod
    def validate(cls, props: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(property, reason) for every input that is wrong, reasons starting with the property's name."""
        return [(f.property, f.reason) for f in SCHEMA.validate(SCHEMA.with_defaults(props))]

    def as_props(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def source_url(self) -> ObjectURL:
        return parse(self.source, field="source")

    @property
    def destination_url(self) -> ObjectURL:
        return parse(self.destination, field="destination")

    @property
    def conditions(self) -> SourceConditions:
        return SourceConditions(
            if_match=self.if_match,
            if_unmodified_since=parse_user_date(self.if_unmodified_since) if self.if_unmodified_since else None)

    def conditions_by_input(self) -> dict[str, SourceConditions]:
        """Each precondition input on its own, so a failure is reported on the input that failed."""
        full = self.conditions
        return {name: SourceConditions(**{name: getattr(full, name)})
                for name in ("if_match", "if_unmodified_since") if getattr(full, name) is not None}

    def write_options(self, *, overwrite: bool | None = None) -> WriteOptions:
        headers = {name: value for name, value in (
            ("Cache-Control", self.cache_control), ("Content-Disposition", self.content_disposition),
            ("Content-Encoding", self.content_encoding)) if value}
        return WriteOptions(
            metadata_directive=self.metadata_directive, metadata=dict(self.metadata or {}),
            content_type=self.content_type, headers=headers,
            overwrite=self.overwrite if overwrite is None else overwrite,
            tags=dict(self.tags) if self.tags is not None else None, tagging_directive=self.tagging_directive,
            acl=self.acl, storage_class=self.storage_class, server_side_encryption=self.server_side_encryption,
            kms_key_id=self.kms_key_id)
