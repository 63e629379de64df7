"""The provider process watches its engine, so that an interrupted `pulumi up` leaves no multipart upload behind.

The engine runs every dynamic resource in one `python -m pulumi.dynamic <engine address>` process (behind a shell
script, in a process group of its own). What ends that process, as observed with pulumi v3.259:

- The deployment ends, or the user presses ^C twice ("terminating"): the engine sends SIGINT to the process group,
  waits 5 s, then SIGKILL. SIGINT stops pulumi.dynamic's gRPC server and ends its main thread; the calls in flight
  go on in their threads, but their answers can no longer be delivered, and the interpreter waits for them until
  the SIGKILL. So at interpreter shutdown the copies still running are abandoned: their uploads are aborted at
  once, well inside the 5 s. (At the end of a normal deployment nothing is in flight, and nothing is done.)
- The engine itself is killed (SIGKILL, an OOM kill, a CI runner's timeout): nobody signals the provider. It would
  go on copying, then wait forever, re-parented to init. So the engine's address is probed; once it refuses
  connections the uploads in flight are aborted and the process exits.

What no process can clean up after itself (SIGKILL of the provider too, a lost machine) is swept by the next run:
CopiedObject aborts the stale uploads to its own destination before it copies in parts (transfer's
`sweep_stale_uploads`).
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from typing import Callable

from .. import transfer

log = logging.getLogger("pulumi_objectcopy.engine")

POLL_SECONDS = 0.5       # how often the engine is probed
REFUSALS_TO_GIVE_UP = 2  # consecutive refused connections before the engine counts as gone
EXIT_ENGINE_GONE = 70    # the process's exit status when it ends itself (EX_SOFTWARE)

_started = False
_lock = threading.Lock()


def in_provider_process() -> bool:
    """True in the process the engine launched (`python -m pulumi.dynamic`), never in a program or a test run."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == "pulumi.dynamic.__main__"


def engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The engine passes its gRPC address (host:port) as an argument of the provider process."""
    for arg in argv[1:]:
        host, sep, port = arg.rpartition(":")
        if sep and host and not arg.startswith("-") and port.isdigit():
            return host.strip("[]"), int(port)
    return None


def engine_refuses(address: tuple[str, int]) -> bool:
    """True when nothing listens at the engine's address any more. Any other failure (a busy machine's timeout)
    proves nothing, so it counts as alive."""
    try:
        with socket.create_connection(address, timeout=2.0):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def start() -> None:
    """Start watching, once per process; only inside the provider process the engine launched."""
    global _started
    with _lock:
        if _started or not in_provider_process():
            return
        _started = True
    # SIGINT ends pulumi.dynamic's main thread; the interpreter then runs threading's exit hooks (before it joins
    # the threads still serving calls, which may take minutes) and ours runs first, being the latest registered.
    # The hook API is private (3.9+): without it, the next run's sweep is what removes the uploads.
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(lambda: _abandon("the engine is stopping this provider process", transfer.abort_in_flight))
        except RuntimeError:  # already shutting down
            pass
    address = engine_address(sys.argv)
    if address is not None:
        watcher = Watcher(address)
        threading.Thread(target=watcher.run, name="objectcopy-engine-watch", daemon=True).start()


class Watcher:
    """Probes the engine's address; when it has refused connections REFUSALS_TO_GIVE_UP times in a row, aborts the
    uploads in flight and ends the process."""

    def __init__(self, address: tuple[str, int], *, refuses: Callable[[tuple[str, int]], bool] = engine_refuses,
                 abort: Callable[[], list] = transfer.abort_in_flight,
                 exit_process: Callable[[int], None] = os._exit):
        self.address, self.refuses, self.abort, self.exit_process = address, refuses, abort, exit_process
        self.stopped = threading.Event()  # set by tests to end the loop

    def run(self) -> None:
        refusals = 0
        while not self.stopped.is_set():
            refusals = refusals + 1 if self.refuses(self.address) else 0
            if refusals >= REFUSALS_TO_GIVE_UP:
                _abandon(f"the engine at {self.address[0]}:{self.address[1]} is gone", self.abort)
                self.exit_process(EXIT_ENGINE_GONE)
                return
            self.stopped.wait(POLL_SECONDS)


def _abandon(why: str, abort: Callable[[], list]) -> None:
    aborted = abort()
    try:
        if aborted:
            log.warning("%s: aborted %d upload(s) in flight (%s)", why, len(aborted),
                        ", ".join(str(u.url) for u in aborted))
    except Exception:  # noqa: BLE001 - the engine's end of stderr may be closed; nothing to tell anyone
        pass
