"""What the plugin says to the user through the engine: a message attached to a resource (its URN), as `pulumi up`
shows a resource's warnings, and progress as ephemeral status lines. The engine passes its address to every
plugin it starts; without one (tests that call the provider directly) messages go to stderr."""
from __future__ import annotations

from collections import deque
import sys
import threading
import time
from typing import Any, Callable

SEVERITIES = ("debug", "info", "warning", "error")
PROGRESS_EVERY_SECONDS = 1.0


class EngineLog:
    def __init__(self, address: str | None):
        self.address = address
        self._stub: Any = None
        self._lock = threading.Lock()
        self.sent: deque[tuple[str, str, str]] = deque(maxlen=1000)  # (severity, message, urn), for tests

    def _engine(self) -> Any:
        with self._lock:
            if self._stub is None and self.address:
                import grpc
                from pulumi.runtime.proto import engine_pb2_grpc
                self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self.address))
            return self._stub

    def log(self, severity: str, message: str, urn: str = "", *, ephemeral: bool = False) -> None:
        if severity not in SEVERITIES:
            severity = "info"
        self.sent.append((severity, message, urn))
        engine = self._engine()
        if engine is None:
            print(f"{severity}: {message}", file=sys.stderr, flush=True)
            return
        from pulumi.runtime.proto import engine_pb2
        level = {"debug": engine_pb2.DEBUG, "info": engine_pb2.INFO, "warning": engine_pb2.WARNING,
                 "error": engine_pb2.ERROR}[severity]
        try:
            engine.Log(engine_pb2.LogRequest(severity=level, message=message, urn=urn, ephemeral=ephemeral),
                       timeout=10)
        except Exception:  # noqa: BLE001 - a message must never fail the call it describes
            print(f"{severity}: {message}", file=sys.stderr, flush=True)

    def progress(self, urn: str) -> Callable[[int, int], None]:
        """Bytes done of total, as an ephemeral status line under the resource, at most once a second."""
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY_SECONDS and done < total:
                return
            last[0] = now
            share = f" ({100 * done // total}%)" if total else ""
            self.log("info", f"copied {done:,} of {total:,} bytes{share}", urn, ephemeral=True)
        return report
