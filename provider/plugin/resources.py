"""The plugin's resources for Python programs: CustomResource classes made from the core's schema tables, with the
plugin's type tokens (`objectcopy:index:CopiedObject`). Inputs and outputs keep the snake_case names of the dynamic
resources (`source_etag`), so a program moves to the plugin by changing an import (and adding an alias, README).
"""
from __future__ import annotations

from typing import Any, Optional

import pulumi

from ..core.schema import ResourceSchema


class PluginResource(pulumi.CustomResource):
    """One resource served by the `objectcopy` plugin (`pulumi-resource-objectcopy`)."""

    schema: ResourceSchema
    _to_camel: dict[str, str]
    _to_snake: dict[str, str]

    def __init__(self, resource_name: str, opts: Optional[pulumi.ResourceOptions] = None, **inputs: Any) -> None:
        kind, s = type(self).__name__, self.schema
        unknown = sorted(set(inputs) - set(s.input_names))
        if unknown:
            raise TypeError(f"{kind} {resource_name}: no input named {', '.join(unknown)} "
                            f"(its inputs: {', '.join(s.input_names)})")
        opts = opts or pulumi.ResourceOptions()
        if opts.id is None:
            missing = [p.name for p in s.inputs if p.required and inputs.get(p.name) is None]
            if missing:
                raise TypeError(f"{kind} {resource_name}: {', '.join(missing)} is required")
        props: dict[str, Any] = {p.name: inputs.get(p.name) for p in s.inputs}
        for name in s.secret_names:
            if props.get(name) is not None:
                props[name] = pulumi.Output.secret(props[name])
        for p in s.outputs:
            if not p.internal:
                props[p.name] = None  # declared, so each output is an attribute (`copy.source_etag`)
        secret_outputs = [p.name for p in s.props if p.secret]
        if secret_outputs:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs))
        super().__init__(s.pulumi_token, resource_name, props, opts)

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str],
            opts: Optional[pulumi.ResourceOptions] = None) -> "PluginResource":
        """An existing resource's state, read by its id (the state of a resource this program does not manage)."""
        return cls(resource_name, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))

    def translate_input_property(self, prop: str) -> str:
        return self._to_camel.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return self._to_snake.get(prop, prop)


def resource_class(schema: ResourceSchema) -> type[PluginResource]:
    return type(schema.name, (PluginResource,), {
        "__doc__": schema.description, "__module__": "pulumi_objectcopy.plugin", "schema": schema,
        "_to_camel": {p.name: p.camel for p in schema.props},
        "_to_snake": {p.camel: p.name for p in schema.props},
    })
