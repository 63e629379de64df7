"""A copy's inputs as `objectcopy cp` gives them: CopiedObject's own (its schema and rules,
core/copied_object_schema.py) plus the command's three extra conditions. Pure: no I/O here, and no Pulumi.

`check_inputs` applies the one set of rules for a copy's inputs with the command's flag names, so that the command
and the resource refuse the same values with the same words."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from .core.copied_object_schema import CANNED_ACLS, COPY_INPUTS, ENUMS, SCHEMA, SSE, Args  # noqa: F401
from .inputs import date_problem, etag_problem

CopiedObjectArgs = Args  # the name the command and older code use
OUTPUTS = SCHEMA.output_names


def check_inputs(p: Mapping[str, Any], name: Callable[[str], str] = lambda prop: prop) -> list[tuple[str, str]]:
    """(property, message) for every input in `p` (defaults filled in) that breaks a rule. `name` says how the
    user wrote each input, and the messages use it: `if_match` for the resource, `--if-match` for the command.
    Only the properties present are judged (a prefix copy has no source or destination); besides the resource's
    inputs, it checks the command's own: if_none_match, if_modified_since, dest_if_match."""
    failures = [(f.property, f.reason) for f in SCHEMA.validate(p, name=name, given_only=True)]
    if p.get("if_modified_since") is not None and (problem := date_problem(p["if_modified_since"])):
        failures.append(("if_modified_since", f"{name('if_modified_since')}: {problem}"))
    for prop in ("if_none_match", "dest_if_match"):
        if p.get(prop) is not None and (problem := etag_problem(p[prop], star=prop == "if_none_match")):
            failures.append((prop, f"{name(prop)}: {problem}"))
    return failures

