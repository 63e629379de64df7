"""CopiedObject: a server-side copy of one object as a Pulumi dynamic resource.

Lifecycle decisions only; every request goes through the transfer layer. The provider is pickled by reference
into state (it lives in this installed module) and holds no client, socket or credential: profiles are resolved
on each call.

How a changed source reaches `preview`: check() HEADs the source and records the ETag it saw as the planned input
`source_etag`, so the preview shows `source_etag: old => new` as an update, and create/update copy exactly that
ETag. How drift reaches `up`: read() reports the destination's live `etag`; when it differs from `written_etag`
(what this resource wrote), diff() plans an update that restores the copy, shown in the preview as
`etag: "<live>" => "<written>"` (base.py says how).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, UpdateResult
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .. import transfer
from ..stores import open_store
from ..stores.base import NotFound, ObjectCopyError, ObjectInfo, PreconditionFailed
from ..urls import URLError, parse
from . import engine_log
from .base import Provider, drift_seen, drifted, restore_plan
from .copied_object_args import COPY_INPUTS, OUTPUTS, CopiedObjectArgs


def _unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or value == rpc.UNKNOWN


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The input part of a state (our outputs echo every input), with the planned source ETag."""
    keys = CopiedObjectArgs.names() + ("source_etag",)
    return {k: props.get(k) for k in keys}


