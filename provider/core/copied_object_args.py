"""CopiedObject's inputs: defaults, validation (each failure on its own property) and conversion to the
transfer layer's options. Pure: no I/O here."""
from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Mapping

from ..stores.base import SourceConditions, WriteOptions
from ..stores.common import parse_user_date as parse_date
from ..urls import ObjectURL, URLError, parse

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control")
SSE = ("AES256", "aws:kms", "aws:kms:dsse")
ENUMS = {"metadata_directive": ("COPY", "REPLACE"), "tagging_directive": ("COPY", "REPLACE"),
         "delete_policy": ("delete", "retain", "all-versions")}
# An entity tag (RFC 9110): visible ASCII but '"', optionally quoted or weak. '*' matches anything, so it pins nothing.
_ETAG = re.compile(r'^(W/)?("[\x21\x23-\x7e]{1,1024}"|[\x21\x23-\x29\x2b-\x7e][\x21\x23-\x7e]{0,1023})$')
_META_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_STORAGE_CLASS = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # STANDARD_IA on S3, InfrequentAccess on OCI
# S3's rule for tag keys (1-128) and values (0-256): letters, digits, spaces and _ . : / = + - @
_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")

# Outputs, in the order the README lists them; written_etag is the ETag this resource wrote, kept so that a
# refresh which found another ETag (drift) leads the next update to restore the copy.
OUTPUTS = ("etag", "size", "last_modified", "version_id", "source_etag", "copied_source_version_id",
           "source_last_modified", "copied_at", "method", "written_etag")


@dataclass(frozen=True)
class CopiedObjectArgs:
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
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def defaults(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs with every default filled in and enums in canonical case; unknown keys dropped."""
        out = {}
        for f in fields(cls):
            value = props.get(f.name)
            if value is None and f.default_factory is not MISSING:
                value = f.default_factory()
            elif value is None and f.default is not MISSING:
                value = f.default
            if f.name in ("metadata_directive", "tagging_directive") and isinstance(value, str):
                value = value.upper()
            if f.name == "delete_policy" and isinstance(value, str):
                value = value.lower()
            out[f.name] = value
        return out

    @classmethod
    def validate(cls, props: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(property, reason) for every input that is wrong; values still unknown at preview are skipped."""
        failures: list[tuple[str, str]] = []
        p = cls.defaults(props)

        def bad(name: str, reason: str) -> None:
            failures.append((name, f"{name}: {reason}"))

        for name in ("source", "destination"):
            if not isinstance(p[name], str) or not p[name]:
                bad(name, "required: an object URL such as s3://bucket/key, swift://container/object or "
                          "file:///path")
                continue
            try:
                parse(p[name], field=name)
            except URLError as e:
                failures.append((name, str(e)))
        for name, allowed in ENUMS.items():
            if p[name] not in allowed:
                bad(name, f"{p[name]!r} is not one of {', '.join(allowed)}")
        for name in ("metadata", "tags"):
            value = p[name]
            if value is None:
                continue
            if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                          for k, v in value.items()):
                bad(name, "must be a map of strings to strings")
            elif name == "metadata":
                for key in value:
                    if not _META_KEY.match(key):
                        bad(name, f"key {key!r} must be lower-case letters, digits, '.', '_' or '-' "
                                  "(stores lower-case metadata names)")
            else:
                for key, tag in value.items():
                    if not (0 < len(key) <= 128 and len(tag) <= 256 and _TAG_TEXT.match(key + tag)):
                        bad(name, f"tag {key!r}: keys (1-128) and values (up to 256) may hold letters, digits, "
                                  "spaces and _ . : / = + - @ only")
        if p["metadata_directive"] == "REPLACE" and not p["metadata"] and not p["content_type"]:
            bad("metadata", "metadata_directive REPLACE with no metadata and no content_type would strip the "
                            "object's metadata; give metadata, or use COPY to keep the source's")
        for name in ("overwrite", "track_source", "adopt_existing"):
            if not isinstance(p[name], bool):
                bad(name, f"must be true or false, not {p[name]!r}")
        if p["if_unmodified_since"] is not None:
            try:
                parse_date(str(p["if_unmodified_since"]))
            except ValueError:
                bad("if_unmodified_since", f"{p['if_unmodified_since']!r} is not a date; use ISO 8601 "
                                           "(2026-10-21T07:28:00Z) or RFC 1123 (Wed, 21 Oct 2026 07:28:00 GMT)")
        if p["if_match"] is not None and (not isinstance(p["if_match"], str) or not _ETAG.match(p["if_match"])):
            bad("if_match", f"{p['if_match']!r} is not an ETag: give one as `objectcopy head` prints it, such as "
                            "9b2cf535f27731c974343645a3985328 (quotes optional; no spaces, no '*')")
        if p["acl"] is not None and p["acl"] not in CANNED_ACLS:
            bad("acl", f"{p['acl']!r} is not a canned ACL: {', '.join(CANNED_ACLS)}")
        if p["storage_class"] is not None and not _STORAGE_CLASS.match(str(p["storage_class"])):
            bad("storage_class", f"{p['storage_class']!r} must be a class name such as STANDARD_IA (S3) or "
                                 "InfrequentAccess (OCI)")
        if p["server_side_encryption"] is not None and p["server_side_encryption"] not in SSE:
            bad("server_side_encryption", f"{p['server_side_encryption']!r} is not one of {', '.join(SSE)}")
        if p["kms_key_id"] and p["server_side_encryption"] not in (None, "aws:kms", "aws:kms:dsse"):
            bad("kms_key_id", "needs server_side_encryption aws:kms (or leave it unset)")
        return failures

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> "CopiedObjectArgs":
        return cls(**cls.defaults(props))

    # --- what the transfer layer needs -----------------------------------------------------------------------
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
            if_unmodified_since=parse_date(self.if_unmodified_since) if self.if_unmodified_since else None)

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


# Inputs whose change means the object must be copied again; the others (track_source, adopt_existing,
# delete_policy, overwrite) only change how the resource behaves.
COPY_INPUTS = tuple(n for n in CopiedObjectArgs.names()
                    if n not in ("track_source", "adopt_existing", "delete_policy", "overwrite", "destination"))
