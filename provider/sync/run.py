"""Carrying out a plan: copies, then deletes, `concurrency` objects at a time (each copy by the best path
transfer.copy_object has, its requests within the process-wide cap of http.py), every failure collected rather than
stopping the rest, progress reported as objects and bytes, and a cancel flag obeyed between objects (what is in
flight finishes, or is aborted by the multipart layer; nothing new starts).

Each copy pins the source ETag the listing showed (if-match on the copy request): an object changed since it was
listed fails its copy with a precondition error instead of copying something unplanned.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

from .. import transfer
from ..stores.base import NotFound, ObjectCopyError, PreconditionFailed, Store, WriteOptions
from ..urls import ObjectURL
from .listing import Entry, url_of
from .plan import Plan

T = TypeVar("T")
DEFAULT_CONCURRENCY = 32


@dataclass
class Tally:
    """Progress so far, shared by the workers (updated under `lock`)."""

    objects_total: int = 0
    bytes_total: int = 0
    objects_done: int = 0
    bytes_done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, objects: int, nbytes: int, failed: bool = False) -> None:
        with self.lock:
            self.objects_done += objects
            self.bytes_done += nbytes
            self.failed += failed


@dataclass
class Outcome:
    written: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # key -> (ETag, source ETag)
    bytes_copied: int = 0
    methods: Counter = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)     # (key, error) of copies
    changed: list[str] = field(default_factory=list)                # of those, sources changed since listed
    pruned: set[str] = field(default_factory=set)
    prune_failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False

    def errors(self, first: int = 3) -> str:
        failures = self.failed + self.prune_failed
        text = "; ".join(f"{rel}: {error}" for rel, error in failures[:first])
        return text + (f"; ... ({len(failures) - first:,} more)" if len(failures) > first else "")


def carry_out(plan: Plan, source: Mapping[str, Entry], src_root: ObjectURL, dst_root: ObjectURL,
              stores: tuple[Store, Store], *, options: WriteOptions, concurrency: int = DEFAULT_CONCURRENCY,
              tally: Tally | None = None, on_progress: Callable[[Tally], None] | None = None,
              cancelled: threading.Event | None = None, owned: bool = False) -> Outcome:
    """Copy plan.copy, then delete plan.prune. `owned`: the destination keys are the caller's own (a CopiedPrefix),
    so a copy in parts first aborts the stale uploads an interrupted run left at its key."""
    out = Outcome()
    tally = tally or Tally()
    tally.objects_total += len(plan.copy) + len(plan.prune)
    tally.bytes_total += plan.bytes_to_copy(source)
    cancel = cancelled or threading.Event()
    lock = threading.Lock()

    def copy(item: tuple[str, str]) -> None:
        rel = item[0]
        src = source[rel]
        src_url = url_of(src_root, rel)
        try:
            result = transfer.copy_object(src_url, url_of(dst_root, rel), options=options,
                                          listed=src.info(src_url), planned_source_etag=src.etag, stores=stores,
                                          sweep_stale_uploads=owned)
        except ObjectCopyError as e:
            with lock:
                out.failed.append((rel, str(e)))
                if isinstance(e, PreconditionFailed):
                    out.changed.append(rel)
            tally.add(1, 0, failed=True)
        else:
            with lock:
                out.written[rel] = (result.destination.etag, result.source.etag)
                out.bytes_copied += src.size
                out.methods[result.method] += 1
            tally.add(1, src.size)
        if on_progress:
            on_progress(tally)

    def deleted(rel: str, error: str | None) -> None:
        tally.add(1, 0, failed=error is not None)
        if on_progress:
            on_progress(tally)

    parallel(plan.copy, copy, concurrency, cancel)
    if not cancel.is_set():
        out.pruned, out.prune_failed = delete_keys(plan.prune, dst_root, stores[1], concurrency=concurrency,
                                                   cancelled=cancel, on_done=deleted)
    out.cancelled = cancel.is_set()
    return out


def delete_keys(keys: Iterable[str], dst_root: ObjectURL, store: Store, *, concurrency: int,
                cancelled: threading.Event | None = None,
                on_done: Callable[[str, str | None], None] | None = None) -> tuple[set[str], list[tuple[str, str]]]:
    """Delete each key under dst_root (one DELETE each: the caller has just listed them); (deleted, [(key,
    error)]). A key already gone counts as deleted."""
    deleted: set[str] = set()
    failed: list[tuple[str, str]] = []
    lock = threading.Lock()

    def one(rel: str) -> None:
        try:
            store.delete(url_of(dst_root, rel))
        except NotFound:
            pass
        except ObjectCopyError as e:
            with lock:
                failed.append((rel, str(e)))
            if on_done:
                on_done(rel, str(e))
            return
        with lock:
            deleted.add(rel)
        if on_done:
            on_done(rel, None)

    parallel(list(keys), one, concurrency, cancelled or threading.Event())
    return deleted, failed


def parallel(items: Iterable[T], work: Callable[[T], None], concurrency: int, cancel: threading.Event) -> None:
    """`work` on every item, `concurrency` threads pulling from one iterator (no future per item: 100,000 of them
    would cost more memory than the listing). Stops taking items once `cancel` is set."""
    source: Iterator[T] = iter(items)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        while not cancel.is_set():
            with lock:
                item = next(source, _END)
            if item is _END:
                return
            try:
                work(item)  # type: ignore[arg-type]
            except BaseException as e:  # a bug, not a store error (those are collected by `work`)
                errors.append(e)
                cancel.set()
                return

    threads = [threading.Thread(target=worker, name=f"objectcopy-sync-{i}", daemon=True)
               for i in range(max(1, concurrency))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:  # ^C in the command: start nothing new, let what is in flight end, then stop
        cancel.set()
        for t in threads:
            t.join()
        raise
    if errors:
        raise errors[0]


_END = object()
