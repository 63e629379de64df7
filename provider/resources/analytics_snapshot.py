"""AnalyticsSnapshot: an Oracle Analytics Cloud snapshot as a Pulumi dynamic resource: CREATE (snapshot the
instance into a BAR file in an OCI bucket, and register it) or REGISTER (register a BAR file already there).

Lifecycle decisions only; the requests go through services/analytics.py and the one waiter. The instance's bearer
token is never an input (it comes from the environment at each call, see services/analytics.py); the OCI key and
the BAR password go into the API's payload, so they are secret inputs, wrapped as secrets by the resource class.

The BAR file is also an object the provider HEADs itself (services/buckets.py, through the OCI store, with the
objectcopy profile `object_profile` or the default OCI configuration), so that a BAR overwritten or deleted by hand
is drift: `registered_bar_etag` is its ETag when this resource created/registered the snapshot, `bar_etag` the one a
refresh saw.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from .. import transfer
from ..services import analytics, buckets
from ..signing import oci as oci_signing
from ..stores.base import AnswerLost, NotFound, ObjectCopyError
from ..urls import parse
from . import engine_log
from .base import Provider

INPUTS = ("instance_url", "type", "name", "description", "bucket", "bucket_namespace", "bucket_region", "auth_type",
          "oci_region", "oci_tenancy", "oci_user", "oci_fingerprint", "oci_private_key", "bar_uri", "bar_password",
          "delete_storage", "object_profile")
SECRET_INPUTS = ("oci_private_key", "bar_password")
OUTPUTS = ("snapshot_id", "work_request_id", "status", "created_at", "bar_object", "bar_etag", "registered_bar_etag")
REPLACE_ON = ("instance_url", "type", "name", "bucket", "bucket_namespace", "bucket_region", "bar_uri")
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$")
_REGION = re.compile(r"^[a-z]+-[a-z]+-\d+$")
_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # as in an object URL's PROFILE@


def validate(p: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for each input that is wrong, as preview reports them."""
    failures = []

    def bad(name: str, reason: str) -> None:
        failures.append((name, f"{name}: {reason}"))

    if not str(p.get("instance_url") or "").startswith(("https://", "http://")):
        bad("instance_url", "must be the instance's URL, https://<host>")
    if p.get("type") not in ("CREATE", "REGISTER"):
        bad("type", f"{p.get('type')!r} is not CREATE or REGISTER")
    if not p.get("name"):
        bad("name", "required")
    if not _BUCKET.match(str(p.get("bucket") or "")):
        bad("bucket", f"{p.get('bucket')!r} is not a bucket name (letters, digits, '.', '_', '-')")
    if p.get("bucket_region") and not _REGION.match(str(p["bucket_region"])):
        bad("bucket_region", f"{p['bucket_region']!r} is not a region id such as us-ashburn-1")
    if not str(p.get("bar_uri") or "").startswith("file:///"):
        bad("bar_uri", "must be file:///<folder>/<name>.bar")
    if p.get("object_profile") and not _PROFILE.match(str(p["object_profile"])):
        bad("object_profile", f"{p['object_profile']!r} is not a profile name (letters, digits, '_', '.', '-')")
    if p.get("type") == "CREATE" and p.get("bar_password"):
        problems = analytics.password_problems(str(p["bar_password"]))
        if problems:
            bad("bar_password", "a new snapshot's password needs " + ", ".join(problems))
    if p.get("auth_type", "api_key") == "api_key":
        for name in ("oci_region", "oci_tenancy", "oci_user", "oci_private_key"):
            if not p.get(name):
                bad(name, "required with auth_type api_key (or use auth_type resource_principal)")
        if p.get("oci_private_key"):
            try:
                oci_signing.fingerprint(str(p["oci_private_key"]))
            except Exception:  # cryptography raises several types for a key that does not parse
                bad("oci_private_key", "does not parse as a PEM private key")
    elif p.get("auth_type") != "resource_principal":
        bad("auth_type", f"{p.get('auth_type')!r} is not api_key or resource_principal")
    return failures


