"""`objectcopy sync SRC-PREFIX DST-PREFIX`: the CopiedPrefix engine as a command. A command keeps no state, so it
trusts the two listings: it copies every selected source object not already in sync with its destination (same
rule as the resource and `cp --recursive`: batch.in_sync), and `--prune` deletes every selected destination key
that has no source key, as `aws s3 sync --delete` does. `--include`/`--exclude` select keys on both sides, so an
excluded destination key is never deleted.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ..progress import human
from ..stores import open_store
from ..stores.base import UsageError, WriteOptions
from ..urls import URLError, parse
from .filters import GlobError, KeyFilter
from .listing import Listing, list_prefix, url_of
from .plan import plan_stateless
from .run import DEFAULT_CONCURRENCY, Outcome, Tally, carry_out

EXIT_OK, EXIT_FAILED = 0, 1


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sync", parents=[common], help="make DST-PREFIX/ hold what SRC-PREFIX/ holds: copy what is "
                                                      "missing or different, --prune what has no source")
    p.add_argument("src", metavar="SRC-PREFIX")
    p.add_argument("dst", metavar="DST-PREFIX")
    p.add_argument("--include", action="append", metavar="GLOB", default=[],
                   help="only keys (relative to the prefix) matching a glob; repeatable. `*` stays within a "
                        "folder, `**` crosses folders, a glob without '/' matches the name at any depth")
    p.add_argument("--exclude", action="append", metavar="GLOB", default=[],
                   help="never keys matching a glob, on either side; repeatable")
    p.add_argument("--prune", action="store_true",
                   help="delete destination objects whose key has no source (excluded keys are never deleted)")
    p.add_argument("--dry-run", action="store_true", help="list what would be copied and deleted; change nothing")
    p.add_argument("--concurrency", type=int, metavar="N", default=DEFAULT_CONCURRENCY,
                   help=f"objects in flight (default {DEFAULT_CONCURRENCY})")
    p.add_argument("--json", action="store_true", help="print one JSON summary instead of lines")
    p.set_defaults(func=cmd_sync)


def _prefix(text: str, field: str):
    try:
        url = parse(text, field=field, allow_prefix=True)
    except URLError as e:
        raise UsageError(str(e)) from None
    if not url.is_prefix:
        raise UsageError(f"{field}: {text!r} names an object; sync copies a prefix to a prefix: end it with '/'")
    return url


def _filter(args) -> KeyFilter:
    for flag, patterns in (("--include", args.include), ("--exclude", args.exclude)):
        for pattern in patterns:
            try:
                KeyFilter.of([pattern])
            except GlobError as e:
                raise UsageError(f"{flag}: {e}") from None
    return KeyFilter.of(args.include, args.exclude)


def cmd_sync(args) -> int:
    if args.concurrency < 1:
        raise UsageError("--concurrency: must be 1 or more")
    src, dst = _prefix(args.src, "SRC-PREFIX"), _prefix(args.dst, "DST-PREFIX")
    keys = _filter(args)
    stores = (open_store(src), open_store(dst))
    started = time.monotonic()
    with ThreadPoolExecutor(2, thread_name_prefix="objectcopy-list") as pool:  # both sides listed at once
        listed_src = pool.submit(list_prefix, stores[0], src, keys)
        dest: Listing = pool.submit(list_prefix, stores[1], dst, keys).result()
        source: Listing = listed_src.result()
    plan = plan_stateless(source, dest, src, dst, prune=args.prune)
    if args.dry_run:
        return _dry_run(args, plan, source, src, dst)
    line = ProgressLine() if sys.stderr.isatty() and not args.json else None
    outcome = carry_out(plan, source, src, dst, stores, options=WriteOptions(), concurrency=args.concurrency,
                        on_progress=line, cancelled=threading.Event())
    if line:
        line.finish()
    _summary(args, plan, outcome, time.monotonic() - started)
    return EXIT_FAILED if outcome.failed or outcome.prune_failed else EXIT_OK


def _dry_run(args, plan, source: Listing, src, dst) -> int:
    if args.json:
        print(json.dumps({"dry_run": True, "copy": [rel for rel, _ in plan.copy], "prune": plan.prune,
                          "to_copy": len(plan.copy), "skipped": plan.unchanged, "to_prune": len(plan.prune),
                          "bytes": plan.bytes_to_copy(source)}))
        return EXIT_OK
    for rel, why in plan.copy:
        print(f"would copy {url_of(src, rel)} -> {url_of(dst, rel)} ({why})")
    for rel in plan.prune:
        print(f"would delete {url_of(dst, rel)}")
    print(f"dry run: {len(plan.copy):,} to copy ({human(plan.bytes_to_copy(source))}), {plan.unchanged:,} already "
          f"in sync" + (f", {len(plan.prune):,} to delete" if args.prune else ""))
    return EXIT_OK


def _summary(args, plan, outcome: Outcome, seconds: float) -> None:
    failed = outcome.failed + outcome.prune_failed
    if args.json:
        print(json.dumps({"copied": len(outcome.written), "skipped": plan.unchanged, "pruned": len(outcome.pruned),
                          "failed": len(failed), "bytes": outcome.bytes_copied, "seconds": round(seconds, 3),
                          "failures": [{"key": rel, "error": error} for rel, error in failed]}))
        return
    for rel, error in failed:
        print(f"failed {rel}: {error}", file=sys.stderr)
    print(f"{len(outcome.written):,} copied ({human(outcome.bytes_copied)}), {plan.unchanged:,} skipped (in sync), "
          f"{len(outcome.pruned):,} pruned, {len(failed):,} failed in {seconds:.1f} s")


class ProgressLine:
    """One line on stderr, redrawn at most five times a second: objects and bytes done, rate, ETA."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._lock = threading.Lock()
        self.drawn = False

    def __call__(self, tally: Tally) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < 0.2 and tally.objects_done < tally.objects_total:
                return
            self._last = now
            self.stream.write("\r" + render(tally, now) + "\033[K")
            self.stream.flush()
            self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def render(tally: Tally, now: float) -> str:
    elapsed = max(now - tally.started, 1e-6)
    rate, byte_rate = tally.objects_done / elapsed, tally.bytes_done / elapsed
    left = tally.objects_total - tally.objects_done
    eta = left / rate if rate > 0 else None
    eta_text = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta is not None else "--:--:--"
    failed = f", {tally.failed:,} failed" if tally.failed else ""
    return (f"{tally.objects_done:,}/{tally.objects_total:,} objects, {human(tally.bytes_done)}/"
            f"{human(tally.bytes_total)}, {rate:,.0f} objects/s, {human(byte_rate)}/s, ETA {eta_text}{failed}")
