"""The resources' core: what each resource decides, with no Pulumi in it (see api.py for the contract and
schema.py for how a resource declares its properties). Every front end finds the resources here, by name.

Importing this package, the transfer layer or the stores imports neither pulumi nor grpc: the Terraform provider
starts a process per command, and the Pulumi SDK alone costs 125-140 ms to import.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Mapping

from .api import (
    UNKNOWN,
    Applied,
    Change,
    CheckResult,
    Context,
    DiffResult,
    Failure,
    Function,
    ReadResult,
    Resource,
    is_unknown,
)

# Resource name -> the core module that defines RESOURCE (an object implementing api.Resource). Adding a resource
# is one module plus one line here.
RESOURCE_MODULES: dict[str, str] = {
    "CopiedObject": "copied_object",
    "EpmObjectStoreExport": "epm_export", "EpmObjectStoreImport": "epm_import",
    "CopiedPrefix": "copied_prefix",
    "AnalyticsSnapshot": "analytics_snapshot", "AnalyticsSnapshotRestore": "analytics_snapshot_restore",
}
# Function name (Pulumi's) -> the core module that defines FUNCTION (api.Function).
FUNCTION_MODULES: dict[str, str] = {"getObject": "get_object"}


def resource(name: str) -> Resource:
    return import_module(f"{__name__}.{RESOURCE_MODULES[name]}").RESOURCE  # type: ignore[no-any-return]


def resources() -> dict[str, Resource]:
    return {name: resource(name) for name in RESOURCE_MODULES}


def function(name: str) -> Function:
    return import_module(f"{__name__}.{FUNCTION_MODULES[name]}").FUNCTION  # type: ignore[no-any-return]


def functions() -> dict[str, Function]:
    return {name: function(name) for name in FUNCTION_MODULES}


def configure(profiles: Mapping[str, Any] | None = None, config: Mapping[str, str] | None = None) -> None:
    """The front end's provider configuration: profiles (name -> settings, as in profiles.toml) and the stack's
    other `objectcopy:*` settings (secret config keys that profiles name). Kept in this process only."""
    from .. import profiles as profile_store
    merged: dict[str, Any] = {f"objectcopy:{k.split(':', 1)[-1]}": v for k, v in (config or {}).items()}
    if profiles is not None:
        merged["objectcopy:profiles"] = dict(profiles)
    profile_store.set_stack_config(merged)


__all__ = ["UNKNOWN", "Applied", "Change", "CheckResult", "Context", "DiffResult", "Failure", "ReadResult", "Resource",
           "configure", "function", "functions", "is_unknown", "resource", "resources"]