def payload(p: Mapping[str, Any]) -> dict:
    """The POST /snapshots body (apis.md §7)."""
    if p.get("auth_type", "api_key") == "resource_principal":
        auth = {"type": "OCI_RESOURCE_PRINCIPAL"}
    else:
        key = str(p["oci_private_key"])
        auth = {"type": "OSS_AUTH_OCI_USER_ID", "ociRegion": p["oci_region"], "ociTenancyId": p["oci_tenancy"],
                "ociUserId": p["oci_user"], "ociKeyFingerprint": p.get("oci_fingerprint") or oci_signing.fingerprint(key),
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
    except ObjectCopyError as e:
        return BarState(text, problem=_scrub(str(e), props))


def _scrub(text: str, props: Mapping[str, Any]) -> str:
    """Belt and braces: no secret input ever reaches a message, whatever a service echoes back."""
    for name in SECRET_INPUTS:
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
            f"objectcopy profile that can read bucket {props.get('bucket')!r} (pulumi needs OCI credentials of its "
            f"own for this, even when the instance uses auth_type resource_principal).")


def bar_drifted(outs: Mapping[str, Any], planned: str | None = None) -> bool:
    """The BAR registered by this resource was overwritten or deleted since: as the last refresh saw it (`outs`),
    or overwritten as the last check saw it (`planned`, None when it could not see one)."""
    registered = outs.get("registered_bar_etag")
    return bool(registered) and (outs.get("bar_etag") != registered or planned not in (None, registered))


def plan_bar_etag(inputs: Mapping[str, Any], olds: Mapping[str, Any], unknown: set[str]) -> str | None:
    """The BAR's ETag as preview sees it, planned as the input `bar_etag`: a BAR replaced by hand then shows in
    `preview --diff` as `~ bar_etag: "registered" => "now"` on the replacement that registers it again. None when
    the BAR is missing (perhaps written earlier in the same update, like golden-seed's copy: a refresh decides);
    the last plan when the BAR cannot be read from here (its drift is not tracked, or not now)."""
    if unknown & {"bucket", "bar_uri", "bucket_namespace", "object_profile"}:
        return olds.get("bar_etag")
    bar = head_bar(inputs)
    return olds.get("bar_etag") if bar.problem else bar.etag


