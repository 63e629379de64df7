"""The Pulumi provider plugin `objectcopy` (`pulumi-resource-objectcopy`, served by server.py) and its resources for
Python programs: `pulumi_objectcopy.plugin.CopiedObject` and its siblings (resources.py), one per resource of the
core. Nothing is imported until a name is used, so the plugin process starts fast."""
from __future__ import annotations

from typing import Any

_classes: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    from .. import core
    if name not in core.RESOURCE_MODULES:
        raise AttributeError(name)
    if name not in _classes:
        from .resources import resource_class
        _classes[name] = resource_class(core.resource_schema(name))  # the schema alone: no I/O code in a program
    return _classes[name]


def __dir__() -> list[str]:
    from .. import core
    return sorted(core.RESOURCE_MODULES)
