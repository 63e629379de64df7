"""Everything that goes wrong, as terraform shows it: a diagnostic, on the attribute's path where there is one (then
terraform points at the configuration line), warnings as warning diagnostics. An exception must never escape a
call: terraform would show a bare gRPC error."""
from __future__ import annotations

import logging
from typing import Iterable

from ..core.api import Failure
from ._proto import tfplugin6_pb2 as pb

log = logging.getLogger("pulumi_objectcopy.terraform")

def path(*steps: "str | tuple[str]") -> pb.AttributePath:
    """An attribute path: each step an attribute name, or (key,) for a map's element."""
    return pb.AttributePath(steps=[
        pb.AttributePath.Step(element_key_string=s[0]) if isinstance(s, tuple)
        else pb.AttributePath.Step(attribute_name=s) for s in steps])


def error(summary: str, detail: str = "", at: pb.AttributePath | None = None) -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail, attribute=at)


def warning(summary: str, detail: str = "", at: pb.AttributePath | None = None) -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.WARNING, summary=summary, detail=detail, attribute=at)


def warnings(messages: Iterable[str]) -> list[pb.Diagnostic]:
    return [warning(m) for m in messages]


def failures(found: Iterable[Failure]) -> list[pb.Diagnostic]:
    return [error(f.reason, at=path(f.property)) for f in found]


def from_exception(e: BaseException, what: str) -> list[pb.Diagnostic]:
    from ..errors import ObjectCopyError
    from .adapter import PlanFailures
    if isinstance(e, PlanFailures):
        return failures(e.failures)
    if isinstance(e, ObjectCopyError):
        prop = getattr(e, "property", None)
        return [error(str(e), at=path(prop) if prop else None)]
    log.error("%s failed", what, exc_info=e)
    return [error(f"internal error in terraform-provider-objectcopy during {what}: {type(e).__name__}: {e}",
                  "This is a bug in the provider; its log (TF_LOG_PROVIDER=ERROR) has the traceback.")]
