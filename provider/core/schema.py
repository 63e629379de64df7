"""Each resource's schema, declared once as data: every input and output with its type, whether it is required,
computed, secret, its default, whether a change replaces the resource, its validation and its one-line
description. From it come validation at plan time (one convention for every resource), the diff's classification,
the dynamic resources' properties, the README's tables, the Pulumi plugin's schema and the Terraform schema.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .api import UNKNOWN, Failure, is_unknown

STRING, BOOL, INT, STRING_MAP, STRING_LIST = "string", "boolean", "integer", "map", "list"
TYPES = (STRING, BOOL, INT, STRING_MAP, STRING_LIST)
PACKAGE = "objectcopy"

# A rule judges one known, non-None value and returns what is wrong with it (without the property's name), or None.
Rule = Callable[[Any], "str | None"]
# A cross rule judges the whole input map (defaults filled) and returns (property, reason) pairs; `name` says how
# the user wrote each property (the resource's name, or a command's flag), for reasons that mention another one.
CrossRule = Callable[[Mapping[str, Any], Callable[[str], str]], Iterable["tuple[str, str]"]]


@dataclass(frozen=True)
class Prop:
    """One property. An input is given by the user; an output (`output=True`) is set by the resource. A
    `planned` output is also filled in at check time (CopiedObject's source_etag: the ETag the copy will pin), so
    it is known in a plan; the user never sets it. An `always_set` property is in every state a program sees
    (after a create or an update, also one that follows an import), so generated SDKs type it as present; an input
    with a default always is."""

    name: str                      # snake_case: the state's, the dynamic resource's and Terraform's name
    type: str
    description: str               # one line, for every front end's docs and the README
    required: bool = False
    output: bool = False
    planned: bool = False
    secret: bool = False           # secret end to end; Terraform `sensitive`
    default: Any = None            # filled in by check when the input is absent (None)
    replaces: bool = False         # a change replaces the resource
    choices: tuple[str, ...] = ()  # allowed values (compared after `case`)
    case: str | None = None        # "upper" | "lower": canonical case of an enum
    rules: tuple[Rule, ...] = ()
    echoed: bool = True            # an input kept in the state's outputs (False: secret inputs never output)
    always_set: bool = False       # never None in a program's state: the Pulumi schema's `required` outputs
    # An output that is the resource's own bookkeeping (CopiedPrefix's record of what it wrote, up to about 1 MB):
    # kept in the state, but never shown in a plan nor offered to a program. Terraform keeps it in the resource's
    # private state, the Pulumi plugin under an internal `__` key; the dynamic resources as an ordinary output.
    internal: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: type {self.type!r} is not one of {TYPES}")
        if self.internal and not self.output:
            raise ValueError(f"{self.name}: only an output can be internal")

    @property
    def input(self) -> bool:
        return not self.output

    @property
    def present(self) -> bool:
        """In every state a program sees: required, defaulted or always set."""
        return self.required or self.always_set or (self.input and self.default is not None)

    @property
    def camel(self) -> str:
        """Pulumi's name for it: sourceEtag."""
        head, *rest = self.name.split("_")
        return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class ResourceSchema:
    name: str                                  # CopiedObject
    description: str
    props: tuple[Prop, ...]
    cross_rules: tuple[CrossRule, ...] = ()
    delete_before_replace: bool = False
    import_id: str = ""                        # what `import` takes, for docs: "SOURCE,DESTINATION"
    # What `objectcopy drift` calls each finding (core/drift.py), in the order it looks for them: "missing" (the
    # read found it gone), a property the diff changes ("etag": "destination changed"), or "<planned> missing" (the
    # check could no longer plan it: the source is gone). Empty: not checked for drift (an action, like a restore).
    drift: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    # --- names -----------------------------------------------------------------------------------------------
    @property
    def snake(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower()

    @property
    def pulumi_token(self) -> str:
        return f"{PACKAGE}:index:{self.name}"

    @property
    def terraform_type(self) -> str:
        return f"{PACKAGE}_{self.snake}"

    # --- views -----------------------------------------------------------------------------------------------
    def prop(self, name: str) -> Prop:
        for p in self.props:
            if p.name == name:
                return p
        raise KeyError(name)

    # Cached: every call of a plan asks for them (the schema is frozen, so they never change).
    @cached_property
    def inputs(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.input)

    @cached_property
    def outputs(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.output)

    @cached_property
    def input_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.inputs)

    @cached_property
    def output_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.outputs)

    @cached_property
    def secret_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props if p.secret)

    @cached_property
    def replace_on(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.inputs if p.replaces)

    # --- plan-time work --------------------------------------------------------------------------------------
    def with_defaults(self, news: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs, with defaults filled in and enums in canonical case; unknown keys dropped, UNKNOWN kept."""
        out: dict[str, Any] = {}
        for p in self.inputs:
            value = news.get(p.name)
            if value is None and p.default is not None:
                value = dict(p.default) if isinstance(p.default, dict) else p.default
            if p.case and isinstance(value, str):
                value = value.upper() if p.case == "upper" else value.lower()
            out[p.name] = value
        return out

    def validate(self, inputs: Mapping[str, Any], *, name: Callable[[str], str] = lambda prop: prop,
                 given_only: bool = False) -> tuple[Failure, ...]:
        """Every failure of known inputs (defaults already filled in), each reason starting with the property as
        `name` spells it. A property that is UNKNOWN is never judged, nor is a cross rule's finding on one.
        `given_only`: judge only the properties present in `inputs` (a command checking the flags it has)."""
        failures: list[Failure] = []
        for p in self.inputs:
            if given_only and p.name not in inputs:
                continue
            value = inputs.get(p.name)
            if is_unknown(value):
                continue
            reason = _judge(p, value)
            if reason:
                failures.append(Failure(p.name, f"{name(p.name)}: {reason}"))
        # Cross rules see the failed properties as absent; what they say of an unknown or already failed
        # property is dropped, so each property is reported once.
        skip = {f.property for f in failures} | {k for k, v in inputs.items() if is_unknown(v)}
        judged = {k: (None if k in skip else v) for k, v in inputs.items()}
        for rule in self.cross_rules:
            for prop, reason in rule(judged, name):
                if prop not in skip:
                    skip.add(prop)
                    failures.append(Failure(prop, f"{name(prop)}: {reason}"))
        return tuple(failures)

    def echoed_inputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs that a state records among its outputs (all but secret inputs that are never outputs)."""
        return {p.name: props.get(p.name) for p in self.inputs if p.echoed}


@dataclass(frozen=True)
class FunctionSchema:
    name: str                                  # getObject (Pulumi), object (Terraform data source: objectcopy_object)
    terraform_name: str
    description: str
    args: tuple[Prop, ...]
    results: tuple[Prop, ...]

    @property
    def pulumi_token(self) -> str:
        return f"{PACKAGE}:index:{self.name}"

    @property
    def terraform_type(self) -> str:
        return f"{PACKAGE}_{self.terraform_name}"

    def validate(self, args: Mapping[str, Any]) -> tuple[Failure, ...]:
        """Every failure of the known arguments, as ResourceSchema.validate reports them."""
        return tuple(Failure(p.name, f"{p.name}: {reason}") for p in self.args
                     if not is_unknown(args.get(p.name)) and (reason := _judge(p, args.get(p.name))))


def _judge(p: Prop, value: Any) -> str | None:
    if value is None:
        return "required" + (f": {p.description}" if p.description else "") if p.required else None
    kind_problem = _type_problem(p.type, value)
    if kind_problem:
        return kind_problem
    if p.choices and value not in p.choices:
        return f"{value!r} is not one of {', '.join(p.choices)}"
    for rule in p.rules:
        reason = rule(value)
        if reason:
            return reason
    return None


def _type_problem(kind: str, value: Any) -> str | None:
    if kind == STRING and not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if kind == BOOL and not isinstance(value, bool):
        return f"must be true or false, not {value!r}"
    if kind == INT and (isinstance(value, bool) or not isinstance(value, int)):
        return f"must be a whole number, not {value!r}"
    if kind == STRING_MAP:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in value.items()):
            return "must be a map of strings to strings"
    if kind == STRING_LIST:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return "must be a list of strings"
    return None


def markdown_table(props: Iterable[Prop], *, inputs: bool) -> str:
    """The README's table of a resource's inputs or outputs, generated (a test keeps the README equal to it)."""
    if inputs:
        rows = ["| input | default | meaning |", "|---|---|---|"]
        for p in props:
            default = "required" if p.required else (f"`{_show(p.default)}`" if p.default is not None else "")
            rows.append(f"| `{p.name}` | {default} | {p.description}{' (secret)' if p.secret else ''} |")
    else:
        rows = ["| output | meaning |", "|---|---|"]
        rows += [f"| `{p.name}` | {p.description} |" for p in props]
    return "\n".join(rows)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "{}" if value == {} else str(value)


__all__ = ["BOOL", "INT", "STRING", "STRING_LIST", "STRING_MAP", "UNKNOWN", "CrossRule", "FunctionSchema", "Prop",
           "ResourceSchema", "Rule", "markdown_table"]
