"""getObject's arguments and results, declared apart from its code (get_object.py), which imports the transfer
layer: describing and validating the data source imports no HTTP layer."""
from __future__ import annotations

from .copied_object_schema import object_url
from .schema import INT, STRING, STRING_MAP, FunctionSchema, Prop

SCHEMA = FunctionSchema(
    name="getObject", terraform_name="object",
    description="Reads one object's ETag, size, date, metadata and content type, without copying it.",
    args=(Prop("url", STRING, "object URL; a profile can be named: s3://PROFILE@bucket/key", required=True,
               rules=(object_url,)),),
    results=(
        Prop("etag", STRING, "the object's ETag", output=True, always_set=True),
        Prop("size", INT, "its size in bytes", output=True, always_set=True),
        Prop("last_modified", STRING, "its Last-Modified (ISO 8601)", output=True),
        Prop("metadata", STRING_MAP, "its user metadata", output=True, always_set=True),
        Prop("content_type", STRING, "its Content-Type", output=True),
    ),
)
