"""One waiter for every asynchronous job: OCI Object Storage work requests (CopyObject), Oracle Analytics work
requests (snapshots), Oracle EPM jobs (copy to / from object store).

Each service names its states differently (OCI: COMPLETED, OAC: SUCCEEDED, EPM: status 0); the tables below turn
them into one small set. The waiter polls at once, then backs off with jitter up to a cap (rclone's OCI waiter,
AWS's full jitter), bounds the whole wait, and on failure raises with the job's own error detail.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .errors import Cancelled, ObjectCopyError, StoreError

PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED = "pending", "running", "succeeded", "failed", "canceled"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})

# Vendor state -> our state. EPM's numeric statuses are handled by epm_state().
OCI_WORK_REQUEST = {"ACCEPTED": PENDING, "IN_PROGRESS": RUNNING, "CANCELING": RUNNING, "COMPLETED": SUCCEEDED,
                    "FAILED": FAILED, "CANCELED": CANCELED}
OAC_WORK_REQUEST = {"ACCEPTED": PENDING, "IN_PROGRESS": RUNNING, "CANCELING": RUNNING, "SUCCEEDED": SUCCEEDED,
                    "FAILED": FAILED, "CANCELED": CANCELED}


def epm_state(status: int) -> str:
    """EPM interop jobs: -1 in progress, 0 success, any positive value a failure (its `details` says why)."""
    return RUNNING if status == -1 else SUCCEEDED if status == 0 else FAILED


def vendor_state(table: Mapping[str, str], value: str, what: str) -> str:
    try:
        return table[value.upper()]
    except (KeyError, AttributeError):
        raise StoreError(f"{what}: the service reported an unknown job state {value!r}") from None


@dataclass(frozen=True)
class JobStatus:
    state: str                     # one of PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED
    percent: float | None = None   # 0-100 where the service says
    detail: str | None = None      # the job's own error text when it failed
    raw: Mapping[str, Any] = field(default_factory=dict)


class JobFailed(ObjectCopyError):
    def __init__(self, message: str, status: JobStatus):
        super().__init__(message)
        self.status = status


class JobTimedOut(ObjectCopyError):
    pass


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5      # seconds before the second poll
    cap: float = 10.0       # detection lag is at most this (rclone's OCI waiter caps at 10 s)
    jitter: float = 0.2     # +-20%, so many resources polling at once spread out

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        base = min(self.cap, self.first * (2 ** attempt))
        return base * (1 + self.jitter * (2 * rand() - 1))


def wait(poll: Callable[[], JobStatus], *, what: str, timeout: float, backoff: Backoff = Backoff(),
         on_progress: Callable[[JobStatus], None] | None = None,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
         rand: Callable[[], float] = random.random, cancelled: threading.Event | None = None) -> JobStatus:
    """Poll until the job ends. Returns the final status when it succeeded; raises JobFailed (with the job's own
    error detail) when it failed or was canceled, JobTimedOut when `timeout` seconds pass first (the job itself
    goes on: the caller records its id so a later run can find it), Cancelled as soon as `cancelled` is set (the
    user stopped the run: the job goes on in the service too, and the next run picks it up where it can)."""
    deadline = clock() + timeout
    attempt = 0
    while True:
        status = poll()
        if on_progress:
            on_progress(status)
        if status.state == SUCCEEDED:
            return status
        if status.state in (FAILED, CANCELED):
            detail = f": {status.detail}" if status.detail else ""
            raise JobFailed(f"{what} {status.state}{detail}", status)
        remaining = deadline - clock()
        if remaining <= 0:
            pct = f" at {status.percent:.0f}%" if status.percent is not None else ""
            raise JobTimedOut(f"{what} is still {status.state}{pct} after {timeout:.0f} s; it goes on in the "
                              "service, and the next run picks it up")
        pause = min(backoff.delay(attempt, rand), remaining)
        if cancelled is None:
            sleep(pause)
        elif cancelled.wait(pause):
            raise Cancelled(f"{what}: stopped while it was {status.state}; the job goes on in the service")
        attempt += 1
