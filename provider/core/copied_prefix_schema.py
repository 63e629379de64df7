"""CopiedPrefix's properties, declared once: the CopiedObject copy options (the same Prop objects, so they read and
validate alike), the prefixes and filters, and the outputs a plan and `objectcopy drift` need."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import URLError
from ..stores.base import WriteOptions
from ..sync.filters import KeyFilter, glob_problems
from ..urls import ObjectURL, parse
from .copied_object_schema import SCHEMA as OBJECT_SCHEMA
from .copied_object_schema import Args, kms_needs_kms, replace_needs_something
from .schema import BOOL, INT, STRING, STRING_LIST, Prop, ResourceSchema

# What every object is written with; a change writes every object again.
COPY_OPTIONS = ("metadata_directive", "metadata", "content_type", "cache_control", "content_disposition",
                "content_encoding", "tags", "tagging_directive", "acl", "storage_class", "server_side_encryption",
                "kms_key_id")
# Inputs that change only how the resource behaves: an update that changes nothing else makes no request.
BEHAVIOUR = ("delete_policy", "concurrency")
PLANNED = ("source_digest", "object_count", "total_bytes")


def _is_prefix(value: str) -> str | None:
    try:
        url = parse(value, allow_prefix=True)
    except URLError as e:
        return str(e).split(": ", 1)[-1]
    if not url.is_prefix:
        return (f"{value!r} names an object, not a prefix: end it with '/' ({value}/) or name a bucket "
                f"({url.scheme}://{url.bucket}/)")
    return None


def _globs(patterns: list[str]) -> str | None:
    problems = glob_problems(patterns)
    return "; ".join(problems) if problems else None


def _positive(value: int) -> str | None:
    return None if value >= 1 else f"must be 1 or more, not {value}"


SCHEMA = ResourceSchema(
    name="CopiedPrefix",
    drift={"drift": "destination changed", "source_digest": "source changed"},
    description="Every object under a source prefix copied to the same relative key under a destination prefix and "
                "kept in step: a preview lists both prefixes (never a request per object) and says what an update "
                "will do; refresh finds objects edited or deleted by hand; destroy and prune delete only what this "
                "resource wrote.",
    import_id="SOURCE,DESTINATION",
    props=(
        Prop("source", STRING, "prefix URL to copy from, ending in '/' (or a bucket): s3://golden/v42/assets/",
             required=True, rules=(_is_prefix,)),
        Prop("destination", STRING, "prefix URL to copy to, ending in '/'; a new physical destination replaces the "
             "resource", required=True, replaces=True, rules=(_is_prefix,)),
        Prop("include", STRING_LIST, "globs on the key relative to the source prefix; only matching objects are "
             "copied (default: all). `*` stays within a folder, `**` crosses folders, a pattern without '/' "
             "matches the name at any depth", default=[], rules=(_globs,)),
        Prop("exclude", STRING_LIST, "globs of keys never copied, counted or pruned (same syntax as include)",
             default=[], rules=(_globs,)),
        *(OBJECT_SCHEMA.prop(name) for name in COPY_OPTIONS),
        Prop("prune", BOOL, "delete objects this resource wrote whose source is gone (or no longer included); "
             "nothing else under the destination is ever touched", default=False),
        Prop("delete_policy", STRING, "delete (destroy deletes the objects this resource wrote that still hold "
             "what it wrote) or retain (destroy deletes nothing)", default="delete", choices=("delete", "retain"),
             case="lower"),
        Prop("concurrency", INT, "objects copied at a time (within the process-wide request cap)", default=32,
             rules=(_positive,)),
        Prop("source_digest", STRING, "digest of the source's key -> ETag list: planned at every preview from one "
             "listing, so a changed source shows as an update", output=True, planned=True),
        Prop("object_count", INT, "objects under the source prefix (after include/exclude), as planned",
             output=True, planned=True),
        Prop("total_bytes", INT, "their total size in bytes, as planned", output=True, planned=True),
        Prop("copied_count", INT, "objects copied by the last update that copied any (a no-op keeps it)",
             output=True),
        Prop("written_count", INT, "objects this resource wrote (or adopted) and still owns: what destroy may "
             "delete", output=True),
        Prop("last_sync", STRING, "what the last update did, in counts", output=True),
        Prop("synced_at", STRING, "when the last update ran (ISO 8601)", output=True),
        Prop("drift", STRING, "objects this resource wrote found edited or deleted by hand at the last refresh "
             "(empty: none); the next update restores exactly those", output=True),
        Prop("drifted_count", INT, "how many objects `drift` names", output=True),
        Prop("written", STRING, "the record of what this resource wrote: each key with fingerprints of the ETag "
             "written and the source ETag copied, compressed (about 11 bytes a key)", output=True, internal=True),
    ),
    cross_rules=(replace_needs_something, kms_needs_kms),  # CopiedObject's, judged as for one object
)


@dataclass(frozen=True)
class PrefixArgs:
    """The checked inputs as the sync engine needs them."""

    props: Mapping[str, Any]

    @property
    def source(self) -> str:
        return str(self.props["source"])

    @property
    def destination(self) -> str:
        return str(self.props["destination"])

    @property
    def source_url(self) -> ObjectURL:
        return parse(self.source, field="source", allow_prefix=True)

    @property
    def destination_url(self) -> ObjectURL:
        return parse(self.destination, field="destination", allow_prefix=True)

    @property
    def keys(self) -> KeyFilter:
        return KeyFilter.of(self.props.get("include"), self.props.get("exclude"))

    @property
    def prune(self) -> bool:
        return bool(self.props.get("prune"))

    @property
    def concurrency(self) -> int:
        return int(self.props.get("concurrency") or 32)

    def write_options(self) -> WriteOptions:
        options = {k: self.props.get(k) for k in COPY_OPTIONS}
        return Args.from_props({**options, "source": self.source,
                                "destination": self.destination}).write_options(overwrite=True)
