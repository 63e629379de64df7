"""Drift of one resource, decided by the resource itself: its own read (what a refresh does), then its own check and
diff (what the next plan would do). `objectcopy drift` reports this, so drift and refresh cannot disagree.

The words of each finding are the resource's (ResourceSchema.drift): "destination changed", "BAR missing", ...
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import UsageError
from .api import UNKNOWN, Context, Resource

IN_SYNC = "in sync"


@dataclass(frozen=True)
class Drift:
    status: str
    detail: str = ""


def checks_drift(resource: Resource) -> bool:
    return bool(resource.schema.drift)


def drift(resource: Resource, id: str, state: Mapping[str, Any], ctx: Context) -> Drift:
    """What changed since the resource last wrote, without changing anything. Raises what its read raises (an
    instance unreachable, credentials missing): the caller reports that as an error."""
    words = resource.schema.drift
    read = resource.read(id, state, ctx)
    if read.id is None:
        return Drift(words["missing"], "deleted since it was made")
    # The plan as the next preview would make it, from the inputs the state recorded. Secret inputs are not needed
    # to see drift (a state holds them encrypted, or not at all), nor are inputs a state leaves out: both are left
    # unknown, which no rule judges.
    recorded = {**state, **read.inputs}
    inputs = {**recorded, **{name: UNKNOWN for name in resource.schema.input_names
                             if name in resource.schema.secret_names or recorded.get(name) is None
                             and resource.schema.prop(name).required}}
    checked = resource.check(inputs, inputs)
    if checked.failures:  # a state this resource cannot plan from: say why rather than guess
        raise UsageError("the recorded inputs do not check: " + "; ".join(f.reason for f in checked.failures))
    planned = checked.inputs
    diff = resource.diff(id, read.state, planned)
    reasons = {c.property: c.reason or f"{c.property} changed" for c in diff.changes}
    reasons.update({p: reasons.get(p, f"{p} changed") for p in diff.replaces})
    # A planned value the check can no longer make (the source deleted, the BAR gone), where one was recorded, is
    # "<prop> missing"; a resource told not to track its source (track_source false) plans none on purpose.
    gone = {f"{p.name} missing": f"{p.name} was {state.get(p.name)}; it is gone" for p in resource.schema.props
            if p.planned and planned.get(p.name) is None and state.get(p.name) is not None
            and inputs.get("track_source") is not False}
    # Only what the resource names is drift: the inputs come from the state itself (secrets left unknown), so any
    # other difference is an artefact of reading them back, not a change someone made.
    for key, word in words.items():  # in the order the resource lists them
        if key in gone or key in reasons:
            return Drift(word, gone.get(key) or reasons[key])
    return Drift(IN_SYNC, "; ".join(read.warnings))
