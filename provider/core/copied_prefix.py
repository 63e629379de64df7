"""CopiedPrefix's decisions: every object under a source prefix copied to the same relative key under a destination
prefix, kept in step. Plain data in, plain data out (api.py); the engine is provider/sync.

How a changed source reaches a plan: check() lists both prefixes at once (never a HEAD per object) and plans the
source's digest, count and size; diff() compares the digest with the state's and, from those listings and the record
of what this resource wrote, says what the update will do ("3 changed, 1 new, 2 gone from the source: db/a.sql,
..."). The update copies from the same listings when it runs in the process that planned it, each copy pinned on the
ETag listed; otherwise it lists again and refuses if the source is no longer what was planned.
How drift reaches a plan: keys this resource wrote whose ETag changed at the destination, or which are gone, seen
by check()'s listing or recorded by read() (refresh), make diff() plan an update that restores exactly those.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .. import transfer
from ..errors import NotFound, ObjectCopyError, PreconditionFailed, URLError, UsageError
from ..stores import open_store
from ..sync import listing as listings
from ..sync import plan as planning
from ..sync import record as records
from ..sync.filters import KeyFilter
from ..sync.run import Outcome, carry_out, delete_keys
from ..urls import ObjectURL
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
from .copied_object import split_import_id
from .copied_prefix_schema import BEHAVIOUR, COPY_OPTIONS, PLANNED, SCHEMA, PrefixArgs
from .errors import within

FIRST = 5  # keys named in a message


class CopiedPrefix:
    schema = SCHEMA

    # --- check: validate, and plan from one listing of the source --------------------------------------------
    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = SCHEMA.with_defaults(news)
        inputs.update(dict.fromkeys(PLANNED))
        failures = list(SCHEMA.validate(inputs))
        if failures:
            return CheckResult(inputs, tuple(failures))
        unknown = {k for k, v in inputs.items() if is_unknown(v)}
        args = PrefixArgs(inputs)
        if "destination" not in unknown:
            failures += _check_destination(args, unknown)
        if not failures and not unknown & {"source", "destination"}:
            failures += _check_overlap(args)
        if not failures and not unknown & {"source", "destination", "include", "exclude"}:
            try:
                source, dest = _both(args)
            except _ListingFailed as e:
                return CheckResult(inputs, (Failure(e.side, f"{e.side}: {e.error}"),))
            inputs.update(_planned(source))
            PLANS.put(_plan_key(inputs), (source, dest))
        return CheckResult(inputs, tuple(failures))

    # --- diff and plan ---------------------------------------------------------------------------------------
    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        changes = [Change(k) for k in SCHEMA.input_names if state.get(k) != inputs.get(k)]
        planned = inputs.get("source_digest")
        listed = PLANS.get(_plan_key(inputs))
        if state.get("destination") != inputs.get("destination"):
            listed = None  # the record is of the old destination: its listing says nothing about the new one
        record = _record(state) if listed is not None else {}
        if planned is not None and not is_unknown(planned) and planned != state.get("source_digest"):
            changes.append(Change("source_digest", _pending(state, inputs, listed, record)))
        drift = _drift(record, listed[1]) if listed is not None else state.get("drift")
        if drift:  # seen in the destination's listing just made, or by the last refresh
            changes.append(Change("drift", f"{drift}: will restore them"))
        moved = any(c.property == "destination" for c in changes) and not _same_place(
            state.get("destination"), inputs.get("destination"))
        return DiffResult(changes=tuple(changes), replaces=("destination",) if moved else ())

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        if state is not None and not _needs_sync(state, inputs):
            return {**state, **SCHEMA.echoed_inputs(inputs), **{k: state.get(k) for k in PLANNED}}
        outputs = {name: UNKNOWN for name in SCHEMA.output_names}
        return {**outputs, **SCHEMA.echoed_inputs(inputs), **{k: inputs.get(k, UNKNOWN) for k in PLANNED}}

    # --- create / update -------------------------------------------------------------------------------------
    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        return _sync(None, inputs, ctx)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        if not _needs_sync(state, inputs):  # only behaviour changed (delete_policy, concurrency): no request
            return Applied(id, self.plan(state, inputs))
        return _sync(state, inputs, ctx)

    # --- read (refresh) and import ---------------------------------------------------------------------------
    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        args = PrefixArgs(state)
        record = _record(state)
        try:
            dest = _list(args.destination_url, None)
        except NotFound:
            dest = {}  # the bucket itself is gone: every object this resource wrote was deleted
        except ObjectCopyError as e:
            raise within(e, f"CopiedPrefix refresh of {args.destination}") from None
        drift = _drift(record, dest)
        outs = {**state, "drift": drift, "drifted_count": _drifted_count(record, dest)}
        return ReadResult(id, outs, _recorded_inputs(state))

    def import_(self, id: str, ctx: Context) -> ReadResult:
        source, destination = split_import_id(id)
        checked = self.check({"source": source, "destination": destination})
        if checked.failures:
            raise UsageError(f"import id {id!r}: " + "; ".join(f.reason for f in checked.failures))
        args = PrefixArgs(checked.inputs)
        src, dst = _listings(args, checked.inputs)
        plan = planning.plan_resource(src, dst, {}, args.source_url, args.destination_url, prune=False)
        if src and not plan.adopt:
            raise UsageError(f"import {id!r}: none of the {len(src):,} objects under {source} has a copy under "
                             f"{destination} ({_first(sorted(plan.copy_keys))}); check the two prefixes, or create a "
                             "CopiedPrefix, which copies them")
        # The id cannot carry include/exclude, so what the configuration leaves out may be missing here: what is in
        # step is adopted, and the state says the source held only that, so the next update copies the rest.
        record = planning.next_record({}, plan, src, dst, {}, set())
        inputs = checked.inputs
        warnings: tuple[str, ...] = ()
        if plan.copy:
            missing = sorted(plan.copy_keys)
            inputs = {**inputs, **_planned({rel: src[rel] for rel in plan.adopt})}
            warnings = (f"CopiedPrefix {destination}: adopted {len(plan.adopt):,} of the {len(src):,} objects "
                        f"under the source; {len(missing):,} have no copy here yet ({_first(missing)}): the next "
                        "update copies those its include and exclude select",)
        outs = _outputs(inputs, record, f"{len(record):,} adopted", copied=0)
        return ReadResult(args.destination, outs, _recorded_inputs(outs), warnings)

    # --- delete ----------------------------------------------------------------------------------------------
    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        args = PrefixArgs(state)
        if state.get("delete_policy") == "retain":
            return ()
        record = _record(state)
        try:
            store = open_store(args.destination_url)
            dest = listings.list_prefix(store, args.destination_url)
        except NotFound:
            return ()  # the bucket is gone, and with it everything this resource wrote
        except ObjectCopyError as e:
            raise within(e, f"CopiedPrefix delete of {args.destination}") from None
        mine = [rel for rel, w in record.items() if rel in dest and w.holds(dest[rel].etag)]
        changed = sorted(rel for rel, w in record.items() if rel in dest and not w.holds(dest[rel].etag))
        _, failed = delete_keys(mine, args.destination_url, store, concurrency=args.concurrency,
                                cancelled=ctx.cancelled)
        if failed:
            raise ObjectCopyError(f"CopiedPrefix delete of {args.destination}: {len(failed):,} of {len(mine):,} "
                                  f"deletes failed: " + "; ".join(f"{k}: {e}" for k, e in failed[:3]))
        others = len(dest) - len(mine) - len(changed)
        if not changed and not others:
            return ()
        parts = []
        if changed:
            parts.append(f"{len(changed):,} this resource wrote but changed since ({_first(changed)})")
        if others:
            parts.append(f"{others:,} it did not write")
        return (f"CopiedPrefix: deleted {len(mine):,} objects under {args.destination}; left "
                + " and ".join(parts),)


# --- the pieces ----------------------------------------------------------------------------------------------------
# What a plan is kept under (source, include, exclude, planned digest) and what it keeps (source and destination
# listings).
PlanKey = tuple[Any, ...]
Both = tuple["listings.Listing", "listings.Listing"]


class _Plans:
    """The source and destination listings made by check(), by what they were planned for, so diff() can say what
    changed and the update in the same process copies exactly what was planned, without listing again. Two plans at
    most: a listing is about 30 MB at 100,000 keys."""

    def __init__(self, keep: int = 2):
        self.keep, self._lock = keep, threading.Lock()
        self._plans: OrderedDict[PlanKey, Both] = OrderedDict()

    def put(self, key: PlanKey, listing: Both) -> None:
        with self._lock:
            self._plans[key] = listing
            self._plans.move_to_end(key)
            while len(self._plans) > self.keep:
                self._plans.popitem(last=False)

    def get(self, key: PlanKey) -> Both | None:
        with self._lock:
            return self._plans.get(key)

    def pop(self, key: PlanKey) -> Both | None:
        with self._lock:
            return self._plans.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()


PLANS = _Plans()


def _plan_key(inputs: Mapping[str, Any]) -> PlanKey:
    return (inputs.get("source"), tuple(inputs.get("include") or ()), tuple(inputs.get("exclude") or ()),
            inputs.get("source_digest"))


def _list(prefix: ObjectURL, args: PrefixArgs | None) -> listings.Listing:
    return listings.list_prefix(open_store(prefix), prefix, args.keys if args else KeyFilter())


def _planned(source: listings.Listing) -> dict[str, Any]:
    return {"source_digest": listings.digest(source), "object_count": len(source),
            "total_bytes": listings.total_bytes(source.values())}


class _ListingFailed(Exception):
    """A listing that failed, and which side it was (the property a check reports it on)."""

    def __init__(self, side: str, error: ObjectCopyError):
        super().__init__(str(error))
        self.side, self.error = side, error


def _both(args: PrefixArgs) -> tuple[listings.Listing, listings.Listing]:
    """The source (filtered) and the destination (unfiltered: a key the filters now leave out may be one this
    resource wrote), listed at the same time. A destination bucket not there yet lists as empty. A failure raises
    _ListingFailed naming its side."""
    def dest() -> listings.Listing:
        try:
            return _list(args.destination_url, None)
        except NotFound:
            return {}
        except ObjectCopyError as e:
            raise _ListingFailed("destination", e) from None
    with ThreadPoolExecutor(2, thread_name_prefix="objectcopy-list") as pool:
        listed_dest = pool.submit(dest)
        try:
            source = _list(args.source_url, args)
        except ObjectCopyError as e:
            raise _ListingFailed("source", e) from None
        return source, listed_dest.result()


def _listings(args: PrefixArgs, inputs: Mapping[str, Any]) -> tuple[listings.Listing, listings.Listing]:
    """The listings as planned: from the check of this process, or listed again and held to the planned digest."""
    planned = inputs.get("source_digest")
    found = PLANS.pop(_plan_key(inputs))
    if found is None:
        try:
            found = _both(args)
        except _ListingFailed as e:
            raise e.error from None
    source, dest = found
    if isinstance(planned, str) and listings.digest(source) != planned:
        raise PreconditionFailed(f"the source {args.source} changed since it was planned ({len(source):,} objects "
                                 "now); nothing was copied: run the update again to copy what it holds now")
    return source, dest


def _sync(state: Mapping[str, Any] | None, inputs: Mapping[str, Any], ctx: Context) -> Applied:
    args = PrefixArgs(inputs)
    doing = f"CopiedPrefix {args.source} -> {args.destination}"
    record = _record(state) if state else {}
    try:
        stores = (open_store(args.source_url), open_store(args.destination_url))
        source, dest = _listings(args, inputs)
    except ObjectCopyError as e:
        raise within(e, doing) from None
    copy_all = state is not None and any(state.get(k) != inputs.get(k) for k in COPY_OPTIONS)
    plan = planning.plan_resource(source, dest, record, args.source_url, args.destination_url, prune=args.prune,
                                  copy_all=copy_all)
    if plan.copy or plan.prune:
        ctx.log("info", f"{doing}: {len(plan.copy):,} to copy, {len(plan.adopt):,} to adopt, "
                        f"{len(plan.prune):,} to prune, {plan.unchanged:,} unchanged")
    outcome = carry_out(plan, source, args.source_url, args.destination_url, stores,
                        options=args.write_options(), concurrency=args.concurrency, cancelled=ctx.cancelled,
                        on_progress=_progress(ctx), owned=True)
    if outcome.failed or outcome.prune_failed or outcome.cancelled:
        raise _failure(doing, plan, outcome)
    record = planning.next_record(record, plan, source, dest, outcome.written, outcome.pruned)
    copied = len(outcome.written) if outcome.written or state is None else state.get("copied_count")
    outs = _outputs(inputs, record, _last_sync(plan, outcome), copied=copied)
    warnings: tuple[str, ...] = ()
    if plan.left:
        warnings = (f"{doing}: left {len(plan.left):,} objects whose source is gone, because they were changed "
                    f"since this resource wrote them ({_first(plan.left)}); they are no longer this resource's",)
    return Applied(args.destination, outs, warnings)


def _failure(doing: str, plan: planning.Plan, outcome: Outcome) -> ObjectCopyError:
    if outcome.cancelled:
        return ObjectCopyError(f"{doing}: cancelled after {len(outcome.written):,} of {len(plan.copy):,} copies; "
                               "the next update adopts what was copied and copies the rest")
    failed = len(outcome.failed) + len(outcome.prune_failed)
    error = ObjectCopyError(f"{doing}: {failed:,} of {len(plan.copy) + len(plan.prune):,} objects failed "
                            f"({outcome.errors()}); {len(outcome.written):,} were copied, and the next update adopts "
                            "them")
    if outcome.changed and len(outcome.changed) == failed:  # sources changed since they were listed, nothing else
        error = PreconditionFailed(f"{doing}: {failed:,} of {len(plan.copy):,} objects changed at the source since "
                                   f"it was planned ({_first(sorted(outcome.changed))}) and were not copied; "
                                   f"{len(outcome.written):,} were copied, and the next update adopts them and "
                                   "copies the new versions")
    return error


def _outputs(inputs: Mapping[str, Any], record: records.Record, last_sync: str, *, copied: Any) -> Props:
    return {
        **SCHEMA.echoed_inputs(inputs), **{k: inputs.get(k) for k in PLANNED},
        "copied_count": copied, "written_count": len(record), "last_sync": last_sync,
        "synced_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "drift": "", "drifted_count": 0,
        "written": records.encode(record),
    }


def _last_sync(plan: planning.Plan, outcome: Outcome) -> str:
    parts = [f"{len(outcome.written):,} copied"]
    for n, what in ((len(plan.adopt), "adopted"), (len(outcome.pruned), "pruned"), (plan.unchanged, "unchanged"),
                    (len(plan.kept), "kept (gone from the source; prune is off)"), (len(plan.left), "left")):
        if n:
            parts.append(f"{n:,} {what}")
    return ", ".join(parts)


def _progress(ctx: Context) -> Callable[[Any], None] | None:
    report = ctx.progress
    if report is None:
        return None
    return lambda tally: report(tally.bytes_done, tally.bytes_total)


def _record(state: Mapping[str, Any]) -> records.Record:
    try:
        return records.decode(state.get("written"))
    except records.RecordError as e:
        raise UsageError(f"CopiedPrefix {state.get('destination')}: {e}; run `pulumi refresh` with the version "
                         "that wrote it") from None


def _pending(state: Mapping[str, Any], inputs: Mapping[str, Any], listed: Both | None,
             record: records.Record) -> str:
    if listed is None:
        return (f"the source's listing changed (digest {state.get('source_digest')} -> "
                f"{inputs.get('source_digest')}; {inputs.get('object_count')} objects): will copy what changed")
    return planning.pending(listed[0], record).describe(prune=bool(inputs.get("prune")), first=FIRST)


def _drift(record: records.Record, dest: listings.Listing) -> str:
    edited = sorted(rel for rel, mine in record.items() if rel in dest and not mine.holds(dest[rel].etag))
    deleted = sorted(rel for rel in record if rel not in dest)
    return _drift_text(edited, deleted)


def _drifted_count(record: records.Record, dest: listings.Listing) -> int:
    return sum(1 for rel, mine in record.items() if rel not in dest or not mine.holds(dest[rel].etag))


def _drift_text(edited: list[str], deleted: list[str]) -> str:
    parts = [f"{len(keys):,} {what}" for keys, what in ((edited, "edited"), (deleted, "deleted")) if keys]
    return f"{' and '.join(parts)} by hand: {_first(edited + deleted)}" if parts else ""


def _first(keys: list[str]) -> str:
    shown = ", ".join(keys[:FIRST])
    return shown + (f", ... ({len(keys) - FIRST:,} more)" if len(keys) > FIRST else "")


def _recorded_inputs(props: Mapping[str, Any]) -> Props:
    return {k: props.get(k) for k in SCHEMA.input_names + PLANNED}


def _needs_sync(state: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
    if state.get("drifted_count"):
        return True
    listed = PLANS.get(_plan_key(inputs))
    if listed is not None and _drifted_count(_record(state), listed[1]):
        return True
    planned = inputs.get("source_digest")
    if is_unknown(planned) or (planned is not None and planned != state.get("source_digest")):
        return True
    if inputs.get("prune") and not state.get("prune"):
        return True  # objects kept while prune was off may be due for deletion now
    return any(state.get(k) != inputs.get(k) for k in SCHEMA.input_names
               if k not in BEHAVIOUR and k != "prune")


def _same_place(old: Any, new: Any) -> bool:
    if is_unknown(new) or not isinstance(old, str) or not isinstance(new, str):
        return False
    try:
        return transfer.location(PrefixArgs({"destination": old}).destination_url) == \
            transfer.location(PrefixArgs({"destination": new}).destination_url)
    except (ObjectCopyError, URLError):
        return False


def _check_destination(args: PrefixArgs, unknown: set[str]) -> list[Failure]:
    try:
        store = open_store(args.destination_url)
    except (ObjectCopyError, URLError) as e:
        return [Failure("destination", f"destination: {e}")]
    if any(name in unknown for name in COPY_OPTIONS):
        return []
    return [Failure(name, f"{name}: {reason} (destination {args.destination})")
            for name, reason in args.write_options().unsupported(store.capabilities)]


def _check_overlap(args: PrefixArgs) -> list[Failure]:
    """A destination inside the source (or the reverse) would copy its own copies on the next run."""
    try:
        src, dst = transfer.location(args.source_url), transfer.location(args.destination_url)
    except (ObjectCopyError, URLError) as e:
        return [Failure("source", f"source: {e}")]
    src_key, dst_key = (k if k.endswith("/") or not k else k + "/" for k in (src[-1], dst[-1]))
    if src[:-1] == dst[:-1] and (src_key.startswith(dst_key) or dst_key.startswith(src_key)):
        return [Failure("destination", f"destination: {args.destination} overlaps the source {args.source}; "
                                       "copy to a prefix outside it")]
    return []


def drift_status(out: Mapping[str, Any]) -> tuple[str | None, str]:
    """For `objectcopy drift`, from a state's outputs: ("destination", detail) when objects this resource wrote
    were edited or deleted, ("source", detail) when the source's listing is no longer the one copied, else (None,
    ""). Two listings, no request per object."""
    args = PrefixArgs(out)
    record = _record(out)
    dest = _list(args.destination_url, None)
    drift = _drift(record, dest)
    if drift:
        return "destination", drift
    source = _list(args.source_url, args)
    if listings.digest(source) != out.get("source_digest"):
        return "source", planning.pending(source, record).describe(prune=args.prune, first=FIRST)
    return None, f"{len(record):,} objects"


RESOURCE = CopiedPrefix()
