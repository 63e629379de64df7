"""The Pulumi package schema of the plugin, made from the core's schema tables: camelCase names, every description,
secrets marked, and language package names that collide with nothing (the Python package `pulumi_objectcopy` is
this project's own)."""
from __future__ import annotations

from typing import Any, Iterable

from ..core.schema import BOOL, INT, PACKAGE, STRING, STRING_LIST, STRING_MAP, FunctionSchema, Prop, ResourceSchema

NPM_PACKAGE = "@objectcopy/pulumi"
GO_IMPORT_BASE = "github.com/objectcopy/pulumi-objectcopy/sdk/go/objectcopy"
CSHARP_NAMESPACE = "ObjectCopy"
PYTHON_PACKAGE = "objectcopy_pulumi_sdk"   # never generated here: Python programs use pulumi_objectcopy.plugin

PROFILES_DESCRIPTION = ("Profiles: profile name -> settings (scheme, endpoint, region, and where credentials come "
                        "from), as JSON text or an object; secrets go in secret config keys that a profile names.")

_TYPES: dict[str, dict[str, Any]] = {
    STRING: {"type": "string"}, BOOL: {"type": "boolean"}, INT: {"type": "integer"},
    STRING_MAP: {"type": "object", "additionalProperties": {"type": "string"}},
    STRING_LIST: {"type": "array", "items": {"type": "string"}},
}


def property_spec(prop: Prop) -> dict[str, Any]:
    spec: dict[str, Any] = {**_TYPES[prop.type], "description": _description(prop)}
    if prop.secret:
        spec["secret"] = True
    if prop.input and prop.default is not None and prop.type in (STRING, BOOL, INT):
        spec["default"] = prop.default
    return spec


def _description(prop: Prop) -> str:
    text = prop.description[:1].upper() + prop.description[1:]
    if prop.choices:
        text += f" One of: {', '.join(prop.choices)}."
    if prop.replaces:
        text += " A change that names another physical object replaces the resource."
    return text


def resource_spec(schema: ResourceSchema) -> dict[str, Any]:
    inputs = [p for p in schema.inputs]
    state = [p for p in schema.props if (p.output or p.echoed) and not p.internal]  # internal: values.pulumi_name
    description = schema.description
    if schema.import_id:
        description += (f"\n\n## Import\n\nAn existing one is adopted without change:\n\n```sh\n$ pulumi import "
                        f"{schema.pulumi_token} NAME '{schema.import_id}'\n```\n")
    return {
        "description": description,
        "properties": {p.camel: property_spec(p) for p in state},
        "required": [p.camel for p in state if p.present],
        "inputProperties": {p.camel: property_spec(p) for p in inputs},
        "requiredInputs": [p.camel for p in inputs if p.required],
    }


def function_spec(schema: FunctionSchema) -> dict[str, Any]:
    return {
        "description": schema.description,
        "inputs": {"properties": {p.camel: property_spec(p) for p in schema.args},
                   "required": [p.camel for p in schema.args if p.required]},
        "outputs": {"properties": {p.camel: property_spec(p) for p in (*schema.args, *schema.results)},
                    "required": [p.camel for p in (*schema.args, *schema.results) if p.present]},
    }


def package_schema(resources: Iterable[ResourceSchema], functions: Iterable[FunctionSchema], *,
                   version: str) -> dict[str, Any]:
    profiles = {"type": "string", "description": PROFILES_DESCRIPTION}
    return {
        "name": PACKAGE,
        "displayName": "objectcopy",
        "version": version,
        "description": "Server-side object copies across S3, COS, OSS, Swift, OCI and local files, and Oracle "
                       "Analytics and EPM snapshots, as Pulumi resources.",
        "keywords": ["pulumi", "objectcopy", "s3", "swift", "oci", "category/utility"],
        "license": "Apache-2.0",
        "publisher": "pulumi-objectcopy",
        "config": {"variables": {"profiles": profiles}},
        "provider": {"description": "The objectcopy provider: its configuration is the stack's objectcopy:* config.",
                     "inputProperties": {"profiles": profiles}},
        "resources": {s.pulumi_token: resource_spec(s) for s in resources},
        "functions": {s.pulumi_token: function_spec(s) for s in functions},
        "language": {
            "nodejs": {"packageName": NPM_PACKAGE, "packageDescription": "objectcopy resources for Pulumi",
                       "dependencies": {"@pulumi/pulumi": "^3.0.0"}},
            "go": {"importBasePath": GO_IMPORT_BASE, "generateResourceContainerTypes": False},
            "csharp": {"rootNamespace": CSHARP_NAMESPACE, "packageReferences": {"Pulumi": "3.*"}},
            "python": {"packageName": PYTHON_PACKAGE},
        },
    }
