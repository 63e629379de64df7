"""Stopping work in flight when the front end says so (Context.cancelled: Ctrl-C, Terraform's StopProvider)."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from .. import multipart
from ..errors import Cancelled, ObjectCopyError
from .api import Context


@contextmanager
def aborted_on_cancel(ctx: Context, doing: str) -> Iterator[None]:
    """Run the block; if the front end cancels meanwhile, abort this process's open uploads (their copies then fail
    and stop; one request already sent, such as a single server-side copy, finishes on the server), and raise
    Cancelled saying what was stopped. A front end cancels the whole process's work at once, so aborting every
    upload, not only this call's, is what it asked for."""
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            if ctx.cancelled.wait(0.25):
                multipart.abort_in_flight()
                return

    watcher = threading.Thread(target=watch, name="objectcopy-cancel", daemon=True)
    watcher.start()
    try:
        yield
    except ObjectCopyError:
        if ctx.cancelled.is_set():
            raise Cancelled(f"{doing}: stopped; the copy in flight was aborted and nothing was written") from None
        raise
    finally:
        finished.set()
