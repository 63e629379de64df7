"""AnalyticsSnapshotRestore's decisions. Restoring is an action, not a thing that can be undone: create restores
(followed to the end of its work request), a change of snapshot or instance restores again (a replacement), and
delete leaves the instance as it is and says so. Nothing is left behind to read back, so a refresh changes nothing.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import NotFound, ObjectCopyError, UsageError
from ..services import analytics
from .analytics_schema import RESTORE as SCHEMA
from .analytics_schema import split_import_id
from .analytics_snapshot import log_progress, now
from .api import UNKNOWN, Applied, Change, CheckResult, Context, DiffResult, Props, ReadResult
from .errors import within

RESTORE_OPERATION = "RESTORE_SNAPSHOT"


class AnalyticsSnapshotRestore:
    schema = SCHEMA

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = SCHEMA.with_defaults(news)
        return CheckResult(inputs, SCHEMA.validate(inputs))

    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        """The password is never compared: the state does not hold it, and only a new restore would use it."""
        changed = [p.name for p in SCHEMA.inputs if p.echoed and state.get(p.name) != inputs.get(p.name)]
        return DiffResult(tuple(Change(name) for name in changed), tuple(n for n in changed if n in SCHEMA.replace_on))

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        if state is None:
            return {**{name: UNKNOWN for name in SCHEMA.output_names}, **SCHEMA.echoed_inputs(inputs)}
        return {**state, **SCHEMA.echoed_inputs(inputs)}

    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        props = SCHEMA.with_defaults(inputs)
        url, snapshot_id = props["instance_url"], props["snapshot_id"]
        what = f"restore of snapshot {snapshot_id}"
        client = analytics.AnalyticsClient(url)
        try:
            work_request = client.restore(snapshot_id, props.get("password"))
            client.wait(work_request, what, on_progress=log_progress(ctx, what))
        except ObjectCopyError as e:
            raise within(e, f"AnalyticsSnapshotRestore of {snapshot_id} on {url}") from None
        return Applied(work_request, {**SCHEMA.echoed_inputs(props), "work_request_id": work_request,
                                      "restored_at": now()})

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        return Applied(id, self.plan(state, inputs))  # nothing to send: recorded

    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        return ReadResult(id, dict(state), SCHEMA.echoed_inputs(state))

    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        return (f"AnalyticsSnapshotRestore: deleting it leaves {state.get('instance_url')} as restored from "
                f"snapshot {state.get('snapshot_id')}; a restore cannot be undone",)

    def import_(self, id: str, ctx: Context) -> ReadResult:
        """`INSTANCE_URL,WORK_REQUEST_ID`: a restore the instance ran (one still running is followed to its end),
        recorded with the snapshot it restored."""
        url, work_request = split_import_id(id, "WORK_REQUEST_ID")
        client = analytics.AnalyticsClient(url)
        try:
            done: Mapping[str, Any] = client.work_request(work_request)
        except NotFound:
            raise UsageError(f"import {id!r}: {url} has no work request {work_request}; give the id of a restore's "
                             "work request") from None
        except ObjectCopyError as e:
            raise within(e, f"import {id!r}") from None
        if done.get("operationType") != RESTORE_OPERATION:
            raise UsageError(f"import {id!r}: work request {work_request} is a {done.get('operationType')}, not a "
                             f"{RESTORE_OPERATION}")
        if done.get("status") != "SUCCEEDED":  # followed to its end; one that failed restored nothing to import
            what = f"restore {work_request}"
            try:
                done = client.wait(work_request, what, on_progress=log_progress(ctx, what)).raw
            except ObjectCopyError as e:
                raise within(e, f"import {id!r}") from None
        snapshot_id = _restored_snapshot(done)
        if not snapshot_id:
            raise UsageError(f"import {id!r}: work request {work_request} does not name the snapshot it restored")
        state = {"instance_url": url, "snapshot_id": snapshot_id, "work_request_id": work_request,
                 "restored_at": done.get("timeFinished") or now()}
        return ReadResult(work_request, state, SCHEMA.echoed_inputs(state))


def _restored_snapshot(work_request: Mapping[str, Any]) -> str | None:
    """ASSUMPTION (apis.md §7 lists a work request's resources, not which one a restore names): the resource of
    type SNAPSHOT, else the only resource listed, is the snapshot restored."""
    resources = [r for r in work_request.get("resources") or [] if isinstance(r, dict) and r.get("id")]
    snapshots = [r for r in resources if r.get("resourceType") == "SNAPSHOT"]
    chosen = snapshots or (resources if len(resources) == 1 else [])
    return str(chosen[0]["id"]) if chosen else None


RESOURCE = AnalyticsSnapshotRestore()
