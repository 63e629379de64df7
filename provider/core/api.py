"""The contract between the resources' core and every front end (Pulumi dynamic resources, the Pulumi provider
plugin, the Terraform provider, the `objectcopy drift` command).

Everything here is plain data: property maps keyed by the schema's snake_case names, holding str, bool, int,
dict[str, str], list[str] or None, or the UNKNOWN sentinel for a value not known at plan time. A front end converts
its own representation (Pulumi PropertyValues, Terraform msgpack) to these maps and back, and shows the results its
own way: failures on their property, warnings attached to the resource, a replace decided per plan. The core never
imports pulumi or grpc, never writes to an engine log, and never raises anything but ObjectCopyError subclasses
(errors.py), whose str() is one line a user can act on.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

if TYPE_CHECKING:
    from .schema import FunctionSchema, ResourceSchema


class _Unknown:
    """A value the plan cannot know yet (an output of another resource not created so far). One instance."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Props = dict[str, Any]


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


@dataclass(frozen=True)
class Failure:
    """One input that is wrong: its property name and one line that says what is wrong and how to fix it (the
    line starts with the property name, so it reads well without its path too)."""

    property: str
    reason: str


@dataclass(frozen=True)
class CheckResult:
    """The inputs as they will be planned (defaults filled in, enums in canonical case, values the core plans,
    such as CopiedObject's `source_etag`, set), and every failure found. Unknown inputs are never failures."""

    inputs: Props
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class Change:
    """One reason the resource changes: the property that drives it and, when the property itself is unchanged
    (a destination edited by hand, a BAR replaced), a sentence saying why."""

    property: str
    reason: str = ""


@dataclass(frozen=True)
class DiffResult:
    changes: tuple[Change, ...] = ()
    replaces: tuple[str, ...] = ()          # properties whose change replaces the resource; empty: in place
    delete_before_replace: bool = False     # the old one must go first (one name per instance, say)

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.replaces)

    @property
    def properties(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([c.property for c in self.changes] + list(self.replaces)))


@dataclass(frozen=True)
class Applied:
    """What create, update or import leaves: the resource's id and state (its outputs, every public input echoed;
    secret inputs that are never outputs are left out), and warnings for the user, attached to the resource."""

    id: str
    state: Props
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadResult:
    """A refresh. `id` None: the resource is gone (deleted by hand): drop it, and the next apply creates it.
    `inputs` are the inputs as they should now be recorded (so a refresh makes no spurious diff)."""

    id: str | None
    state: Props = field(default_factory=dict)
    inputs: Props = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass
class Context:
    """What a long call may use of its front end: a log line (level "info" or "warning", shown where the front end
    shows progress), progress in bytes, and a cancel flag the front end sets on Ctrl-C / StopProvider / an engine
    that went away. Work in flight checks `cancelled` between requests and aborts what it started."""

    log: Callable[[str, str], None] = lambda level, message: None
    progress: Callable[[int, int], None] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)


class Resource(Protocol):
    """One resource type's decisions. Every method takes and returns plain data (see the module docstring).

    Call order, as both engines drive it: check (validate, plan), diff against the prior state, plan (the state the
    apply will produce, with UNKNOWN where only the apply can tell), then create / update / delete; read on
    refresh; import_ for `pulumi import` / `terraform import`.
    """

    schema: "ResourceSchema"

    def check(self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> CheckResult:
        """Validate and plan the inputs. `olds` are the prior inputs (None on create). May do read-only I/O (a
        HEAD of a source to plan its ETag); never writes."""

    def diff(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> DiffResult:
        """Prior state (outputs) against checked inputs. No I/O but what decides a replace (is a new URL the
        same physical object?)."""

    def plan(self, state: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Props:
        """The state create (state None) or update will produce, as far as it is known before it runs: inputs as
        planned, outputs the core knows (a pinned source_etag; outputs an update keeps), UNKNOWN for the rest.
        No I/O. What is planned known here must be what the apply returns."""

    def create(self, inputs: Mapping[str, Any], ctx: Context) -> Applied: ...

    def update(self, id: str, state: Mapping[str, Any], inputs: Mapping[str, Any], ctx: Context) -> Applied: ...

    def read(self, id: str, state: Mapping[str, Any], ctx: Context) -> ReadResult: ...

    def delete(self, id: str, state: Mapping[str, Any], ctx: Context) -> tuple[str, ...]:
        """Delete only what this resource made; returns warnings (what was left in place, and why)."""

    def import_(self, id: str, ctx: Context) -> ReadResult:
        """Take over an existing thing by its import id (the schema's `import_id` says its form) without changing
        it. A wrong id raises UsageError naming what is wrong."""


class Function(Protocol):
    """A read-only lookup (a data source in Terraform, an invoke in Pulumi)."""

    schema: "FunctionSchema"

    def check(self, args: Mapping[str, Any]) -> CheckResult: ...

    def call(self, args: Mapping[str, Any], ctx: Context) -> Props: ...
