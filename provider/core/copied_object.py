"""CopiedObject's decisions: a server-side copy of one object, kept in sync with its source. Plain data in, plain
data out (api.py); every request goes through the transfer layer.

How a changed source reaches a plan: check() HEADs the source and records the ETag it saw as the planned
`source_etag`, so the plan shows `source_etag: old -> new` as an update, and create/update copy exactly that ETag
(pinned on the copy). How drift reaches a plan: read() reports the destination's live `etag`; when it differs from
`written_etag` (what this resource wrote), diff() plans an update that restores the copy.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .. import transfer
from ..errors import (
    Cancelled,
    NotFound,
    ObjectCopyError,
    PreconditionFailed,
    UsageError,
)
from ..etags import same_etag
from ..stores import STORE_MODULES, open_store
from ..stores.base import ObjectInfo
from ..urls import parse
from .api import (
    UNKNOWN,
    Applied,
    Change,
    CheckResult,
    Context,
    DiffResult,
    Failure,
    Props,
    ReadResult,
    is_unknown,
)
from .cancel import aborted_on_cancel
from .copied_object_schema import COPY_INPUTS, SCHEMA, Args
from .errors import within


class CopiedObject:
    schema = SCHEMA

    # --- check: validate, and plan the source ETag -----------------------------------------------------------
    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = SCHEMA.with_defaults(news)
        inputs["source_etag"] = None
        failures = list(SCHEMA.validate(inputs))
        if failures:
            return CheckResult(inputs, tuple(failures))
        unknown = {k for k, v in inputs.items() if is_unknown(v)}
        # Judged as far as it is known: an input still unknown (another resource's output) counts as not given.
        args = Args.from_props({k: v for k, v in inputs.items() if k not in unknown})
        if "destination" not in unknown:
            failures += _check_destination(args, unknown)
        if "source" not in unknown and not failures:
            planned, source_failures = _plan_source(args, unknown)
            failures += source_failures
            if args.track_source:
                inputs["source_etag"] = planned
        return CheckResult(inputs, tuple(failures))

    # --- diff and plan ---------------------------------------------------------------------------------------
    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        old = _recorded_inputs(state)
        changes = [Change(k) for k in SCHEMA.input_names if k != "source_etag" and old.get(k) != inputs.get(k)]
        if _source_changed(state, inputs):
            changes.append(Change("source_etag", f"source ETag changed from {state.get('source_etag')} to "
                                                 f"{inputs.get('source_etag')}: will copy it again"))
        if _drifted(state):
            changes.append(Change("etag", f"the destination was changed outside (ETag {state.get('etag')}, this "
                                          f"resource wrote {state.get('written_etag')}): will copy it again"))
        moved = any(c.property == "destination" for c in changes) and not _same_place(
            state.get("destination"), inputs.get("destination"))
        return DiffResult(changes=tuple(changes), replaces=("destination",) if moved else ())

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        outputs = {name: UNKNOWN for name in SCHEMA.output_names}
        if state is not None and not _needs_copy(state, inputs):
            return {**state, **SCHEMA.echoed_inputs(inputs), "source_etag": state.get("source_etag")}
        planned = inputs.get("source_etag")
        pinned = inputs.get("track_source") is True and isinstance(planned, str) and not inputs.get("adopt_existing")
        return {**outputs, **SCHEMA.echoed_inputs(inputs), "source_etag": planned if pinned else UNKNOWN}

    # --- create / update -------------------------------------------------------------------------------------
    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        args = Args.from_props(inputs)
        try:
            outs = _adopt(args) if args.adopt_existing else None
        except ObjectCopyError as e:
            raise within(e, f"CopiedObject {args.source} -> {args.destination}: adopting") from None
        if outs is None:
            outs = _copy(args, inputs, overwrite=args.overwrite, ctx=ctx)
        return Applied(args.destination, outs)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        if not _needs_copy(state, inputs):  # only behaviour changed (delete_policy, a profile's name): no request
            return Applied(id, self.plan(state, inputs))
        # Updates overwrite: the destination is this resource's own object.
        return Applied(id, _copy(Args.from_props(inputs), inputs, overwrite=True, ctx=ctx))

    # --- read (refresh) and import ---------------------------------------------------------------------------
    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        args = Args.from_props(state)
        try:
            live = transfer.head(args.destination_url)
        except NotFound:
            return ReadResult(None)  # deleted by hand: dropped, and the next apply copies again
        except ObjectCopyError as e:
            raise within(e, f"CopiedObject refresh of {args.destination}") from None
        outs = {**state, "etag": live.etag, "size": live.size, "last_modified": _iso(live.last_modified),
                "version_id": live.version_id}
        return ReadResult(id, outs, _recorded_inputs(state))

    def import_(self, id: str, ctx: Context) -> ReadResult:
        source, destination = split_import_id(id)
        inputs = SCHEMA.with_defaults({"source": source, "destination": destination})
        failures = SCHEMA.validate(inputs)
        if failures:
            raise UsageError(f"import id {id!r}: " + "; ".join(f.reason for f in failures))
        args = Args.from_props(inputs)
        try:
            outs = _adopt(args)
            if outs is None:
                dst, src = transfer.head(args.destination_url), transfer.head(args.source_url)
                raise UsageError(f"import {id!r}: {destination} is not a copy of {source} (ETag {dst.etag}, "
                                 f"{dst.size} bytes; the source has ETag {src.etag}, {src.size} bytes); copy it "
                                 "with a CopiedObject instead of importing it")
        except NotFound as e:
            raise UsageError(f"import {id!r}: {e}") from None
        outs["method"] = "imported"
        return ReadResult(args.destination, outs, _recorded_inputs(outs))

    # --- delete ----------------------------------------------------------------------------------------------
    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        args = Args.from_props(state)
        if args.delete_policy == "retain":
            return ()
        try:
            if args.delete_policy == "all-versions":
                transfer.delete_all_versions(args.destination_url)
                return ()
            written_at = state.get("last_modified")
            why = transfer.delete_if_unchanged(args.destination_url, state.get("written_etag"),
                                               datetime.fromisoformat(written_at) if written_at else None)
        except ObjectCopyError as e:
            raise within(e, f"CopiedObject delete of {args.destination}") from None
        return (f"CopiedObject: {why}",) if why else ()


def split_import_id(text: str) -> tuple[str, str]:
    """`SOURCE,DESTINATION`: the two URLs joined by the comma that starts the destination URL (`,scheme://`), so
    keys holding commas still work."""
    for scheme in STORE_MODULES:
        marker = f",{scheme}://"
        at = text.rfind(marker)
        if at > 0:
            return text[:at], text[at + 1:]
    raise UsageError(f"import id {text!r}: expected SOURCE,DESTINATION, two object URLs joined by a comma, such as "
                     "s3://golden/db.dump,s3://env-dev/db.dump")


# --- the pieces ----------------------------------------------------------------------------------------------------
def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _recorded_inputs(props: Mapping[str, Any]) -> Props:
    """The input part of a state (its outputs echo every input), with the planned source ETag."""
    return {k: props.get(k) for k in SCHEMA.input_names + ("source_etag",)}


def _source_changed(state: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    planned = inputs.get("source_etag")
    return inputs.get("track_source", True) is not False and planned is not None and not is_unknown(planned) \
        and not same_etag(planned, state.get("source_etag"))


def _drifted(state: Mapping[str, Any]) -> bool:
    return state.get("written_etag") is not None and not same_etag(state.get("etag"), state.get("written_etag"))


def _needs_copy(state: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    old = _recorded_inputs(state)
    return any(old.get(k) != inputs.get(k) for k in COPY_INPUTS) or _drifted(state) \
        or (inputs.get("track_source") is True and _source_changed(state, inputs))


def _same_place(old: Any, new: Any) -> bool:
    """True when two destination URLs name one physical object (only a profile's name changed, say)."""
    if is_unknown(new) or not isinstance(old, str) or not isinstance(new, str):
        return False
    try:
        return transfer.location(parse(old)) == transfer.location(parse(new))
    except ObjectCopyError:
        return False  # the old profile is gone: it cannot be proven the same place, so replace


def _check_destination(args: Args, unknown: set[str]) -> list[Failure]:
    try:
        store = open_store(args.destination_url)
    except ObjectCopyError as e:
        return [Failure("destination", f"destination: {e}")]
    options = args.write_options()
    return [Failure(name, f"{name}: {reason} (destination {args.destination})")
            for name, reason in options.unsupported(store.capabilities) if name not in unknown]


def _plan_source(args: Args, unknown: set[str]) -> tuple[str | None, list[Failure]]:
    """HEAD the source once: its ETag becomes the plan, and the user's preconditions are judged now."""
    try:
        info = transfer.head(args.source_url, version_id=args.source_version_id)
    except NotFound:
        # It may be written by another resource earlier in this same update; create says so if not.
        return None, []
    except ObjectCopyError as e:
        return None, [Failure("source", f"source: {e}")]
    for name, conditions in args.conditions_by_input().items():
        if name in unknown:
            continue
        try:
            conditions.check(info)
        except PreconditionFailed as e:
            return info.etag, [Failure(name, f"{name}: {e}; nothing was copied")]
    return info.etag, []


def _progress(ctx: Context) -> Callable[[int, int, int, int], None] | None:
    report = ctx.progress
    if report is None:
        return None
    return lambda done, total, _parts_done, _parts: report(done, total)


def _copy(args: Args, props: Mapping[str, Any], *, overwrite: bool, ctx: Context) -> Props:
    planned = props.get("source_etag") if args.track_source else None
    doing = f"CopiedObject {args.source} -> {args.destination}"
    try:
        with aborted_on_cancel(ctx, doing):
            result = transfer.copy_object(args.source_url, args.destination_url, conditions=args.conditions,
                                          options=args.write_options(overwrite=overwrite),
                                          source_version_id=args.source_version_id,
                                          planned_source_etag=planned, progress=_progress(ctx),
                                          sweep_stale_uploads=True)  # the destination is this resource's own
    except Cancelled:
        raise
    except ObjectCopyError as e:
        raise within(e, doing) from None
    assert result.destination is not None  # only a dry run leaves it out
    return _outputs(args, result.source, result.destination, result.method)


def _adopt(args: Args) -> Props | None:
    """Take over a destination that already holds the source's content, without copying."""
    try:
        dst = transfer.head(args.destination_url)
    except NotFound:
        return None
    src = transfer.head(args.source_url, version_id=args.source_version_id)
    same = same_etag(dst.etag, src.etag) or (dst.md5 is not None and dst.md5 == src.md5)
    if not same or dst.size != src.size:
        return None
    return _outputs(args, src, dst, "adopted")


def _outputs(args: Args, src: ObjectInfo, dst: ObjectInfo, method: str) -> Props:
    return {
        **SCHEMA.with_defaults(args.as_props()),
        "etag": dst.etag, "size": dst.size, "last_modified": _iso(dst.last_modified),
        "version_id": dst.version_id, "source_etag": src.etag, "copied_source_version_id": src.version_id,
        "source_last_modified": _iso(src.last_modified),
        "copied_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "method": method, "written_etag": dst.etag,
    }


RESOURCE = CopiedObject()
