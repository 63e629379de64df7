"""CopiedObject's inputs: defaults, validation (each failure on its own property) and conversion to the
transfer layer's options. Pure: no I/O here, and no Pulumi (the command imports it too).

`check_inputs` is the one set of rules for a copy's inputs: the resource's preview calls it through
`CopiedObjectArgs.validate`, and `objectcopy cp` calls it with its flags' names, so that both refuse the same values
with the same words."""
from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Callable, Mapping

from .inputs import date_problem, etag_problem, header_value_problem, key_problem
from .stores import default_limits
from .stores.base import SourceConditions, WriteOptions
from .stores.common import parse_user_date as parse_date
from .urls import ObjectURL, URLError, parse

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control")
SSE = ("AES256", "aws:kms", "aws:kms:dsse", "SM4")  # SM4: OSS only (Capabilities.sse_algorithms)
ENUMS = {"metadata_directive": ("COPY", "REPLACE"), "tagging_directive": ("COPY", "REPLACE"),
         "delete_policy": ("delete", "retain", "all-versions")}
# Inputs sent as HTTP header values as they are (metadata, tags, storage class and ETags have rules of their own).
HEADER_INPUTS = ("content_type", "cache_control", "content_disposition", "content_encoding", "kms_key_id",
                 "source_version_id")
_META_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")
_STORAGE_CLASS = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # STANDARD_IA on S3, InfrequentAccess on OCI
# S3's rule for tag keys (1-128) and values (0-256): letters, digits, spaces and _ . : / = + - @
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")

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
        return check_inputs(cls.defaults(props))

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


def check_inputs(p: Mapping[str, Any], name: Callable[[str], str] = lambda prop: prop) -> list[tuple[str, str]]:
    """(property, message) for every input in `p` (defaults filled in) that breaks a rule. `name` says how the
    user wrote each input, and the messages use it: `if_match` for the resource, `--if-match` for the command.
    Besides the resource's inputs, it checks the command's own: if_none_match, if_modified_since, dest_if_match."""
    failures: list[tuple[str, str]] = []

    def bad(prop: str, reason: str) -> None:
        failures.append((prop, f"{name(prop)}: {reason}"))

    for prop in ("source", "destination"):
        if prop not in p:  # a prefix copy: the command checks its prefixes itself
            continue
        if not isinstance(p[prop], str) or not p[prop]:
            bad(prop, "required: an object URL such as s3://bucket/key, swift://container/object or file:///path")
            continue
        try:
            url = parse(p[prop], field=name(prop))
        except URLError as e:
            failures.append((prop, str(e)))
            continue
        if problem := key_problem(url.scheme, url.key, default_limits(url.scheme)):
            bad(prop, problem)
    for prop, allowed in ENUMS.items():
        if prop in p and p[prop] not in allowed:
            bad(prop, f"{p[prop]!r} is not one of {', '.join(allowed)}")
    for prop in HEADER_INPUTS:
        if p.get(prop) is not None and (problem := header_value_problem(p[prop])):
            bad(prop, problem)
    _check_maps(p, bad)
    if p.get("metadata_directive") == "REPLACE" and not p.get("metadata") and not p.get("content_type"):
        bad("metadata", f"{name('metadata_directive')} REPLACE with no {name('metadata')} and no "
                        f"{name('content_type')} would strip the object's metadata; give {name('metadata')}, or "
                        "use COPY to keep the source's")
    for prop in ("overwrite", "track_source", "adopt_existing"):
        if prop in p and not isinstance(p[prop], bool):
            bad(prop, f"must be true or false, not {p[prop]!r}")
    for prop in ("if_unmodified_since", "if_modified_since"):
        if p.get(prop) is not None and (problem := date_problem(p[prop])):
            bad(prop, problem)
    for prop in ("if_match", "if_none_match", "dest_if_match"):
        if p.get(prop) is not None and (problem := etag_problem(p[prop], star=prop == "if_none_match")):
            bad(prop, problem)
    _check_object_options(p, bad, name)
    return failures


def _check_maps(p: Mapping[str, Any], bad: Callable[[str, str], None]) -> None:
    for prop in ("metadata", "tags"):
        value = p.get(prop)
        if value is None:
            continue
        if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in value.items()):
            bad(prop, "must be a map of strings to strings")
        elif prop == "metadata":
            for key, text in value.items():
                if not _META_KEY.fullmatch(key):
                    bad(prop, f"key {key!r} must be lower-case letters, digits, '.', '_' or '-' "
                              "(stores lower-case metadata names)")
                elif problem := header_value_problem(text):
                    bad(prop, f"the value of {key!r}: {problem}")
        else:
            for key, tag in value.items():
                if not (0 < len(key) <= 128 and len(tag) <= 256 and _TAG_TEXT.fullmatch(key + tag)):
                    bad(prop, f"tag {key!r}: keys (1-128) and values (up to 256) may hold letters, digits, "
                              "spaces and _ . : / = + - @ only")


def _check_object_options(p: Mapping[str, Any], bad: Callable[[str, str], None],
                          name: Callable[[str], str]) -> None:
    if p.get("acl") is not None and p["acl"] not in CANNED_ACLS:
        bad("acl", f"{p['acl']!r} is not a canned ACL: {', '.join(CANNED_ACLS)}")
    if p.get("storage_class") is not None and not _STORAGE_CLASS.fullmatch(str(p["storage_class"])):
        bad("storage_class", f"{p['storage_class']!r} must be a class name such as STANDARD_IA (S3) or "
                             "InfrequentAccess (OCI)")
    if p.get("server_side_encryption") is not None and p["server_side_encryption"] not in SSE:
        bad("server_side_encryption", f"{p['server_side_encryption']!r} is not one of {', '.join(SSE)}")
    if p.get("kms_key_id") and p.get("server_side_encryption") not in (None, "aws:kms", "aws:kms:dsse"):
        bad("kms_key_id", f"needs {name('server_side_encryption')} aws:kms (or leave it unset)")
