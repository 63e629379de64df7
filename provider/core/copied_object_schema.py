"""CopiedObject's properties, declared once, and its inputs as the transfer layer needs them."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

from ..copy_inputs import CopiedObjectArgs
from ..stores.base import SourceConditions
from .schema import BOOL, INT, STRING, STRING_MAP, Prop, ResourceSchema


def _legacy_rules(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rules copied_object_args.py has always applied (its messages already start with the property)."""
    return [(name, reason.split(": ", 1)[1] if reason.startswith(f"{name}: ") else reason)
            for name, reason in CopiedObjectArgs.validate(inputs)]


ENUMS = {"metadata_directive": ("COPY", "REPLACE"), "tagging_directive": ("COPY", "REPLACE"),
         "delete_policy": ("delete", "retain", "all-versions")}

SCHEMA = ResourceSchema(
    name="CopiedObject",
    description="A server-side copy of one object, kept in sync with its source: the source ETag read at plan time "
                "is pinned on the copy, a changed source shows in the plan, a destination edited by hand in a "
                "refresh.",
    import_id="SOURCE,DESTINATION",
    props=(
        Prop("source", STRING, "object URL to copy from; a profile can be named: s3://PROFILE@bucket/key",
             required=True),
        Prop("destination", STRING, "object URL to copy to; a new physical destination replaces the resource",
             required=True, replaces=True),
        Prop("source_version_id", STRING, "copy this version of the source (S3 versioning); default: the latest"),
        Prop("metadata_directive", STRING, "COPY keeps the source's metadata and content type (anything given is "
             "merged over them); REPLACE sets exactly what is given, and needs metadata or content_type",
             default="COPY", choices=ENUMS["metadata_directive"], case="upper"),
        Prop("metadata", STRING_MAP, "user metadata, lower-case keys", default={}),
        Prop("content_type", STRING, "Content-Type of the copy; default: the source's"),
        Prop("cache_control", STRING, "Cache-Control of the copy; default: the source's"),
        Prop("content_disposition", STRING, "Content-Disposition of the copy; default: the source's"),
        Prop("content_encoding", STRING, "Content-Encoding of the copy; default: the source's"),
        Prop("tags", STRING_MAP, "object tags; giving tags replaces the source's"),
        Prop("tagging_directive", STRING, "COPY keeps the source's tags, REPLACE sets `tags`", default="COPY",
             choices=ENUMS["tagging_directive"], case="upper"),
        Prop("acl", STRING, "S3 canned ACL; default: the store's"),
        Prop("storage_class", STRING, "storage class (STANDARD_IA on S3, InfrequentAccess on OCI); default: the "
             "store's"),
        Prop("server_side_encryption", STRING, "AES256, aws:kms or aws:kms:dsse; a KMS key implies aws:kms"),
        Prop("kms_key_id", STRING, "KMS key for aws:kms encryption"),
        Prop("if_match", STRING, "your precondition on the source's ETag, checked at plan time when the source can "
             "be read, and on the copy itself"),
        Prop("if_unmodified_since", STRING, "your precondition on the source's date (ISO 8601 or RFC 1123), checked "
             "at plan time and on the copy"),
        Prop("overwrite", BOOL, "false: create only where the destination does not exist", default=True),
        Prop("track_source", BOOL, "copy again when the source changes (its ETag is planned at every plan); false "
             "copies once", default=True),
        Prop("adopt_existing", BOOL, "take over a destination that already holds the source's content (same ETag, "
             "or same MD5), without copying", default=False),
        Prop("delete_policy", STRING, "delete (only if it is still the object this resource wrote), retain (never), "
             "all-versions (every version of the key, on versioned buckets)", default="delete",
             choices=ENUMS["delete_policy"], case="lower"),
        Prop("etag", STRING, "the destination's ETag, as last seen", output=True),
        Prop("size", INT, "the destination's size in bytes, as last seen", output=True),
        Prop("last_modified", STRING, "the destination's Last-Modified, as last seen (ISO 8601)", output=True),
        Prop("version_id", STRING, "the destination's version id, on versioned buckets", output=True),
        Prop("source_etag", STRING, "the source ETag copied: planned at every plan, and pinned on the copy",
             output=True, planned=True),
        Prop("copied_source_version_id", STRING, "the source version copied", output=True),
        Prop("source_last_modified", STRING, "the source's Last-Modified when copied", output=True),
        Prop("copied_at", STRING, "when the copy was made (ISO 8601)", output=True),
        Prop("method", STRING, "server-side, server-side-multipart, streamed, streamed-multipart, adopted or "
             "imported", output=True),
        Prop("written_etag", STRING, "the ETag this resource wrote; drift is etag != written_etag", output=True),
    ),
    cross_rules=(_legacy_rules,),
)

# Inputs whose change means the object must be copied again; the others (track_source, adopt_existing,
# delete_policy, overwrite) only change how the resource behaves.
COPY_INPUTS = tuple(n for n in SCHEMA.input_names
                    if n not in ("track_source", "adopt_existing", "delete_policy", "overwrite", "destination"))


@dataclass(frozen=True)
class Args(CopiedObjectArgs):
    """The checked inputs, as the transfer layer needs them."""

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> "Args":
        return cls(**CopiedObjectArgs.defaults(props))

    def as_props(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def conditions_by_input(self) -> dict[str, SourceConditions]:
        """Each precondition input on its own, so a failure is reported on the input that failed."""
        full = self.conditions
        return {name: SourceConditions(**{name: getattr(full, name)})
                for name in ("if_match", "if_unmodified_since") if getattr(full, name) is not None}
