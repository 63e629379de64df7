"""The provider's log, as terraform reads it: one hclog JSON object per stderr line (`@level`, `@message`,
`@timestamp`), which go-plugin re-logs at that level (`TF_LOG_PROVIDER=INFO terraform apply` shows them). Long work
reports its progress here: terraform shows a provider's messages nowhere else while a call runs.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Mapping, TextIO

LEVELS = {"debug": "debug", "info": "info", "warning": "warn", "warn": "warn", "error": "error"}
PROGRESS_EVERY = 5.0  # seconds between two progress lines of one call


class HclogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = LEVELS.get(record.levelname.lower(), "info")
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return hclog_line(level, message, record.name)


def hclog_line(level: str, message: str, module: str = "objectcopy") -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"@level": level, "@message": message, "@module": module, "@timestamp": when})


def install(stream: TextIO | None = None, environ: Mapping[str, str] = os.environ) -> None:
    """Route this process's logging (ours and the libraries') to stderr as hclog lines: info and above, and our
    debug lines (each request sent and answered) when terraform would show them."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(HclogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("pulumi_objectcopy").setLevel(logging.DEBUG if shows_debug(environ) else logging.INFO)


def shows_debug(environ: Mapping[str, str]) -> bool:
    """Whether terraform (and OpenTofu) show a provider's debug lines: its level is TF_LOG_PROVIDER's, or else
    TF_LOG's; unset is off, JSON and a name it does not know are TRACE. Below that level terraform drops the
    lines it parsed: two per request made, a cost on both sides for nothing."""
    level = (environ.get("TF_LOG_PROVIDER") or environ.get("TF_LOG") or "").upper()
    return bool(level) and level not in ("INFO", "WARN", "ERROR", "OFF")


def resource_logger(address: str) -> Callable[[str, str], None]:
    """The core Context's `log` for one call: level ("info" / "warning"), message."""
    logger = logging.getLogger("pulumi_objectcopy.terraform")

    def log(level: str, message: str) -> None:
        logger.log(logging.WARNING if level.startswith("warn") else logging.INFO, "%s: %s", address, message)
    return log


class Progress:
    """The core Context's `progress` for one call: a line when the work starts, at most every PROGRESS_EVERY
    seconds after, and when it is done. Accepts transfer's (done, total, parts_done, parts_total) too."""

    def __init__(self, address: str, clock: Callable[[], float] = time.monotonic):
        self.address, self.clock = address, clock
        self._last: float | None = None
        self._lock = threading.Lock()
        self._log = logging.getLogger("pulumi_objectcopy.terraform")

    def __call__(self, done: int, total: int, *parts: int) -> None:
        with self._lock:
            now = self.clock()
            finished = total > 0 and done >= total
            if self._last is not None and not finished and now - self._last < PROGRESS_EVERY:
                return
            self._last = now
        percent = f" ({100 * done // total}%)" if total else ""
        extra = f", part {parts[0]} of {parts[1]}" if len(parts) == 2 and parts[1] else ""
        self._log.info("%s: %d of %d bytes%s%s", self.address, done, total, percent, extra)
