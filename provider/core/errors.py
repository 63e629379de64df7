"""Errors as the core reports them: the same error type, its message prefixed with what was being done."""
from __future__ import annotations

from ..errors import ObjectCopyError


def within(error: ObjectCopyError, doing: str) -> ObjectCopyError:
    """`error` as one line that says what was being done: `CopiedObject s3://a/x -> s3://b/x: <reason>`, keeping its
    type (so its exit code and class still say what went wrong)."""
    # Made without calling __init__, whose arguments differ by type (JobFailed's status): copy.copy would call it.
    wrapped = type(error).__new__(type(error))
    wrapped.__dict__.update(error.__dict__)
    wrapped.args = (f"{doing}: {error}",)
    return wrapped
