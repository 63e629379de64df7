"""What every resource's provider shares, kept once: the stack's config and how failures reach the engine.

Config. The engine configures each provider it unpickles (once per provider blob, so once per resource type and
process) with the whole stack config; the providers of every resource type must hand it to profiles, or a profile
defined only in stack config (`objectcopy:profiles`) resolves only when some other resource type's provider
happened to run first in the same process.

Failures. A provider method's exception reaches the user as one clean line (engine_log.reported).

Drift of what a resource wrote (CopiedObject's destination, EpmObjectStoreExport's object): shown by `preview --diff`
as `~ etag: "<live>" => "<written>"`, the same way as by the provider plugin (core/drift_inputs.py).
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from .. import profiles
# adapter.py and epm_transfer.py take these from here
from ..core.drift_inputs import drift_seen, drifted, restore_plan  # noqa: F401
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
