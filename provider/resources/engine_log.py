"""Messages from a dynamic provider to the user running `pulumi`.

A dynamic provider has no logging channel of its own (pulumi.log needs the program's engine connection, which the
provider process never gets). The engine does pass its address to every plugin it starts, so we send the message
through the engine's Log RPC, where `pulumi up`/`destroy` print it as a warning. Without an engine (tests that call
the provider directly), it goes to stderr.
"""
from __future__ import annotations

import re
import sys

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d+$")


def engine_address(argv: list[str] | None = None) -> str | None:
    for arg in (sys.argv if argv is None else argv)[1:]:
        if _ADDRESS.match(arg):
            return arg
    return None


def warn(message: str) -> None:
    _log(message, "WARNING")


def info(message: str) -> None:
    """A line the engine prints among the run's diagnostics (what a preview says an update will do)."""
    _log(message, "INFO")


def _log(message: str, severity: str) -> None:
    address = engine_address()
    if address:
        try:
            import grpc
            from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

            with grpc.insecure_channel(address) as channel:
                engine_pb2_grpc.EngineStub(channel).Log(
                    engine_pb2.LogRequest(severity=getattr(engine_pb2, severity), message=message), timeout=10)
            return
        except Exception:  # the message must not fail a delete; fall through to stderr
            pass
    print(f"{severity.lower()}: {message}", file=sys.stderr, flush=True)
