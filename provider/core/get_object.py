"""The function `getObject` (Pulumi) / data source `objectcopy_object` (Terraform): read a golden object's ETag,
size, date, metadata and content type without copying it."""
from __future__ import annotations

from typing import Any, Mapping

from .. import transfer
from ..errors import ObjectCopyError, URLError, UsageError
from ..urls import parse
from .api import CheckResult, Context, Props
from .errors import within
from .get_object_schema import SCHEMA


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