class AnalyticsSnapshotProvider(Provider):  # the token comes from the environment at each call
    def check(self, olds: dict, news: dict) -> CheckResult:
        inputs = {k: news.get(k) for k in INPUTS}
        inputs["type"] = str(inputs.get("type") or "").upper() or None
        inputs["auth_type"] = inputs.get("auth_type") or "api_key"
        inputs["delete_storage"] = bool(inputs.get("delete_storage"))
        unknown = {k for k, v in news.items() if isinstance(v, pulumi.output.Unknown)}
        failures = [CheckFailure(p, r) for p, r in validate(inputs) if p not in unknown]
        inputs["bar_etag"] = None if failures else plan_bar_etag(inputs, olds, unknown)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        replaces = [k for k in changed if k in REPLACE_ON]
        if bar_drifted(olds, news.get("bar_etag")):  # register the BAR as it is now (REGISTER) or snapshot again
            replaces.append("bar_etag")
        return DiffResult(changes=bool(changed or replaces), replaces=replaces,
                          delete_before_replace=True)  # one name per instance: the old snapshot must go first

    def create(self, props: dict) -> CreateResult:
        client = analytics.AnalyticsClient(props["instance_url"])
        try:
            # A retried create (an interrupted run) finds its snapshot by name and takes it over.
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
                    client.wait(work_request, what)
                    existing = client.find_snapshot(props["name"])
            if existing is not None and existing.get("lifecycleState", "ACTIVE") != "ACTIVE":
                existing = client.wait_for_snapshot(props["name"], what)
            if existing is None:
                raise ObjectCopyError(f"snapshot {props['name']!r} finished but is not listed by the instance")
        except ObjectCopyError as e:
            raise Exception(f"AnalyticsSnapshot {props['name']!r} on {props['instance_url']}: {e}") from None
        bar = head_bar(props)
        if bar.etag is None:  # the snapshot exists: tracking its BAR is a bonus that must not fail the create
            engine_log.warn(_untracked_warning(props, bar))
        return CreateResult(existing["id"], {**props, "snapshot_id": existing["id"], "work_request_id": work_request,
                                             "status": existing.get("lifecycleState", "ACTIVE"),
                                             "created_at": existing.get("timeCreated")
                                             or datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                             "bar_object": bar.url, "bar_etag": bar.etag,
                                             "registered_bar_etag": bar.etag})

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        """Only what does not replace reaches here (description, credentials, delete_storage, object_profile): the
        API documents no call to change a registered snapshot, so the new values are recorded for the next calls.
        A new object_profile finds the BAR again; a snapshot whose BAR was not tracked starts being tracked, from
        the BAR as it is now."""
        outs = {**olds, **{k: news.get(k) for k in INPUTS}}
        if olds.get("object_profile") != news.get("object_profile"):
            bar = head_bar(outs)
            if bar.etag is not None:
                outs.update(bar_object=bar.url, bar_etag=bar.etag,
                            registered_bar_etag=olds.get("registered_bar_etag") or bar.etag)
            elif olds.get("registered_bar_etag"):  # a profile that cannot see the BAR is no reason to replace
                engine_log.warn(f"AnalyticsSnapshot {outs.get('name')!r}: object_profile "
                                f"{news.get('object_profile')!r} cannot read the BAR "
                                f"({'not found' if bar.missing else bar.problem}); it is still tracked at "
                                f"{olds.get('bar_object')}")
            else:
                engine_log.warn(_untracked_warning(outs, bar))
        return UpdateResult(outs)

    def read(self, id_: str, props: dict) -> ReadResult:
        try:
            live = analytics.AnalyticsClient(props["instance_url"]).get_snapshot(id_)
        except NotFound:
            return ReadResult("", {})  # deregistered by hand: the engine drops it, the next up registers again
        except ObjectCopyError as e:
            raise Exception(f"AnalyticsSnapshot refresh of {props.get('name')!r} on {props.get('instance_url')}: "
                            f"{e}") from None
        outs = {**props, "status": live.get("lifecycleState", props.get("status"))}
        bar = head_bar(props, url=props.get("bar_object"))
        if bar.problem is None:
            outs.update(bar_object=bar.url, bar_etag=bar.etag)  # None when deleted: drift too
        elif props.get("registered_bar_etag"):
            engine_log.warn(f"AnalyticsSnapshot {props.get('name')!r}: refresh could not read its BAR "
                            f"{bar.url or props.get('bar_uri')}: {bar.problem}; bar_etag keeps its last value "
                            f"(check object_profile)")
        # The inputs, with the BAR as registered: a replacement for drift then shows what it registers instead.
        inputs = {k: props.get(k) for k in INPUTS}
        return ReadResult(id_, outs, {**inputs, "bar_etag": props.get("registered_bar_etag")})

    def delete(self, id_: str, props: dict) -> None:
        storage = bool(props.get("delete_storage"))
        if storage and props.get("registered_bar_etag"):
            # deleteStorage removes the BAR: only if it is still the one this resource registered.
            bar = head_bar(props, url=props.get("bar_object"))
            current = props.get("bar_etag") if bar.problem else bar.etag
            if current != props["registered_bar_etag"]:
                storage = False
                if not bar.missing:
                    engine_log.warn(f"AnalyticsSnapshot {props.get('name')!r}: deregistered only; its BAR "
                                    f"{bar.url} was rewritten since it was registered (ETag {current}, registered "
                                    f"{props['registered_bar_etag']}), so delete_storage leaves it in place")
        try:
            analytics.AnalyticsClient(props["instance_url"]).delete_snapshot(id_, delete_storage=storage)
        except ObjectCopyError as e:
            raise Exception(f"AnalyticsSnapshot delete of {props.get('name')!r} on {props.get('instance_url')}: "
                            f"{e}") from None


