"""What every resource's provider shares, kept once: the stack's config and how failures reach the engine.

Config. The engine configures each provider it unpickles (once per provider blob, so once per resource type and
process) with the whole stack config; the providers of every resource type must hand it to profiles, or a profile
defined only in stack config (`objectcopy:profiles`) resolves only when some other resource type's provider
happened to run first in the same process.

Failures. A provider method's exception reaches the user as one clean line (engine_log.reported).

Drift of what a resource wrote (CopiedObject's destination, EpmObjectStoreExport's object). A refresh records the
object's live `etag`; when it is no longer `written_etag`, the next up writes it again. The engine prints a reason
for a planned update only as a property whose old and new inputs differ, so the refresh hands back the two ETags
among the inputs (drift_seen) and check() plans the written one (restore_plan): `preview --diff` then shows
`~ etag: "<live>" => "<written>"`. The next check, finding no drift in its old inputs, drops them again.
"""
from __future__ import annotations

from typing import Any, Mapping

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from .. import profiles
from ..stores.base import same_etag
from . import engine_log

ENGINE_CALLS = ("check", "diff", "create", "read", "update", "delete")


class Provider(ResourceProvider):
    """The base of our providers. They are pickled by reference into state and hold no client, socket or
    credential (everything is resolved per call), so the pickled provider need not be secret."""

    serialize_as_secret_always = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ENGINE_CALLS:
            if name in cls.__dict__:
                setattr(cls, name, engine_log.reported(cls.__dict__[name]))

    @engine_log.reported  # a stack config the profiles refuse fails the first call, in one line too
    def configure(self, req: ConfigureRequest) -> None:
        profiles.set_stack_config(getattr(req.config, "_props", {}) or {})


def drifted(props: Mapping[str, Any]) -> bool:
    """The object is no longer what this resource wrote, as the last refresh saw it."""
    return props.get("written_etag") is not None and not same_etag(props.get("etag"), props.get("written_etag"))


def drift_seen(outs: Mapping[str, Any]) -> dict[str, Any]:
    """What a refresh adds to the inputs it hands back: the live and the written ETag, when they differ."""
    return {"etag": outs.get("etag"), "written_etag": outs["written_etag"]} if drifted(outs) else {}


def restore_plan(olds: Mapping[str, Any]) -> dict[str, Any]:
    """What check() adds to the inputs after such a refresh (`olds`: the inputs it handed back): the written ETag."""
    return {"etag": olds["written_etag"], "written_etag": olds["written_etag"]} if drifted(olds) else {}
