"""AnalyticsSnapshot's decisions: an Oracle Analytics Cloud snapshot, CREATE (snapshot the instance into a BAR file in
an OCI bucket, and register it) or REGISTER (register a BAR file already there). Plain data in, plain data out
(api.py); the requests go through services/analytics.py and the one waiter.

The BAR file is also an object the provider HEADs itself (services/buckets.py, through the OCI store, with the
objectcopy profile `object_profile` or the default OCI configuration), so that a BAR overwritten or deleted by hand
is drift: `registered_bar_etag` is its ETag when this resource created or registered the snapshot, `bar_etag` the
one last seen. check() HEADs it too and plans `bar_etag`, so a BAR replaced by hand shows in a plan without a
refresh; diff() then replaces the snapshot (the old one first: one name per instance), registering the BAR as it is
now (REGISTER) or snapshotting the instance again (CREATE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .. import transfer
from ..errors import AnswerLost, NotFound, ObjectCopyError, URLError, UsageError
from ..jobs import JobStatus
from ..services import analytics, buckets
from ..signing import oci as oci_signing
from ..urls import parse
from .analytics_schema import SNAPSHOT as SCHEMA
from .analytics_schema import split_import_id
from .api import UNKNOWN, Applied, Change, CheckResult, Context, DiffResult, Props, ReadResult, is_unknown
from .errors import within

WHERE_THE_BAR_IS = ("bucket", "bar_uri", "bucket_namespace", "object_profile")
# What registering again would change: a change of any of these replaces the snapshot.
REPLACE_ON = SCHEMA.replace_on


def payload(p: Mapping[str, Any]) -> dict[str, Any]:
    """The POST /snapshots body (apis.md §7)."""
    if p.get("auth_type", "api_key") == "resource_principal":
        auth: dict[str, Any] = {"type": "OCI_RESOURCE_PRINCIPAL"}
    else:
        key = str(p["oci_private_key"])
        auth = {"type": "OSS_AUTH_OCI_USER_ID", "ociRegion": p["oci_region"], "ociTenancyId": p["oci_tenancy"],
                "ociUserId": p["oci_user"],
                "ociKeyFingerprint": p.get("oci_fingerprint") or oci_signing.fingerprint(key),
                "ociPrivateKeyWrapped": analytics.wrap_private_key(key)}
    storage = {"type": "OCI_NATIVE", "bucket": p["bucket"], "auth": auth}
    if p.get("bucket_namespace"):
        storage["bucketOciNamespace"] = p["bucket_namespace"]
    if p.get("bucket_region"):
        storage["bucketOciRegion"] = p["bucket_region"]
    bar = {"uri": p["bar_uri"], **({"password": p["bar_password"]} if p.get("bar_password") else {})}
    return {"type": p["type"], "name": p["name"], "description": p.get("description") or "", "storage": storage,
            "bar": bar}


# --- the BAR object, as the provider sees it -----------------------------------------------------------------------
@dataclass(frozen=True)
class BarState:
    """One HEAD of the BAR object: its ETag, or that it is missing, or why it could not be read."""

    url: str | None             # the oci:// URL, None when even the namespace could not be looked up
    etag: str | None = None
    missing: bool = False
    problem: str | None = None  # set when the HEAD failed for another reason than NotFound


def head_bar(props: Mapping[str, Any], *, url: str | None = None) -> BarState:
    """HEAD the BAR: at `url` (a recorded bar_object), else where bucket, bar_uri, bucket_namespace and
    object_profile put it (a namespace left out is looked up, as the instance does)."""
    text = url
    try:
        where = parse(url, field="bar_object") if url else buckets.bar_object(
            props["bucket"], props["bar_uri"], namespace=props.get("bucket_namespace"),
            profile=props.get("object_profile"))
        text = str(where)
        return BarState(text, transfer.head(where).etag)
    except NotFound:
        return BarState(text, missing=True)
    except (ObjectCopyError, URLError) as e:
        return BarState(text, problem=_scrub(str(e), props))


def _scrub(text: str, props: Mapping[str, Any]) -> str:
    """Belt and braces: no secret input ever reaches a message, whatever a service echoes back."""
    for name in SCHEMA.secret_names:
        value = props.get(name)
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "[secret]")
    return text


def _untracked_warning(props: Mapping[str, Any], bar: BarState) -> str:
    where = bar.url or f"{props.get('bar_uri')} in bucket {props.get('bucket')!r}"
    if bar.missing:
        why = (f"the snapshot is registered, but {where} is not there as the provider sees it (another "
               f"namespace, region or tenancy?)")
    else:
        why = f"could not read {where}: {bar.problem}"
    return (f"AnalyticsSnapshot {props.get('name')!r}: BAR drift is not tracked: {why}. Set object_profile to an "
            f"objectcopy profile that can read bucket {props.get('bucket')!r} (the provider needs OCI credentials "
            f"of its own for this, even when the instance uses auth_type resource_principal).")


def bar_drifted(state: Mapping[str, Any], planned: Any = None) -> bool:
    """The BAR registered by this resource was overwritten or deleted since: as the last refresh saw it (`state`),
    or overwritten as the last check saw it (`planned`, None when it could not see one)."""
    registered = state.get("registered_bar_etag")
    if is_unknown(planned):
        planned = None
    return bool(registered) and (state.get("bar_etag") != registered or planned not in (None, registered))


def plan_bar_etag(inputs: Mapping[str, Any], olds: Mapping[str, Any]) -> Any:
    """The BAR's ETag as a plan sees it, planned as `bar_etag`: a BAR replaced by hand then shows in the plan as
    `bar_etag: "registered" -> "now"` on the replacement that registers it again. None when the BAR is missing
    (perhaps written earlier in the same update, like golden-seed's copy: a refresh decides); the last plan when
    the BAR cannot be read from here (its drift is not tracked, or not now)."""
    if any(is_unknown(inputs.get(k)) for k in WHERE_THE_BAR_IS):
        return olds.get("bar_etag")
    bar = head_bar(inputs)
    return olds.get("bar_etag") if bar.problem else bar.etag


class AnalyticsSnapshot:
    schema = SCHEMA

    # --- check, diff and plan --------------------------------------------------------------------------------
    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        inputs = SCHEMA.with_defaults(news)
        failures = SCHEMA.validate(inputs)
        inputs["bar_etag"] = None if failures else plan_bar_etag(inputs, olds or {})
        return CheckResult(inputs, failures)

    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        """Secret inputs are never compared: the state does not hold them, and the API has no call that would
        use a new one (a new key or password is sent by the next replacement)."""
        changed = [p.name for p in SCHEMA.inputs if p.echoed and state.get(p.name) != inputs.get(p.name)]
        changes = [Change(name) for name in changed]
        replaces = [name for name in changed if name in REPLACE_ON]
        if bar_drifted(state, inputs.get("bar_etag")):
            changes.append(Change("bar_etag", _drift_reason(state, inputs)))
            replaces.append("bar_etag")
        return DiffResult(tuple(changes), tuple(replaces), delete_before_replace=True)

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        """A new snapshot's outputs are known only once it exists (a CREATE writes a new BAR). An update records
        the inputs; a new object_profile finds the BAR again."""
        if state is None:
            return {**{name: UNKNOWN for name in SCHEMA.output_names}, **SCHEMA.echoed_inputs(inputs)}
        planned = {**state, **SCHEMA.echoed_inputs(inputs)}
        if state.get("object_profile") != inputs.get("object_profile"):
            planned.update(bar_object=UNKNOWN, bar_etag=UNKNOWN, registered_bar_etag=UNKNOWN)
        return planned

    # --- create / update -------------------------------------------------------------------------------------
    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied:
        props = SCHEMA.with_defaults(inputs)
        client = analytics.AnalyticsClient(props["instance_url"])
        try:
            snapshot, work_request = _create_or_take_over(client, props, ctx)
        except ObjectCopyError as e:
            raise within(e, f"AnalyticsSnapshot {props['name']!r} on {props['instance_url']}") from None
        bar = head_bar(props)
        # The snapshot exists: tracking its BAR is a bonus that must not fail the create.
        warnings = (_untracked_warning(props, bar),) if bar.etag is None else ()
        state = {**SCHEMA.echoed_inputs(props), "snapshot_id": snapshot["id"], "work_request_id": work_request,
                 "status": snapshot.get("lifecycleState", "ACTIVE"),
                 "created_at": snapshot.get("timeCreated") or now(),
                 "bar_object": bar.url, "bar_etag": bar.etag, "registered_bar_etag": bar.etag}
        return Applied(snapshot["id"], state, warnings)

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied:
        """Only what does not replace reaches here (description, credentials, delete_storage, object_profile): the
        API documents no call to change a registered snapshot, so the new values are recorded for the next calls.
        A new object_profile finds the BAR again; a snapshot whose BAR was not tracked starts being tracked, from
        the BAR as it is now."""
        outs = {**state, **SCHEMA.echoed_inputs(SCHEMA.with_defaults(inputs))}
        warnings: tuple[str, ...] = ()
        if state.get("object_profile") != inputs.get("object_profile"):
            bar = head_bar(outs)
            if bar.etag is not None:
                outs.update(bar_object=bar.url, bar_etag=bar.etag,
                            registered_bar_etag=state.get("registered_bar_etag") or bar.etag)
            elif state.get("registered_bar_etag"):  # a profile that cannot see the BAR is no reason to replace
                warnings = (f"AnalyticsSnapshot {outs.get('name')!r}: object_profile {inputs.get('object_profile')!r} "
                            f"cannot read the BAR ({'not found' if bar.missing else bar.problem}); it is still "
                            f"tracked at {state.get('bar_object')}",)
            else:
                warnings = (_untracked_warning(outs, bar),)
        return Applied(id, outs, warnings)

    # --- read (refresh) and import ---------------------------------------------------------------------------
    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult:
        try:
            live = analytics.AnalyticsClient(state["instance_url"]).get_snapshot(id)
        except NotFound:
            return ReadResult(None)  # deregistered by hand: dropped, and the next apply registers it again
        except ObjectCopyError as e:
            raise within(e, f"AnalyticsSnapshot refresh of {state.get('name')!r} on {state.get('instance_url')}") \
                from None
        outs = {**state, "status": live.get("lifecycleState", state.get("status"))}
        bar = head_bar(state, url=state.get("bar_object"))
        warnings: tuple[str, ...] = ()
        if bar.problem is None:
            outs.update(bar_object=bar.url, bar_etag=bar.etag)  # None when deleted: drift too
        elif state.get("registered_bar_etag"):
            warnings = (f"AnalyticsSnapshot {state.get('name')!r}: refresh could not read its BAR "
                        f"{bar.url or state.get('bar_uri')}: {bar.problem}; bar_etag keeps its last value "
                        f"(check object_profile)",)
        return ReadResult(id, outs, _recorded_inputs(state), warnings)

    def import_(self, id: str, ctx: Context) -> ReadResult:
        """`INSTANCE_URL,SNAPSHOT_ID`: the snapshot as the instance describes it, with its BAR as it is now taken
        as the one registered. Inputs the instance does not tell (the key, the password, object_profile) are left
        for the configuration to set."""
        url, snapshot_id = split_import_id(id, "SNAPSHOT_ID")
        try:
            live = analytics.AnalyticsClient(url).get_snapshot(snapshot_id)
        except NotFound:
            raise UsageError(f"import {id!r}: {url} has no snapshot {snapshot_id}; give the id of a snapshot the "
                             "instance lists") from None
        except ObjectCopyError as e:
            raise within(e, f"import {id!r}") from None
        props = SCHEMA.with_defaults(_inputs_described(url, live))
        missing = [name for name in ("name", "bucket", "bar_uri") if not props.get(name)]
        if missing:
            raise UsageError(f"import {id!r}: the instance does not say the snapshot's {', '.join(missing)}, so it "
                             "cannot be managed from here")
        bar = head_bar(props)
        state = {**SCHEMA.echoed_inputs(props), "snapshot_id": live.get("id") or snapshot_id, "work_request_id": None,
                 "status": live.get("lifecycleState", "ACTIVE"), "created_at": live.get("timeCreated"),
                 "bar_object": bar.url, "bar_etag": bar.etag, "registered_bar_etag": bar.etag}
        warnings = (_untracked_warning(props, bar),) if bar.etag is None else ()
        return ReadResult(snapshot_id, state, _recorded_inputs(state), warnings)

    # --- delete ----------------------------------------------------------------------------------------------
    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        storage, warnings = bool(state.get("delete_storage")), tuple[str, ...]()
        if storage and state.get("registered_bar_etag"):
            # deleteStorage removes the BAR: only if it is still the one this resource registered.
            bar = head_bar(state, url=state.get("bar_object"))
            current = state.get("bar_etag") if bar.problem else bar.etag
            if current != state["registered_bar_etag"]:
                storage = False
                if not bar.missing:
                    warnings = (f"AnalyticsSnapshot {state.get('name')!r}: deregistered only; its BAR {bar.url} was "
                                f"rewritten since it was registered (ETag {current}, registered "
                                f"{state['registered_bar_etag']}), so delete_storage leaves it in place",)
        try:
            analytics.AnalyticsClient(state["instance_url"]).delete_snapshot(id, delete_storage=storage)
        except ObjectCopyError as e:
            raise within(e, f"AnalyticsSnapshot delete of {state.get('name')!r} on {state.get('instance_url')}") \
                from None
        return warnings


# --- the pieces ----------------------------------------------------------------------------------------------------
def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _recorded_inputs(state: Mapping[str, Any]) -> Props:
    """The inputs a refresh records, with the BAR as registered as `bar_etag`: a replacement for drift then shows
    what it registers instead (`bar_etag: "registered" => "now"`)."""
    return {**{k: state.get(k) for k in SCHEMA.input_names if SCHEMA.prop(k).echoed},
            "bar_etag": state.get("registered_bar_etag")}


def _drift_reason(state: Mapping[str, Any], inputs: Mapping[str, Any]) -> str:
    registered, planned = state.get("registered_bar_etag"), inputs.get("bar_etag")
    now = planned if isinstance(planned, str) and planned != registered else state.get("bar_etag")
    seen = f"now {now}" if now else "now deleted"
    again = "snapshot the instance again" if inputs.get("type") == "CREATE" else "register it again"
    return (f"the BAR {state.get('bar_object')} changed since it was registered (ETag {registered}, {seen}): will "
            f"{again}")


def _create_or_take_over(client: analytics.AnalyticsClient, props: Mapping[str, Any],
                         ctx: Context) -> tuple[dict[str, Any], str | None]:
    """The snapshot, ACTIVE, and the work request that made it (None when taken over). A retried create (an
    interrupted run) finds its snapshot by name and takes it over instead of starting a second one."""
    what = f"{props['type']} snapshot {props['name']!r}"
    existing = client.find_snapshot(props["name"])
    work_request = None
    if existing is None:
        try:
            work_request = client.create_snapshot(payload(props))
        except AnswerLost:  # it may have reached the instance: a snapshot of this name is the one it started
            existing = client.find_snapshot(props["name"])
            if existing is None:
                raise
        else:
            client.wait(work_request, what, on_progress=log_progress(ctx, what))
            existing = client.find_snapshot(props["name"])
    if existing is not None and existing.get("lifecycleState", "ACTIVE") != "ACTIVE":
        existing = client.wait_for_snapshot(props["name"], what)
    if existing is None:
        raise ObjectCopyError(f"snapshot {props['name']!r} finished but is not listed by the instance")
    return existing, work_request


def log_progress(ctx: Context, what: str) -> Callable[[JobStatus], None]:
    """The work request's progress in the front end's log, each time it moves."""
    last: list[tuple[str, Any]] = []

    def report(status: JobStatus) -> None:
        now = (status.state, status.percent)
        if not last or last[-1] != now:
            last.append(now)
            percent = f" {status.percent:.0f}%" if status.percent is not None else ""
            ctx.log("info", f"{what}: {status.state}{percent}")

    return report


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _inputs_described(url: str, live: Mapping[str, Any]) -> Props:
    """The inputs a snapshot's description (GET /snapshots/{id}) tells."""
    storage, bar = _object(live.get("storage")), _object(live.get("bar"))
    auth = _object(storage.get("auth"))
    kind = live.get("type") if live.get("type") in ("CREATE", "REGISTER") else "REGISTER"  # its BAR exists now
    return {"instance_url": url, "type": kind, "name": live.get("name"), "description": live.get("description"),
            "bucket": storage.get("bucket"), "bucket_namespace": storage.get("bucketOciNamespace"),
            "bucket_region": storage.get("bucketOciRegion"),
            "auth_type": "resource_principal" if auth.get("type") == "OCI_RESOURCE_PRINCIPAL" else "api_key",
            "oci_region": auth.get("ociRegion"), "oci_tenancy": auth.get("ociTenancyId"),
            "oci_user": auth.get("ociUserId"), "oci_fingerprint": auth.get("ociKeyFingerprint"),
            "bar_uri": bar.get("uri")}


RESOURCE = AnalyticsSnapshot()
