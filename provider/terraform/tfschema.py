"""GetProviderSchema's answer, from the core's schema tables: one resource `objectcopy_<snake>` per core resource,
one data source per core function, and the provider block's `profiles`."""
from __future__ import annotations

from ..core.schema import FunctionSchema, Prop, ResourceSchema
from ._proto import tfplugin6_pb2 as pb
from . import provider_config
from .adapter import ID, attributes, computed, write_only
from .values import cty_type

SCHEMA_VERSION = 0  # bump with a step in ResourceAdapter.upgrade when a state's shape changes


def _attribute(p: Prop) -> pb.Schema.Attribute:
    required = p.input and p.required
    return pb.Schema.Attribute(
        name=p.name, type=cty_type(p.type), description=p.description, required=required,
        optional=p.input and not required, computed=computed(p), sensitive=p.secret, write_only=write_only(p))


def id_description(schema: ResourceSchema) -> str:
    return (f"the resource's id; `terraform import` takes {schema.import_id}" if schema.import_id
            else "the resource's id")


def resource_schema(schema: ResourceSchema) -> pb.Schema:
    id_attr = pb.Schema.Attribute(name=ID, type=cty_type("string"), computed=True, description=id_description(schema))
    return pb.Schema(version=SCHEMA_VERSION, block=pb.Schema.Block(
        attributes=[id_attr] + [_attribute(p) for p in attributes(schema)], description=schema.description))


def data_source_schema(schema: FunctionSchema) -> pb.Schema:
    attributes = [pb.Schema.Attribute(name=p.name, type=cty_type(p.type), description=p.description,
                                      required=p.required, optional=not p.required, sensitive=p.secret)
                  for p in schema.args]
    attributes += [pb.Schema.Attribute(name=p.name, type=cty_type(p.type), description=p.description,
                                       computed=True, sensitive=p.secret) for p in schema.results]
    return pb.Schema(version=0, block=pb.Schema.Block(attributes=attributes, description=schema.description))


def provider_schema() -> pb.Schema:
    fields = [pb.Schema.Attribute(name=name, type=cty_type(kind), optional=True,
                                  description=provider_config.description(name))
              for name, kind in provider_config.fields().items()]
    profiles = pb.Schema.Attribute(
        name="profiles", optional=True,
        nested_type=pb.Schema.Object(nesting=pb.Schema.Object.MAP, attributes=fields),
        description="named profiles, as in profiles.toml; a URL names one as s3://PROFILE@bucket/key")
    return pb.Schema(version=0, block=pb.Schema.Block(
        attributes=[profiles], description="Server-side object copies, Oracle Analytics snapshots and EPM transfers"))
