"""Errors as the core reports them: the same error type, its message prefixed with what was being done."""
from __future__ import annotations

import copy

from ..stores.base import ObjectCopyError


def within(error: ObjectCopyError, doing: str) -> ObjectCopyError:
    """`error` as one line that says what was being done: `CopiedObject s3://a/x -> s3://b/x: <reason>`, keeping its
    type (so its exit code and class still say what went wrong)."""
    wrapped = copy.copy(error)
    wrapped.args = (f"{doing}: {error}",)
    return wrapped
