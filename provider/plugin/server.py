"""`pulumi-resource-objectcopy`: the plugin process the engine starts. It prints its port as soon as it serves, and
imports the resources' code only when a call needs it (the engine starts a plugin per command)."""
from __future__ import annotations

import asyncio
import functools
import re
import sys
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from .. import __version__
from .engine import EngineLog
from .provider import OLD_INPUTS, ObjectCopyProvider, PluginError

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]|[\w.-]+):\d+$")
CALLS = ("GetSchema", "CheckConfig", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete", "Invoke")


class Servicer(ProviderServicer):
    """The SDK's servicer, with a PluginError sent as its message alone (no class name, no traceback)."""

    async def Diff(self, request: Any, context: Any) -> Any:
        """The SDK's, with the old inputs (which its DiffRequest drops) for the provider, in this call's task."""
        OLD_INPUTS.set(PropertyValue.unmarshal_map(request.old_inputs))
        return await ProviderServicer.Diff(self, request, context)


def _one_line(call: Any) -> Any:
    @functools.wraps(call)
    async def serve(self: Servicer, request: Any, context: Any) -> Any:
        try:
            return await call(self, request, context)
        except PluginError as e:
            await context.abort(grpc.StatusCode.UNKNOWN, str(e))
    return serve


for _name in CALLS:
    setattr(Servicer, _name, _one_line(getattr(Servicer, _name)))


def engine_address(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-") and _ADDRESS.match(a)), None)


def make_provider(address: str | None) -> ObjectCopyProvider:
    from .. import core
    provider = ObjectCopyProvider(lambda: (core.resources(), core.functions()), version=__version__,
                                  engine=EngineLog(address), configure_core=core.configure)
    provider.on_configure = functools.partial(_watch_engine, address)
    return provider


def _watch_engine(address: str | None) -> None:
    """An engine killed mid-run leaves no upload behind (resources/engine_watch.py), once, after configure."""
    from ..logs import configure_from_environment
    from ..resources import engine_watch
    configure_from_environment()
    if address and not getattr(_watch_engine, "started", False):
        _watch_engine.started = True  # type: ignore[attr-defined]
        import threading
        host, _, port = address.rpartition(":")
        watcher = engine_watch.Watcher((host.strip("[]"), int(port)))
        threading.Thread(target=watcher.run, name="objectcopy-engine-watch", daemon=True).start()


async def serve(provider: ObjectCopyProvider, address: str | None) -> None:
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        Servicer(sys.argv[1:], __version__, provider, engine_address=address or ""), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")  # the engine reads the port from the first line
    sys.stdout.flush()
    await server.wait_for_termination()


def main() -> None:
    address = engine_address(sys.argv[1:])
    try:
        asyncio.run(serve(make_provider(address), address))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
