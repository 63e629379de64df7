"""One core resource as Terraform drives it: the decisions of plan, apply, read and import over plain data, with no
gRPC in them (service.py decodes and encodes around these).

Terraform's rules this keeps (from ../shared/specs/frontends.md): an attribute the configuration sets is planned
exactly as configured (its own strings, even where the core canonicalises them); a value planned as known comes back
identical after apply; an Optional+Computed attribute left out of the configuration is planned by the provider. So
a state holds the configuration's strings, and the core always sees the canonical form (`core_state`).

An internal output (schema.Prop.internal: CopiedPrefix's record of what it wrote, up to about 1 MB) is no attribute:
it lives in the resource's private state, which terraform stores with the state and hands back on every call but
never shows, in a plan or anywhere else. The service merges it into the state it gives here (`with_private`) and
stores what `private` makes of a new state.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..core.api import UNKNOWN, Context, Failure, Function, Resource, is_unknown
from ..core.schema import STRING, Prop, ResourceSchema
from ..errors import UsageError
from .values import from_json, holds_unknown, to_core

ID = "id"  # Terraform's attribute for the core's id (read, update, delete and import need it)


def write_only(p: Prop) -> bool:
    """A secret input that is never an output is write-only: terraform passes it in the configuration and keeps
    it out of state and plan files."""
    return p.input and p.secret and not p.echoed


def attributes(schema: ResourceSchema) -> tuple[Prop, ...]:
    """The properties that are Terraform attributes: all but the internal outputs, kept in private state."""
    return tuple(p for p in schema.props if not p.internal)


def computed(p: Prop) -> bool:
    """Set by the provider when the configuration leaves it out (an output, or an input with a default or a
    planned value)."""
    return p.output or (not write_only(p) and not p.required and (p.default is not None or p.planned))


@dataclass(frozen=True)
class Planned:
    state: dict[str, Any] | None
    replaces: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()
    reasons: tuple[str, ...] = ()      # why the resource changes, where its attributes cannot say (the core's diff)


@dataclass(frozen=True)
class Outcome:
    state: dict[str, Any] | None
    warnings: tuple[str, ...] = ()
    private: bytes = b""               # the new private state (the internal outputs)


class ResourceAdapter:
    """`load` gives the resource's code when a call first needs it: validating, upgrading and describing a
    resource need its schema only, and the code imports the HTTP layer."""

    def __init__(self, schema: ResourceSchema, load: Callable[[], Resource]):
        self.schema = schema
        self._load = load
        self._resource: Resource | None = None
        if ID in {p.name for p in self.schema.props}:
            raise ValueError(f"{self.schema.name}: a property named {ID!r} clashes with Terraform's id")
        self.attributes = attributes(self.schema)
        self.internal = tuple(p for p in self.schema.props if p.internal)

    @property
    def resource(self) -> Resource:
        if self._resource is None:
            self._resource = self._load()
        return self._resource

    @property
    def kinds(self) -> dict[str, str]:
        return {ID: STRING, **{p.name: p.type for p in self.attributes}}

    # --- the private state: internal outputs, as JSON ------------------------------------------------------------
    def with_private(self, state: dict[str, Any] | None, private: bytes) -> dict[str, Any] | None:
        """Terraform's state of the resource with the internal outputs its private state holds."""
        if state is None or not self.internal:
            return state
        stored = json.loads(private) if private else {}
        return {**state, **{p.name: stored.get(p.name) for p in self.internal}}

    def private(self, values: Mapping[str, Any] | None) -> bytes:
        kept = {p.name: values.get(p.name) for p in self.internal if values and values.get(p.name) is not None}
        return json.dumps(kept, separators=(",", ":")).encode() if kept else b""

    # --- the core's view of Terraform's values -------------------------------------------------------------------
    def core_inputs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {p.name: to_core(p.type, values.get(p.name)) for p in self.schema.inputs}

    def core_state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """A Terraform state as the core wrote it: outputs as stored, inputs in canonical form."""
        outputs = {p.name: to_core(p.type, state.get(p.name)) for p in self.schema.outputs}
        return {**outputs, **self.schema.with_defaults(self.core_inputs(state))}

    def prior_inputs(self, state: Mapping[str, Any]) -> dict[str, Any]:
        core = self.core_state(state)
        return {p.name: core.get(p.name) for p in self.schema.props if p.input or p.planned}

    def to_terraform(self, config: Mapping[str, Any], values: Mapping[str, Any], id: Any) -> dict[str, Any]:
        """A state or plan: every attribute the configuration sets as configured, the rest from `values`."""
        out: dict[str, Any] = {ID: id}
        for p in self.attributes:
            given = config.get(p.name)
            if write_only(p):
                out[p.name] = None
            elif p.input and given is not None:
                out[p.name] = given
            elif computed(p):
                out[p.name] = values.get(p.name)
            else:
                out[p.name] = None
        return out

    # --- plan ----------------------------------------------------------------------------------------------------
    def plan(self, prior: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Planned:
        checked = self.resource.check(self.core_inputs(config), self.prior_inputs(prior) if prior else None)
        if checked.failures:
            return Planned(None, failures=checked.failures)
        if prior is None:
            return Planned(self.to_terraform(config, self.resource.plan(None, checked.inputs), UNKNOWN))
        state = self.core_state(prior)
        diff = self.resource.diff(prior[ID], state, checked.inputs)
        if not diff.changed:  # outputs as they are (a source the plan could not read keeps its recorded ETag)
            kept = {p.name: prior.get(p.name) for p in self.schema.outputs}
            return Planned(self.to_terraform(config, {**checked.inputs, **kept}, prior[ID]))
        reasons = tuple(c.reason for c in diff.changes if c.reason)
        if diff.replaces:
            planned = self.resource.plan(None, checked.inputs)
            return Planned(self.to_terraform(config, planned, UNKNOWN), replaces=diff.replaces, reasons=reasons)
        return Planned(self.to_terraform(config, self.resource.plan(state, checked.inputs), prior[ID]),
                       reasons=reasons)

    # --- apply ---------------------------------------------------------------------------------------------------
    def apply(self, prior: Mapping[str, Any] | None, planned: Mapping[str, Any] | None, config: Mapping[str, Any],
              ctx: Context) -> Outcome:
        if planned is None:
            assert prior is not None
            return Outcome(None, tuple(self.resource.delete(prior[ID], self.core_state(prior), ctx)))
        inputs = self._apply_inputs(prior, planned, config)
        if prior is None:
            applied = self.resource.create(inputs, ctx)
        else:
            state = self.core_state(prior)
            if not self.resource.diff(prior[ID], state, inputs).changed:
                return Outcome(self.to_terraform(config, {**prior, **_known(planned)}, prior[ID]),
                               private=self.private(prior))
            applied = self.resource.update(prior[ID], state, inputs, ctx)
        values = {**applied.state, **{k: v for k, v in _known(planned).items() if self._is_input(k)}}
        return Outcome(self.to_terraform(config, values, applied.id), tuple(applied.warnings),
                       self.private(applied.state))

    def _apply_inputs(self, prior: Mapping[str, Any] | None, planned: Mapping[str, Any],
                      config: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs create or update take: checked again now that every value is known, with what the plan
        showed pinned (the planned source ETag is the one copied, or the copy fails)."""
        checked = self.resource.check(self.core_inputs(config), self.prior_inputs(prior) if prior else None)
        if checked.failures:
            raise PlanFailures(checked.failures)
        inputs = dict(checked.inputs)
        for p in self.schema.props:
            if p.planned and p.name in planned and not holds_unknown(planned[p.name]):
                inputs[p.name] = to_core(p.type, planned[p.name])
        return inputs

    def _is_input(self, name: str) -> bool:
        return any(p.name == name and p.input for p in self.schema.props)

    # --- read and import -----------------------------------------------------------------------------------------
    def read(self, prior: Mapping[str, Any], ctx: Context) -> Outcome:
        result = self.resource.read(prior[ID], self.core_state(prior), ctx)
        if result.id is None:
            return Outcome(None, tuple(result.warnings))
        kept = {}  # the configuration's own strings where the core reads the same value back
        for p in self.schema.inputs:
            raw = prior.get(p.name)
            if p.name not in result.inputs or self.schema.with_defaults({p.name: raw}).get(p.name) == \
                    result.inputs.get(p.name):
                kept[p.name] = raw
        # An output is the state's (a refresh's inputs may plan it otherwise, as AnalyticsSnapshot's bar_etag).
        inputs = {k: v for k, v in result.inputs.items() if k not in self.schema.output_names}
        values = {**result.state, **inputs, **kept}
        return Outcome(self.to_terraform(values, values, result.id), tuple(result.warnings),
                       self.private(result.state))

    def import_(self, id: str, ctx: Context) -> Outcome:
        result = self.resource.import_(id, ctx)
        if result.id is None:
            raise UsageError(f"nothing to import at {id!r}")
        values = {**result.state, **result.inputs}
        return Outcome(self.to_terraform(values, values, result.id), tuple(result.warnings),
                       self.private(result.state))

    def upgrade(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """A state stored as JSON by any version of this provider, in today's shape: attributes no longer in the
        schema dropped, new ones null."""
        return {name: from_json(kind, raw.get(name)) for name, kind in self.kinds.items()}


class PlanFailures(Exception):
    def __init__(self, failures: tuple[Failure, ...]):
        super().__init__("; ".join(f.reason for f in failures))
        self.failures = failures


def _known(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not holds_unknown(v)}


def read_data_source(function: Function, config: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    schema = function.schema
    args = {p.name: to_core(p.type, config.get(p.name)) for p in schema.args}
    checked = function.check(args)
    if checked.failures:
        raise PlanFailures(checked.failures)
    results = function.call(checked.inputs, ctx)
    out = {p.name: config.get(p.name) for p in schema.args}
    out.update({p.name: results.get(p.name) for p in schema.results if not is_unknown(results.get(p.name))})
    return out
