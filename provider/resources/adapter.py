"""The Pulumi dynamic front end over the core: one ResourceProvider that drives any core resource (api.Resource),
converting Pulumi's values to plain data and the core's results to Pulumi's.

Each resource keeps its own provider class (`CopiedObjectProvider(CoreProvider)`, `core_name = "CopiedObject"`) at
its historical class path: the provider is pickled by reference into every state, and `read`/`delete` run the class
that path names, so a stack made by an older release must find it there.
"""
from __future__ import annotations

from typing import Any, Mapping

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .. import core
from ..core.api import UNKNOWN, Context, is_unknown
from ..core.schema import INT
from ..stores.base import ObjectCopyError
from . import engine_log
from .base import Provider, drift_seen, restore_plan


def _from_pulumi(props: Mapping[str, Any], integers: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Plain data; `integers` (the schema's integer properties) come back as int: the wire's numbers are floats."""
    return {k: (UNKNOWN if isinstance(v, Unknown) or v == rpc.UNKNOWN
                else int(v) if k in integers and isinstance(v, float) and v.is_integer() else v)
            for k, v in props.items() if k != "__provider"}


def _to_pulumi(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (rpc.UNKNOWN if is_unknown(v) else v) for k, v in props.items()}


def _context() -> Context:
    return Context(log=lambda level, message: engine_log.warn(message) if level == "warning" else None)


class CoreProvider(Provider):
    """A dynamic provider that asks the core resource `core_name` for every decision (base.Provider: the stack's
    config, and failures as one line)."""

    core_name = ""
    explain_diff = False  # say each change's reason in the engine's diagnostics (the dynamic protocol drops them)
    # True: this resource's dynamic state has always kept its secret inputs among its outputs too (the engine keeps
    # them secret there), as older releases wrote it. The core never outputs them; they are kept so here, and a
    # change of one is recorded by an update.
    keeps_secret_inputs = False

    @property
    def core(self) -> core.Resource:
        return core.resource(self.core_name)

    def _plain(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return _from_pulumi(props, frozenset(p.name for p in self.core.schema.props if p.type == INT))

    def _kept_secrets(self, props: Mapping[str, Any]) -> dict[str, Any]:
        if not self.keeps_secret_inputs:
            return {}
        return {p.name: props.get(p.name) for p in self.core.schema.inputs if p.secret and not p.echoed}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = self.core.check(self._plain(news), self._plain(olds) if olds else None)
        # After a refresh that saw drift, the written ETag is planned as an input, so the preview shows why
        # (base.py: a dynamic provider has no other way to give a reason).
        inputs = {**_to_pulumi(result.inputs), **restore_plan(olds or {})}
        return CheckResult(inputs, [CheckFailure(f.property, f.reason) for f in result.failures])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        diff = self.core.diff(id_, self._plain(olds), self._plain(news))
        if self.explain_diff:  # the dynamic protocol drops a diff's reasons: say them as a diagnostic instead
            for change in diff.changes:
                if change.reason:
                    engine_log.info(f"{self.core_name} {id_}: {change.reason}")
        secret_changed = self._kept_secrets(olds) != self._kept_secrets(news)
        return DiffResult(changes=diff.changed or secret_changed, replaces=list(diff.replaces),
                          delete_before_replace=diff.delete_before_replace)

    def create(self, props: dict[str, Any]) -> CreateResult:
        applied = self._run(lambda: self.core.create(self._plain(props), _context()))
        return CreateResult(applied.id, {**applied.state, **self._kept_secrets(props)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        applied = self._run(lambda: self.core.update(id_, self._plain(olds), self._plain(news), _context()))
        return UpdateResult({**applied.state, **self._kept_secrets(news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        result = self._run(lambda: self.core.read(id_, self._plain(props), _context()))
        if result.id is None:
            return ReadResult("", {})  # gone: the engine drops it, and the next up creates it again
        kept = self._kept_secrets(props)
        inputs = self.read_inputs(result)
        return ReadResult(result.id, {**result.state, **kept}, None if inputs is None else {**inputs, **kept})

    @staticmethod
    def read_inputs(result: core.ReadResult) -> dict[str, Any] | None:
        """The inputs a refresh hands back to the engine (None: keep the engine's own), with the ETags of a drift
        that show why the next up writes again (base.py)."""
        return {**result.inputs, **drift_seen(result.state)}

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._run(lambda: self.core.delete(id_, self._plain(props), _context()))

    @staticmethod
    def _run(call):
        try:
            outcome = call()
        except ObjectCopyError as e:
            raise Exception(str(e)) from None
        warnings = outcome if isinstance(outcome, tuple) else getattr(outcome, "warnings", ())
        for warning in warnings:
            engine_log.warn(warning)
        return outcome


def resource_props(schema, given: Mapping[str, Any]) -> dict[str, Any]:
    """The property map a dynamic Resource registers: every output declared (as None, so it becomes an attribute),
    the inputs given, secret inputs wrapped as secrets end to end."""
    props: dict[str, Any] = {p.name: None for p in schema.outputs}
    for p in schema.inputs:
        value = given.get(p.name)
        props[p.name] = pulumi.Output.secret(value) if p.secret and value is not None else value
    return props
