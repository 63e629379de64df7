"""The resources' core: what each resource decides, with no Pulumi in it (see api.py for the contract and
schema.py for how a resource declares its properties). Every front end finds the resources here, by name.

Importing this package, the transfer layer or the stores imports neither pulumi nor grpc: the Terraform provider
starts a process per command, and the Pulumi SDK alone costs 125-140 ms to import.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Mapping

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

if TYPE_CHECKING:
    from .schema import FunctionSchema, ResourceSchema

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
# Resource or function name -> the module that declares its schema alone and imports no I/O (its SCHEMA, or
# "module:NAME"). What only describes or validates (terraform's schema and validate processes, `pulumi package
# get-schema`) imports these and not the HTTP layer; a name left out has its schema read from its module above.
SCHEMA_MODULES: dict[str, str] = {
    "CopiedObject": "copied_object_schema", "CopiedPrefix": "copied_prefix_schema",
    "EpmObjectStoreExport": "epm_schema:EXPORT", "EpmObjectStoreImport": "epm_schema:IMPORT",
    "AnalyticsSnapshot": "analytics_schema:SNAPSHOT", "AnalyticsSnapshotRestore": "analytics_schema:RESTORE",
    "getObject": "get_object_schema"}


def resource(name: str) -> Resource:
    return import_module(f"{__name__}.{RESOURCE_MODULES[name]}").RESOURCE  # type: ignore[no-any-return]


def resources() -> dict[str, Resource]:
    return {name: resource(name) for name in RESOURCE_MODULES}


def resource_schema(name: str) -> ResourceSchema:
    return _schema(name, RESOURCE_MODULES, "RESOURCE")  # type: ignore[no-any-return]


def resource_schemas() -> dict[str, ResourceSchema]:
    return {name: resource_schema(name) for name in RESOURCE_MODULES}


def function_schema(name: str) -> FunctionSchema:
    return _schema(name, FUNCTION_MODULES, "FUNCTION")  # type: ignore[no-any-return]


def function_schemas() -> dict[str, FunctionSchema]:
    return {name: function_schema(name) for name in FUNCTION_MODULES}


def _schema(name: str, modules: Mapping[str, str], defined: str) -> Any:
    module = modules[name]  # KeyError for a name not registered, declared schema or not
    declared = SCHEMA_MODULES.get(name)
    if declared is None:
        return getattr(import_module(f"{__name__}.{module}"), defined).schema
    module, _, attribute = declared.partition(":")
    return getattr(import_module(f"{__name__}.{module}"), attribute or "SCHEMA")


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
           "configure", "function", "function_schema", "function_schemas", "functions", "is_unknown", "resource",
           "resource_schema", "resource_schemas", "resources"]
