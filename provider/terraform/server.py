"""The plugin process as go-plugin's client (terraform, OpenTofu) expects it.

The handshake is the first line on stdout, `1|6|unix|<socket>|grpc|<server certificate>` (DER, base64 without
padding, as go-plugin's loadServerCert reads it). TLS is server-authenticated only: terraform's client certificate
is ECDSA P-521, which gRPC's Python binding cannot verify (grpc/grpc#23235), and the socket sits in a private (0700)
folder anyway. Beside the provider service go-plugin wants its controller (Shutdown: without it terraform waits 2 s
and kills the process), stdio and broker services. SIGINT is ignored, as go-plugin servers do: terraform stops a
provider with StopProvider (which cancels the calls in flight) and then Shutdown.
"""
from __future__ import annotations

import base64
import os
import shutil
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc

from ._proto import grpc_broker_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from ._proto import tfplugin6_pb2, tfplugin6_pb2_grpc
from . import tls

if TYPE_CHECKING:
    from .service import ProviderService

CORE_PROTOCOL, APP_PROTOCOL = 1, 6
WORKERS = 16             # terraform runs 10 resources at a time
SHUTDOWN_GRACE = 2.0     # seconds for calls in flight to clean up once cancelled (terraform waits about as long)
PARENT_POLL = 1.0        # seconds between two checks that terraform is still there


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, shutdown: threading.Event):
        self.shutdown = shutdown

    def Shutdown(self, request, context):
        self.shutdown.set()
        return grpc_controller_pb2.Empty()


class Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    def StreamStdio(self, request, context):
        # Our output goes to the process's own stderr, which go-plugin reads: nothing to stream, and an ended
        # stream is what the client expects then (it logs it at debug level).
        return iter(())


class Broker(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    def StartStream(self, request_iterator, context):
        return iter(())  # providers use no brokered connections


class Deferred(tfplugin6_pb2_grpc.ProviderServicer):
    """The Provider service as the handshake registers it: each call goes to the real one (service.py), imported
    once the handshake line is out (the core's schemas, msgpack and the rest), while terraform dials."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._service: ProviderService | None = None

    def service(self) -> ProviderService:
        with self._lock:
            if self._service is None:
                from .service import ProviderService
                self._service = ProviderService()
            return self._service

    def preload(self) -> None:
        self.service().preload()

    def stop(self) -> None:
        """Cancel the calls in flight (there are none before the service exists)."""
        with self._lock:
            service = self._service
        if service is not None:
            service.stop()


def _forward(name: str) -> Any:
    def call(self: Deferred, request: Any, context: Any) -> Any:
        return getattr(self.service(), name)(request, context)
    call.__name__ = name
    return call


for _method in tfplugin6_pb2.DESCRIPTOR.services_by_name["Provider"].methods:
    setattr(Deferred, _method.name, _forward(_method.name))


@dataclass
class Running:
    server: Any
    folder: str
    socket: str
    cert_pem: bytes
    handshake: str
    service: ProviderService | Deferred
    shutdown: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.service.stop()
        self.server.stop(SHUTDOWN_GRACE).wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(service: ProviderService | None = None, pending: tls.Pending | None = None) -> Running:
    """Serve on a unix socket in a private folder (the one `pending`, the certificate being made, is in; else a
    new one); returns what the handshake says and how to stop. Without `service`, the core's, imported on first
    use (Deferred)."""
    from concurrent import futures

    servicer: ProviderService | Deferred = service or Deferred()
    pending = pending or tls.begin(tls.private_folder())
    folder = pending.folder
    socket = os.path.join(folder, "plugin.sock")
    cert_pem, key_pem, cert_der = tls.finish(pending)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="tfplugin"),
                         options=[("grpc.max_receive_message_length", 256 << 20),
                                  ("grpc.max_send_message_length", 256 << 20)])
    running = Running(server, folder, socket, cert_pem, "", servicer)
    tfplugin6_pb2_grpc.add_ProviderServicer_to_server(servicer, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(running.shutdown), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(Broker(), server)
    server.add_secure_port(f"unix:{socket}", grpc.ssl_server_credentials([(key_pem, cert_pem)]))
    server.start()
    cert = base64.b64encode(cert_der).decode().rstrip("=")
    running.handshake = f"{CORE_PROTOCOL}|{APP_PROTOCOL}|unix|{socket}|grpc|{cert}"
    return running


def serve(pending: tls.Pending | None = None) -> int:  # never returns: the process ends with os._exit
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from . import tflog
    tflog.install()
    running = start(pending=pending)
    sys.stdout.write(running.handshake + "\n")
    sys.stdout.flush()
    os.dup2(2, 1)  # from here on, stray output is log, never protocol
    threading.Thread(target=running.service.preload, name="preload", daemon=True).start()
    threading.Thread(target=_watch_parent, args=(running,), name="parent", daemon=True).start()
    running.shutdown.wait()
    running.close()
    # Skip the interpreter's teardown (gRPC's threads take half a second to wind down): terraform waits for
    # this exit after every command's phases, 3 to 5 times per command.
    sys.stderr.flush()
    os._exit(0)


def _watch_parent(running: Running) -> None:
    """Terraform killed (SIGKILL, a CI timeout) cannot send StopProvider: cancel the work and go."""
    parent = os.getppid()
    while not running.shutdown.wait(PARENT_POLL):
        if os.getppid() != parent:
            running.shutdown.set()
