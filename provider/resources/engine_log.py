"""Messages from a dynamic provider to the user running `pulumi`: warnings, and the text of a failure.

A dynamic provider has no logging channel of its own (pulumi.log needs the program's engine connection, which the
provider process never gets). The engine does pass its address to every plugin it starts, so a warning goes through
the engine's Log RPC, where `pulumi up`/`destroy` print it. Without an engine (tests that call the provider
directly), it goes to stderr.

Both need the engine call being served. The provider methods get only properties, but the call runs on this thread
under pulumi's servicer method (`pulumi/dynamic/__main__.py`: `Create(self, request, context)`, ...), so it is found
on the stack: the request's `urn` puts a warning under its resource instead of under the stack, and the gRPC
context carries a failure's text to the engine as it is, without grpc's "Exception calling application: " prefix.
A Read's request also holds the inputs the engine keeps, which pulumi does not pass on (stored_inputs). Outside such
a call (tests, a worker thread) each falls back to what pulumi does by itself.
"""
from __future__ import annotations

import functools
import re
import sys
from typing import Any, Callable, NamedTuple, TypeVar

from ..stores.base import ObjectCopyError

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d+$")
F = TypeVar("F", bound=Callable[..., Any])


class Call(NamedTuple):
    """The engine's request (it has `urn`) and the gRPC servicer context of the call being served."""
    request: Any
    context: Any


def engine_address(argv: list[str] | None = None) -> str | None:
    for arg in (sys.argv if argv is None else argv)[1:]:
        if _ADDRESS.match(arg):
            return arg
    return None


def serving() -> Call | None:
    """The engine call this thread is serving: the nearest caller frame with a request that has a URN and a
    servicer context (one that can set a status's details)."""
    frame = sys._getframe(1)
    while frame is not None:
        request, context = frame.f_locals.get("request"), frame.f_locals.get("context")
        if isinstance(getattr(request, "urn", None), str) and callable(getattr(context, "set_details", None)):
            return Call(request, context)
        frame = frame.f_back
    return None


def stored_inputs() -> dict[str, Any] | None:
    """During a Read, the inputs the engine keeps for the resource (None elsewhere). Secrets come in plain text, as
    the engine sends them to a provider that does not accept secrets; it marks the same names secret again in the
    inputs a Read returns."""
    call = serving()
    if call is None or not hasattr(call.request, "inputs") or not call.request.HasField("inputs"):
        return None
    from pulumi.runtime import rpc

    inputs = rpc.deserialize_properties(call.request.inputs)
    inputs.pop("__provider", None)  # pulumi's Read adds it back
    return inputs


def warn(message: str) -> None:
    _log(message, "WARNING")


def info(message: str) -> None:
    """A line the engine prints among the run's diagnostics (what a preview says an update will do)."""
    _log(message, "INFO")


def _log(message: str, severity: str) -> None:
    address = engine_address()
    if address:
        call = serving()
        try:
            import grpc
            from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

            with grpc.insecure_channel(address) as channel:
                engine_pb2_grpc.EngineStub(channel).Log(
                    engine_pb2.LogRequest(severity=getattr(engine_pb2, severity), message=message,
                                          urn=call.request.urn if call else ""), timeout=10)
            return
        except Exception:  # the message must not fail a delete; fall through to stderr
            pass
    print(f"{severity.lower()}: {message}", file=sys.stderr, flush=True)


def failure_text(error: BaseException) -> str:
    """What the user reads for a failure: ours as they are worded (they name the resource, the URL and the
    reason); anything else with its type, since its text alone may be a bare key or number. One line."""
    text = str(error)
    if not (isinstance(error, ObjectCopyError) or type(error) is Exception) or not text.strip():
        text = f"{type(error).__name__}: {text}"
    return " ".join(text.split())


def reported(method: F) -> F:
    """Wrap a provider method so that a failure reaches the engine as failure_text(), not as grpc's "Exception
    calling application: <text>". The exception still propagates: grpc still ends the call with UNKNOWN (which
    the engine reports as the resource's failure) and logs the traceback to the provider's stderr."""
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception as e:
            call = serving()
            if call is not None:
                call.context.set_details(failure_text(e))
            raise
    return wrapper  # type: ignore[return-value]
