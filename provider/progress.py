"""A one-line progress bar on stderr for `objectcopy cp`: bytes, rate and parts, redrawn at most ten times a second.
Only on a terminal: nothing when piped, with --json, or in a Pulumi run."""
from __future__ import annotations

import sys
import threading
import time


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


class ProgressBar:
    def __init__(self, label: str, stream=sys.stderr, width: int = 30):
        self.label, self.stream, self.width = label, stream, width
        self.started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()
        self.drawn = False

    def __call__(self, done: int, total: int, parts_done: int, parts_total: int) -> None:
        with self._lock:
            now = time.monotonic()
            if done < total and now - self._last < 0.1:
                return
            self._last = now
            frac = done / total if total else 1.0
            bar = "#" * int(frac * self.width)
            rate = done / max(now - self.started, 1e-6)
            parts = f"  part {parts_done}/{parts_total}" if parts_total > 1 else ""
            self.stream.write(f"\r{self.label} [{bar:<{self.width}}] {frac:6.1%} {human(done)}/{human(total)} "
                              f"{human(rate)}/s{parts}")
            self.stream.flush()
            self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
