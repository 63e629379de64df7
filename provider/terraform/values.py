"""Terraform's values as the core's plain data, and back.

A DynamicValue is msgpack (JSON only in UpgradeResourceState's raw state). An object carries every attribute of its
schema; null is nil; an unknown value is any msgpack extension (ext 12 is a refined unknown, whose refinements we
may ignore); we write unknowns as ext 0, as terraform does. Inside Python an unknown is the core's UNKNOWN, at any
depth (a map with one unknown value stays a map).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgpack

from ..core.api import UNKNOWN, is_unknown
from ..core.schema import BOOL, INT, STRING, STRING_LIST, STRING_MAP

_UNKNOWN_EXT = msgpack.ExtType(0, b"\x00")

# The cty type of each schema type, as the JSON terraform reads in a schema attribute's `type`.
CTY_TYPES: dict[str, Any] = {STRING: "string", BOOL: "bool", INT: "number", STRING_MAP: ["map", "string"],
                             STRING_LIST: ["list", "string"]}


def cty_type(kind: str) -> bytes:
    return json.dumps(CTY_TYPES[kind]).encode()


def decode(raw: bytes) -> Any:
    """A DynamicValue's msgpack as Python: dict, list, str, int, float, bool, None or UNKNOWN."""
    if not raw:
        return None
    return msgpack.unpackb(raw, raw=False, strict_map_key=False, ext_hook=lambda code, data: UNKNOWN)


def encode(value: Any) -> bytes:
    return msgpack.packb(value, default=_unknown_as_ext, use_bin_type=True)


def _unknown_as_ext(value: Any) -> Any:
    if is_unknown(value):
        return _UNKNOWN_EXT
    raise TypeError(f"cannot encode {type(value).__name__} for terraform")


def holds_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(holds_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_unknown(v) for v in value)
    return False


def to_core(kind: str, value: Any) -> Any:
    """One attribute's value as the core takes it: wholly UNKNOWN when any part is, whole numbers as int."""
    if holds_unknown(value):
        return UNKNOWN
    if kind == INT and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == INT and isinstance(value, str):  # cty writes numbers too large for msgpack as strings
        try:
            return int(value)
        except ValueError:
            return value
    return value


def from_json(kind: str, value: Any) -> Any:
    """One attribute of a state stored as JSON (UpgradeResourceState), as its current type wants it; a value an
    older schema stored in another shape is kept when it converts losslessly, else dropped (null)."""
    if value is None:
        return None
    if kind == STRING:
        return value if isinstance(value, str) else (json.dumps(value) if isinstance(value, bool) else str(value))
    if kind == BOOL:
        return value if isinstance(value, bool) else {"true": True, "false": False}.get(str(value).lower())
    if kind == INT:
        try:
            return int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            return None
    if kind == STRING_MAP:
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None
    if kind == STRING_LIST:
        return [str(v) for v in value] if isinstance(value, list) else None
    return value