class CopiedObjectProvider(Provider):
    # --- check: validate, and plan the source ETag -----------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        unknown = {k for k, v in news.items() if _unknown(v)}
        failures = [CheckFailure(prop, reason) for prop, reason in CopiedObjectArgs.validate(news)
                    if prop not in unknown]
        inputs = {**CopiedObjectArgs.defaults(news), **{k: news[k] for k in unknown}, **restore_plan(olds)}
        inputs["source_etag"] = None
        if failures:
            return CheckResult(inputs, failures)
        args = CopiedObjectArgs.from_props(inputs)
        if "destination" not in unknown:
            failures += self._check_destination(args, unknown)
        if "source" not in unknown and not failures:
            planned, source_failures = self._plan_source(args, unknown)
            failures += source_failures
            if args.track_source:
                inputs["source_etag"] = planned
        return CheckResult(inputs, failures)

    @staticmethod
    def _check_destination(args: CopiedObjectArgs, unknown: set[str]) -> list[CheckFailure]:
        try:
            store = open_store(args.destination_url)
        except (ObjectCopyError, URLError) as e:
            return [CheckFailure("destination", f"destination: {e}")]
        options = args.write_options()
        return [CheckFailure(name, f"{name}: {reason} (destination {args.destination})")
                for name, reason in options.unsupported(store.capabilities) if name not in unknown]

    @staticmethod
    def _plan_source(args: CopiedObjectArgs, unknown: set[str]) -> tuple[str | None, list[CheckFailure]]:
        """HEAD the source once: its ETag becomes the plan, and the user's preconditions are judged now."""
        try:
            info = transfer.head(args.source_url, version_id=args.source_version_id)
        except NotFound:
            # It may be written by another resource earlier in this same update; create says so if not.
            return None, []
        except ObjectCopyError as e:
            return None, [CheckFailure("source", f"source: {e}")]
        if not ({"if_match", "if_unmodified_since"} & unknown):
            try:
                args.conditions.check(info)
            except PreconditionFailed as e:
                prop = "if_match" if str(e).startswith("if-match") else "if_unmodified_since"
                return info.etag, [CheckFailure(prop, f"{prop}: {e}; nothing was copied")]
        return info.etag, []

    # --- diff ----------------------------------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old_args = _inputs(olds)
        changed = [k for k in CopiedObjectArgs.names() if k != "source_etag" and old_args.get(k) != news.get(k)]
        if news.get("track_source", True) and news.get("source_etag") is not None \
                and news.get("source_etag") != olds.get("source_etag"):
            changed.append("source_etag")
        replaces = ["destination"] if "destination" in changed and not self._same_place(
            olds.get("destination"), news.get("destination")) else []
        return DiffResult(changes=bool(changed) or drifted(olds), replaces=replaces, delete_before_replace=False)

    @staticmethod
    def _same_place(old: Any, new: Any) -> bool:
        """True when two destination URLs name one physical object (only a profile's name changed, say)."""
        if _unknown(new) or not isinstance(old, str) or not isinstance(new, str):
            return False
        try:
            return transfer.location(parse(old)) == transfer.location(parse(new))
        except (ObjectCopyError, URLError):
            return False  # the old profile is gone: we cannot prove it is the same place, so replace

    # --- create / update -----------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        args = CopiedObjectArgs.from_props(props)
        try:
            outs = self._adopt(args, props) if args.adopt_existing else None
        except ObjectCopyError as e:
            raise Exception(f"CopiedObject {args.source} -> {args.destination}: adopting: {e}") from None
        if outs is None:
            outs = self._copy(args, props, overwrite=args.overwrite)
        return CreateResult(args.destination, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = CopiedObjectArgs.from_props(news)
        old_inputs = _inputs(olds)
        needs_copy = any(old_inputs.get(k) != news.get(k) for k in COPY_INPUTS) or drifted(olds) \
            or (args.track_source and news.get("source_etag") not in (None, olds.get("source_etag")))
        if not needs_copy:  # only behaviour changed (delete_policy, track_source, a profile's name): no request
            return UpdateResult({**olds, **_inputs(news), "source_etag": olds.get("source_etag")})
        # Updates overwrite: the destination is this resource's own object.
        return UpdateResult(self._copy(args, news, overwrite=True))

    def _copy(self, args: CopiedObjectArgs, props: Mapping[str, Any], *, overwrite: bool) -> dict[str, Any]:
        planned = props.get("source_etag") if args.track_source else None
        try:
            result = transfer.copy_object(args.source_url, args.destination_url, conditions=args.conditions,
                                          options=args.write_options(overwrite=overwrite),
                                          source_version_id=args.source_version_id, planned_source_etag=planned,
                                          sweep_stale_uploads=True)  # the destination is this resource's own
        except ObjectCopyError as e:
            raise Exception(f"CopiedObject {args.source} -> {args.destination}: {e}") from None
        return self._outputs(args, result.source, result.destination, result.method)

    def _adopt(self, args: CopiedObjectArgs, props: Mapping[str, Any]) -> dict[str, Any] | None:
        """Take over a destination that already holds the source's content, without copying."""
        try:
            dst = transfer.head(args.destination_url)
        except NotFound:
            return None
        src = transfer.head(args.source_url, version_id=args.source_version_id)
        same = dst.etag == src.etag or (dst.md5 is not None and dst.md5 == src.md5)
        if not same or dst.size != src.size:
            return None
        return self._outputs(args, src, dst, "adopted")

    @staticmethod
    def _outputs(args: CopiedObjectArgs, src: ObjectInfo, dst: ObjectInfo, method: str) -> dict[str, Any]:
        return {
            **CopiedObjectArgs.defaults(args.__dict__),
            "etag": dst.etag, "size": dst.size, "last_modified": _iso(dst.last_modified),
            "version_id": dst.version_id, "source_etag": src.etag, "copied_source_version_id": src.version_id,
            "source_last_modified": _iso(src.last_modified),
            "copied_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "method": method, "written_etag": dst.etag,
        }

    # --- read (refresh) ------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        args = CopiedObjectArgs.from_props(props)
        try:
            live = transfer.head(args.destination_url)
        except NotFound:
            return ReadResult("", {})  # deleted by hand: the engine drops it, and the next up copies again
        except ObjectCopyError as e:
            raise Exception(f"CopiedObject refresh of {args.destination}: {e}") from None
        outs = {**props, "etag": live.etag, "size": live.size, "last_modified": _iso(live.last_modified),
                "version_id": live.version_id}
        return ReadResult(id_, outs, {**_inputs(props), **drift_seen(outs)})

    # --- delete --------------------------------------------------------------------------------------------
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        args = CopiedObjectArgs.from_props(props)
        if args.delete_policy == "retain":
            return
        try:
            if args.delete_policy == "all-versions":
                transfer.delete_all_versions(args.destination_url)
                return
            written_at = props.get("last_modified")
            why = transfer.delete_if_unchanged(args.destination_url, props.get("written_etag"),
                                               datetime.fromisoformat(written_at) if written_at else None)
        except ObjectCopyError as e:
            raise Exception(f"CopiedObject delete of {args.destination}: {e}") from None
        if why:
            engine_log.warn(f"CopiedObject: {why}")


class CopiedObject(Resource, module="objectcopy", name="CopiedObject"):
    """A server-side copy of one object, kept in sync with its source. See the README for every input."""

    etag: pulumi.Output[str]
    size: pulumi.Output[int]
    last_modified: pulumi.Output[str]
    version_id: pulumi.Output[str | None]
    source_etag: pulumi.Output[str]
    copied_source_version_id: pulumi.Output[str | None]
    source_last_modified: pulumi.Output[str]
    copied_at: pulumi.Output[str]
    method: pulumi.Output[str]

    def __init__(self, resource_name: str, source: pulumi.Input[str], destination: pulumi.Input[str], *,
                 source_version_id: pulumi.Input[str] | None = None,
                 metadata_directive: pulumi.Input[str] | None = None,
                 metadata: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
                 content_type: pulumi.Input[str] | None = None,
                 cache_control: pulumi.Input[str] | None = None,
                 content_disposition: pulumi.Input[str] | None = None,
                 content_encoding: pulumi.Input[str] | None = None,
                 tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
                 tagging_directive: pulumi.Input[str] | None = None,
                 acl: pulumi.Input[str] | None = None,
                 storage_class: pulumi.Input[str] | None = None,
                 server_side_encryption: pulumi.Input[str] | None = None,
                 kms_key_id: pulumi.Input[str] | None = None,
                 if_match: pulumi.Input[str] | None = None,
                 if_unmodified_since: pulumi.Input[str] | None = None,
                 overwrite: pulumi.Input[bool] | None = None,
                 track_source: pulumi.Input[bool] | None = None,
                 adopt_existing: pulumi.Input[bool] | None = None,
                 delete_policy: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {name: None for name in OUTPUTS}
        props.update(
            source=source, destination=destination, source_version_id=source_version_id,
            metadata_directive=metadata_directive, metadata=metadata, content_type=content_type,
            cache_control=cache_control, content_disposition=content_disposition,
            content_encoding=content_encoding, tags=tags, tagging_directive=tagging_directive, acl=acl,
            storage_class=storage_class, server_side_encryption=server_side_encryption, kms_key_id=kms_key_id,
            if_match=if_match, if_unmodified_since=if_unmodified_since, overwrite=overwrite,
            track_source=track_source, adopt_existing=adopt_existing, delete_policy=delete_policy)
        super().__init__(CopiedObjectProvider(), resource_name, props, opts)