class AnalyticsSnapshot(Resource, module="objectcopy", name="AnalyticsSnapshot"):
    """An Oracle Analytics Cloud snapshot: CREATE or REGISTER, followed to the end of its work request.

    The BAR file is tracked as an object: `bar_object` is its `oci://[profile@]namespace/bucket/<folder>/<name>.bar`
    URL, `registered_bar_etag` its ETag when this resource created or registered the snapshot, and `bar_etag` the
    ETag a refresh last saw (None once the BAR is deleted). The provider reads it with the objectcopy profile
    `object_profile` (None: the default OCI configuration of wherever pulumi runs); when it cannot (no OCI
    credentials there, say), the create still succeeds, with a warning, and the BAR is not tracked.

    Drift: when a refresh finds `bar_etag` different from `registered_bar_etag` (the BAR overwritten or deleted by
    hand), or a preview finds the BAR overwritten (its ETag is planned as the input `bar_etag`), the next `pulumi up`
    plans a REPLACEMENT, shown as `~ bar_etag: "<registered>" => "<now>"`: the snapshot is deleted first, then a
    REGISTER registers the BAR as it is now (and fails if it is gone), a CREATE snapshots the instance again.
    `delete_storage` never deletes a BAR that is no longer the one registered.
    """

    snapshot_id: pulumi.Output[str]
    work_request_id: pulumi.Output[str | None]
    status: pulumi.Output[str]
    created_at: pulumi.Output[str]
    bar_object: pulumi.Output[str | None]
    bar_etag: pulumi.Output[str | None]
    registered_bar_etag: pulumi.Output[str | None]

    def __init__(self, resource_name: str, *, instance_url: pulumi.Input[str], type: pulumi.Input[str],  # noqa: A002
                 name: pulumi.Input[str], bucket: pulumi.Input[str], bar_uri: pulumi.Input[str],
                 description: pulumi.Input[str] | None = None, bucket_namespace: pulumi.Input[str] | None = None,
                 bucket_region: pulumi.Input[str] | None = None, auth_type: pulumi.Input[str] | None = None,
                 oci_region: pulumi.Input[str] | None = None, oci_tenancy: pulumi.Input[str] | None = None,
                 oci_user: pulumi.Input[str] | None = None, oci_fingerprint: pulumi.Input[str] | None = None,
                 oci_private_key: pulumi.Input[str] | None = None, bar_password: pulumi.Input[str] | None = None,
                 delete_storage: pulumi.Input[bool] | None = None, object_profile: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = dict(
            instance_url=instance_url, type=type, name=name, description=description, bucket=bucket,
            bucket_namespace=bucket_namespace, bucket_region=bucket_region, auth_type=auth_type,
            oci_region=oci_region, oci_tenancy=oci_tenancy, oci_user=oci_user, oci_fingerprint=oci_fingerprint,
            oci_private_key=oci_private_key, bar_uri=bar_uri, bar_password=bar_password,
            delete_storage=delete_storage, object_profile=object_profile, **{o: None for o in OUTPUTS})
        for secret in SECRET_INPUTS:  # they go into the API's payload: secret end to end, in state too
            if props[secret] is not None:
                props[secret] = pulumi.Output.secret(props[secret])
        super().__init__(AnalyticsSnapshotProvider(), resource_name, props, opts)


# --- restore -------------------------------------------------------------------------------------------------------
RESTORE_INPUTS = ("instance_url", "snapshot_id", "password")


class AnalyticsSnapshotRestoreProvider(Provider):
    """Restoring is an action, not a thing that can be undone: create restores (polled to the end), a change of
    snapshot or instance restores again (a replacement), delete leaves the instance as it is and says so."""

    def check(self, _olds: dict, news: dict) -> CheckResult:
        inputs = {k: news.get(k) for k in RESTORE_INPUTS}
        failures = []
        if not str(inputs.get("instance_url") or "").startswith(("https://", "http://")):
            failures.append(CheckFailure("instance_url", "instance_url: must be the instance's URL, https://<host>"))
        if not inputs.get("snapshot_id") and not isinstance(news.get("snapshot_id"), pulumi.output.Unknown):
            failures.append(CheckFailure("snapshot_id", "snapshot_id: required (an AnalyticsSnapshot's snapshot_id)"))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed = [k for k in RESTORE_INPUTS if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k != "password"])

    def create(self, props: dict) -> CreateResult:
        client = analytics.AnalyticsClient(props["instance_url"])
        try:
            work_request = client.restore(props["snapshot_id"], props.get("password"))
            client.wait(work_request, f"restore of snapshot {props['snapshot_id']}")
        except ObjectCopyError as e:
            raise Exception(f"AnalyticsSnapshotRestore of {props['snapshot_id']} on {props['instance_url']}: "
                            f"{e}") from None
        return CreateResult(work_request, {**props, "work_request_id": work_request,
                                           "restored_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        return UpdateResult({**olds, **{k: news.get(k) for k in RESTORE_INPUTS}})  # a new password: recorded

    def delete(self, _id: str, props: dict) -> None:
        engine_log.warn(f"AnalyticsSnapshotRestore: deleting it leaves {props.get('instance_url')} as restored from "
                        f"snapshot {props.get('snapshot_id')}; a restore cannot be undone")


class AnalyticsSnapshotRestore(Resource, module="objectcopy", name="AnalyticsSnapshotRestore"):
    """Restores a registered snapshot into an Oracle Analytics instance, once (again when the snapshot changes)."""

    work_request_id: pulumi.Output[str]
    restored_at: pulumi.Output[str]

    def __init__(self, resource_name: str, *, instance_url: pulumi.Input[str], snapshot_id: pulumi.Input[str],
                 password: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = dict(instance_url=instance_url, snapshot_id=snapshot_id,
                                     password=pulumi.Output.secret(password) if password is not None else None,
                                     work_request_id=None, restored_at=None)
        super().__init__(AnalyticsSnapshotRestoreProvider(), resource_name, props, opts)
