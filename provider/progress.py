"""Live progress on stderr for `objectcopy cp`: a bar for one copy (bytes, rate, parts, elapsed time, ETA), a counter
for `cp --recursive` (objects and bytes done of the total). Redrawn as bytes move, at most ten times a second, and
at least every half second while nothing moves (a server-side copy, a stalled source), so the elapsed time is live.
Only on a terminal: nothing when piped, with --json, or in a Pulumi run."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Callable

DRAW_EVERY = 0.1   # seconds between redraws as bytes move
TICK_EVERY = 0.5   # seconds between redraws while nothing moves


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def clock_time(seconds: float) -> str:
    """0:07, 12:34, 1:02:03."""
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class _LiveLine:
    """One line on a terminal, redrawn in place (carriage return, clear to the end of the line), kept narrower than
    the terminal so it never wraps; a ticker thread redraws it while nothing else does."""

    def __init__(self, stream, clock: Callable[[], float]):
        self.stream, self.clock = stream, clock
        self.started = clock()
        self.moving_since: float | None = None  # when the total was known: the rate counts from there
        self.drawn = False
        self._last = 0.0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="objectcopy-progress", daemon=True)
        self._ticker.start()

    def text(self, now: float, columns: int = 0) -> str | None:
        """The line as it stands, to fit in `columns` (0: unknown); None when there is nothing to show yet."""
        raise NotImplementedError

    def columns(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            return 0

    def redraw(self, *, force: bool = False) -> None:
        with self._lock:
            now = self.clock()
            if self._stop.is_set() or (not force and now - self._last < DRAW_EVERY):
                return
            columns = self.columns()
            line = self.text(now, columns)
            if line is None:
                return
            self._last = now
            self.stream.write(f"\r{line[:columns - 1] if columns else line}\033[K")
            self.stream.flush()
            self.drawn = True

    def _tick(self) -> None:
        while not self._stop.wait(TICK_EVERY):
            with self._lock:
                if self.clock() - self._last >= TICK_EVERY:
                    self.redraw(force=True)

    def say(self, line: str, out=None) -> None:
        """Print a line of output (to stdout) above the live line, then draw it again."""
        with self._lock:
            if self.drawn:
                self.stream.write("\r\033[K")
                self.stream.flush()
            print(line, file=out or sys.stdout, flush=True)
            if self.drawn:
                self.redraw(force=True)

    def finish(self) -> None:
        """Draw the last state and end the line."""
        with self._lock:
            if self.drawn or self.text(self.clock(), self.columns()) is not None:
                self.redraw(force=True)
            self._stop.set()
            if self.drawn:
                self.stream.write("\n")
                self.stream.flush()
        self._ticker.join()

    def _timing(self, now: float, done: int, total: int | None, finished: bool = True) -> tuple[str, str]:
        """(the rate, the elapsed time and the ETA)."""
        elapsed = now - self.started
        moving = now - (self.moving_since if self.moving_since is not None else self.started)
        rate = done / moving if moving > 0 else 0.0
        if total is not None and done >= total:
            eta = "done" if finished else "ETA 0:00"  # every byte read, the last parts still on their way
        elif rate > 0 and total is not None:
            eta = f"ETA {clock_time((total - done) / rate)}"
        else:
            eta = "ETA --:--"
        return f"{human(rate)}/s", f"elapsed {clock_time(elapsed)}  {eta}"


class ProgressBar(_LiveLine):
    """`label [#####-----]  42.0%  630.0 MiB/1.5 GiB  212.3 MiB/s  part 3/8  elapsed 0:03  ETA 0:04`. Called as
    transfer.Progress: (bytes done, bytes total, parts done, parts total)."""

    def __init__(self, label: str, stream=sys.stderr, width: int = 30, clock: Callable[[], float] = time.monotonic):
        self.label, self.width = label, width
        self.done, self.total, self.parts_done, self.parts_total = 0, None, 0, 0
        super().__init__(stream, clock)

    def __call__(self, done: int, total: int, parts_done: int, parts_total: int) -> None:
        with self._lock:
            if self.moving_since is None:
                self.moving_since = self.clock()
            self.done, self.total, self.parts_done, self.parts_total = done, total, parts_done, parts_total
            self.redraw(force=done >= total)

    def text(self, now: float, columns: int = 0) -> str | None:
        label = self.label if len(self.label) <= 30 else self.label[:29] + "…"
        if self.total is None:  # the source is still being looked at
            return f"{label}  checking the source  elapsed {clock_time(now - self.started)}" \
                if now - self.started >= 1 else None
        frac = self.done / self.total if self.total else 1.0
        parts = f"  part {self.parts_done}/{self.parts_total}" if self.parts_total > 1 else ""
        rate, times = self._timing(now, self.done, self.total, self.parts_done >= self.parts_total)
        rest = f" {frac:6.1%}  {human(self.done)}/{human(self.total)}  {rate}{parts}  {times}"
        width = self.width if not columns else max(5, min(self.width, columns - 1 - len(label) - 3 - len(rest)))
        bar = "#" * int(frac * width)
        return f"{label} [{bar:<{width}}]{rest}"


class ProgressCounter(_LiveLine):
    """`objects 3/10 (1 failed)  1.2 GiB/4.0 GiB  120.0 MiB/s  elapsed 0:10  ETA 0:23` for many copies at once:
    bytes count as they move in each copy, and in full once it ends."""

    def __init__(self, stream=sys.stderr, clock: Callable[[], float] = time.monotonic):
        self.objects = self.bytes = None
        self.ended = self.failed = self.bytes_ended = 0
        self._moving: dict[object, int] = {}
        super().__init__(stream, clock)

    def start(self, objects: int, size: int) -> None:
        with self._lock:
            self.objects, self.bytes = objects, size
            self.moving_since = self.clock()
            self.redraw(force=True)

    def for_object(self, key: object) -> Callable[[int, int, int, int], None]:
        """A transfer.Progress for one of the copies."""
        def moved(done: int, _total: int, _parts_done: int, _parts_total: int) -> None:
            with self._lock:
                self._moving[key] = done
                self.redraw()
        return moved

    def ended_object(self, key: object, size: int, *, failed: bool = False) -> None:
        with self._lock:
            self._moving.pop(key, None)
            self.ended += 1
            self.failed += failed
            self.bytes_ended += 0 if failed else size
            self.redraw(force=True)

    def text(self, now: float, columns: int = 0) -> str | None:
        if self.objects is None:
            return None
        done = self.bytes_ended + sum(self._moving.values())
        failed = f" ({self.failed} failed)" if self.failed else ""
        rate, times = self._timing(now, done, self.bytes)
        return f"objects {self.ended}/{self.objects}{failed}  {human(done)}/{human(self.bytes)}  {rate}  {times}"
