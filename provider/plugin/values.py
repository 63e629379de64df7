"""Pulumi's PropertyValues and the core's plain data, both ways, and Pulumi's names for the core's.

The core keys every map by snake_case names and marks a value not known yet with core.UNKNOWN; Pulumi programs and
state use camelCase names (`sourceEtag`) and the engine's unknown sentinel. State written by the dynamic provider
(snake_case names, a pickled `__provider`) is read here too, so a stack can move to the plugin without a replace.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import rpc

from ..core.api import UNKNOWN, is_unknown
from ..core.schema import INT, Prop

# Keys the dynamic provider kept in its state beside the resource's own properties.
DYNAMIC_ONLY_KEYS = frozenset({"__provider"})


# --- unknowns: the SDK's bug and its workaround, kept here only ------------------------------------------------
def unknown() -> PropertyValue:
    """A value the engine reads as unknown (shown as `[unknown]`, filled in by the apply).

    pulumi 3.259's PropertyValue.marshal raises `ValueError: Unsupported value type: <class 'Computed'>` for
    PropertyValue.computed(), and still does in 3.272. The engine's own sentinel string, which is what a computed
    value is on the wire, marshals fine. tests/plugin/test_values.py tells when the SDK is fixed."""
    return PropertyValue(rpc.UNKNOWN)


def is_unknown_value(pv: PropertyValue) -> bool:
    # Unmarshalling gives the sentinel string, not Computed; accept both.
    return isinstance(pv.value, Computed) or pv.value == rpc.UNKNOWN


# --- names ---------------------------------------------------------------------------------------------------
def pulumi_name(p: Prop) -> str:
    """A property's name in Pulumi's state: camelCase; an internal output (schema.Prop.internal) under `__`, the
    engine's internal keys, which it keeps in the state and hands back to the provider but never displays (as
    pulumi-terraform-bridge keeps a Terraform provider's private state in `__meta`)."""
    return f"__{p.camel}" if p.internal else p.camel


class Names:
    """One resource's (or function's) properties under both names."""

    def __init__(self, props: Iterable[Prop]):
        self.props = {p.name: p for p in props}
        self.camel = {p.name: pulumi_name(p) for p in self.props.values()}
        # camelCase first, snake_case (the dynamic provider's) also accepted: for one-word names they are one.
        self.snake = {**{p.name: p.name for p in self.props.values()},
                      **{pulumi: snake for snake, pulumi in self.camel.items()}}
        multi = sorted((n for n in self.camel if "_" in n), key=len, reverse=True)
        self._snake_word = re.compile(r"\b(" + "|".join(map(re.escape, multi)) + r")\b") if multi else None

    def user_words(self, text: str) -> str:
        """A message of the core, with each property named as a Pulumi user types it (`if_match` -> `ifMatch`)."""
        if self._snake_word is None:
            return text
        return self._snake_word.sub(lambda m: self.camel[m.group(1)], text)


# --- PropertyValue -> plain ----------------------------------------------------------------------------------
def to_plain(pv: PropertyValue, prop: Prop | None = None) -> Any:
    if is_unknown_value(pv):
        return UNKNOWN
    value = pv.value
    if isinstance(value, float) and prop is not None and prop.type == INT and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    return value


def to_core(props: Mapping[str, PropertyValue], names: Names) -> tuple[dict[str, Any], set[str]]:
    """A property map as the core takes it, and the snake names of the values that were secret. Keys the schema
    does not know are dropped (the dynamic provider's `__provider` among them)."""
    out: dict[str, Any] = {}
    secret: set[str] = set()
    for key, pv in props.items():
        name = names.snake.get(key)
        if name is None:
            continue
        out[name] = to_plain(pv, names.props[name])
        if pv.contains_secret():
            secret.add(name)
    return out, secret


def is_dynamic_state(props: Mapping[str, PropertyValue]) -> bool:
    """State the dynamic provider wrote (its pickled provider beside snake_case names)."""
    return any(k in DYNAMIC_ONLY_KEYS for k in props)


# --- plain -> PropertyValue ----------------------------------------------------------------------------------
def from_plain(value: Any, secret: bool = False) -> PropertyValue:
    if is_unknown(value):
        pv = unknown()
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        pv = PropertyValue(value)
    elif isinstance(value, (int, float)):
        pv = PropertyValue(float(value))  # PropertyValue numbers are floats only
    elif isinstance(value, Mapping):
        pv = PropertyValue({str(k): from_plain(v) for k, v in value.items()})
    elif isinstance(value, (list, tuple)):
        pv = PropertyValue([from_plain(v) for v in value])
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to the engine")
    return pv.with_secret(True) if secret else pv


def from_core(props: Mapping[str, Any], names: Names, secret: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """A core map as Pulumi takes it: camelCase keys, absent values left out, secrets marked: the schema's secret
    properties, and `secret` (values the user gave as secrets, which stay secret in the state)."""
    keep_secret = set(secret) | {n for n, p in names.props.items() if p.secret}
    out: dict[str, PropertyValue] = {}
    for name, value in props.items():
        if value is None or name not in names.camel:
            continue
        out[names.camel[name]] = from_plain(value, secret=name in keep_secret)
    return out
