"""Many objects at once: copy a prefix (skipping what is already in sync), and clean up stale multipart uploads."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import transfer
from .progress import ProgressCounter
from .stores import open_store
from .stores.base import (UPLOAD_LISTER, NotFound, ObjectCopyError, ObjectInfo, StoreError, Upload, UploadLister,
                          UsageError, WriteOptions, optional, same_etag)
from .urls import ObjectURL


@dataclass
class PrefixCopy:
    copied: list[transfer.CopyResult] = field(default_factory=list)
    skipped: list[tuple[ObjectInfo, str]] = field(default_factory=list)   # (source, why)
    planned: list[tuple[ObjectInfo, ObjectURL]] = field(default_factory=list)
    failed: list[tuple[ObjectInfo, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"copied": [r.to_json() for r in self.copied],
                "skipped": [{"source": str(s.url), "reason": why} for s, why in self.skipped],
                "planned": [{"source": str(s.url), "destination": str(d)} for s, d in self.planned],
                "failed": [{"source": str(s.url), "error": e} for s, e in self.failed]}


def in_sync(src: ObjectInfo, dst: ObjectInfo) -> bool:
    """Same ETag, or the same content MD5 where both stores give one. A copy made in parts (or under KMS) has an
    ETag that is no MD5, so it can never match its source's: then same size and a copy newer than its source
    count as in sync (rclone's size-and-time rule), or every run would copy it again."""
    if src.size != dst.size:
        return False
    if same_etag(src.etag, dst.etag) or (src.md5 is not None and src.md5 == dst.md5):
        return True
    return (dst.md5 is None or src.md5 is None) and src.last_modified is not None \
        and dst.last_modified is not None and dst.last_modified >= src.last_modified


def copy_prefix(src_prefix: ObjectURL, dst_prefix: ObjectURL, *, options: WriteOptions, config: transfer.TransferConfig,
                concurrency: int, dry_run: bool = False,
                on_done: Callable[[str, ObjectInfo, str], None] | None = None,
                counter: ProgressCounter | None = None) -> PrefixCopy:
    """Copy every object under src_prefix to the same relative key under dst_prefix, `concurrency` at a time. A copy
    that fails is counted and the others go on; part of the listing that fails (a folder that cannot be read) too,
    once the rest is listed. An interrupt (^C, SIGTERM) starts nothing more and aborts the copies in flight."""
    if not src_prefix.is_prefix or not dst_prefix.is_prefix:
        raise UsageError("--recursive copies a prefix to a prefix: end both URLs with '/' (or name a bucket)")
    src_store, dst_store = open_store(src_prefix), open_store(dst_prefix)
    existing = {info.url.key: info for info in dst_store.list(dst_prefix)}
    report = PrefixCopy()
    todo: list[tuple[ObjectInfo, ObjectURL]] = []
    try:
        for src in src_store.list(src_prefix):
            rel = src.url.key[len(src_prefix.key):]
            dst_url = dst_prefix.with_key(dst_prefix.key + rel)
            have = existing.get(dst_url.key)
            if have is not None and in_sync(src, have):
                report.skipped.append((src, "in sync"))
            else:
                todo.append((src, dst_url))
    except StoreError as e:
        if not (todo or report.skipped):
            raise
        report.failed.append((ObjectInfo(src_prefix, 0, None), str(e)))
        if on_done:
            on_done("failed", report.failed[-1][0], str(e))
    if dry_run:
        report.planned = todo
        return report
    if counter:
        counter.start(len(todo), sum(src.size for src, _ in todo))
    stopping = threading.Event()

    def one(item: tuple[ObjectInfo, ObjectURL]) -> None:
        src, dst_url = item
        if stopping.is_set():
            return
        try:
            result = transfer.copy_object(src.url, dst_url, options=options, config=config, listed=src,
                                          stores=(src_store, dst_store),
                                          progress=counter.for_object(src.url) if counter else None)
        except ObjectCopyError as e:
            if stopping.is_set():
                return  # aborted by the interrupt, which is what the user hears about
            report.failed.append((src, str(e)))
            if counter:
                counter.ended_object(src.url, src.size, failed=True)
            if on_done:
                on_done("failed", src, str(e))
            return
        report.copied.append(result)
        if counter:
            counter.ended_object(src.url, src.size)
        if on_done:
            on_done("copied", src, result.method)

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="objectcopy-object")
    try:
        list(pool.map(one, todo))
    except BaseException:
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        transfer.abort_in_flight()  # uploads and local temp files: their copies stop at their next part or chunk
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    return report


def _upload_lister(prefix: ObjectURL) -> UploadLister:
    lister = optional(open_store(prefix), UPLOAD_LISTER)
    if lister is None:
        raise UsageError(f"{prefix.scheme}:// has no multipart uploads to clean up")
    return lister


def stale_uploads(prefix: ObjectURL, older_than: timedelta, now: datetime | None = None) -> list[Upload]:
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    return [u for u in _upload_lister(prefix).list_uploads(prefix) if u.initiated is None or u.initiated <= cutoff]


def abort_uploads(prefix: ObjectURL, uploads: list[Upload]) -> list[tuple[Upload, str | None]]:
    """Abort each upload; (upload, error or None)."""
    store = _upload_lister(prefix)
    results = []
    for upload in uploads:
        try:
            store.abort_upload(upload)
            results.append((upload, None))
        except NotFound:
            results.append((upload, None))
        except ObjectCopyError as e:
            results.append((upload, str(e)))
    return results
