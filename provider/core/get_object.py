"""The function `getObject` (Pulumi) / data source `objectcopy_object` (Terraform): read a golden object's ETag,
size, date, metadata and content type without copying it."""
from __future__ import annotations

from typing import Any, Mapping

from .. import transfer
from ..stores.base import ObjectCopyError, UsageError
from ..urls import URLError, parse
from .api import CheckResult, Context, Props
from .copied_object_schema import object_url
from .errors import within
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


class GetObject:
    schema = SCHEMA

    def check(self, args: Mapping[str, Any]) -> CheckResult:
        return CheckResult({"url": args.get("url")}, SCHEMA.validate(args))

    def call(self, args: Mapping[str, Any], ctx: Context) -> Props:
        try:
            info = transfer.head(parse(args["url"], field="url"))
        except URLError as e:
            raise UsageError(str(e)) from None
        except ObjectCopyError as e:
            raise within(e, f"getObject {args['url']}") from None
        return {"url": args["url"], "etag": info.etag, "size": info.size,
                "last_modified": info.last_modified.isoformat() if info.last_modified else None,
                "metadata": dict(info.metadata), "content_type": info.content_type}


FUNCTION = GetObject()
