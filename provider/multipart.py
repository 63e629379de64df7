"""Multipart copies: plan the parts from the stores' limits (data, not code), run them in parallel, and abort the
upload on any failure or interrupt, so no upload and no half-written object is left behind (s3transfer's
failure cleanups)."""
from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from typing import Callable

from .stores.base import (BadRequest, Limits, MiB, MultipartStore, NotFound, ObjectCopyError, ObjectInfo, Part,
                          PreconditionFailed, SourceConditions, Store, Upload, UsageError, WriteOptions, open_uploads,
                          same_etag, upload_closed, upload_opened)

log = logging.getLogger("pulumi_objectcopy.transfer")

# A streamed copy (through this process) goes multipart above this size, in parts of at most STREAM_MAX_PART, so a
# failed part costs little to send again. Server-side copies stay single up to the store's single-copy limit.
STREAM_THRESHOLD = 64 * MiB
STREAM_MAX_PART = 128 * MiB

# progress(bytes done, bytes total, parts done, parts total)
Progress = Callable[[int, int, int, int], None]


def plan(size: int, limits: Limits, *, threshold: int | None, part_size: int | None, concurrency: int,
         server_side: bool) -> list[Part] | None:
    """The parts of a copy, or None for a single request. Default part size: the fewest parts that keep
    `concurrency` busy, within the store's part bounds and part count."""
    if threshold is not None:
        if size == 0 or size < threshold:
            return None
    elif server_side:
        cutoff = limits.multipart_cutoff
        if size <= limits.max_single_copy and (cutoff is None or size < cutoff):
            return None
    elif size <= STREAM_THRESHOLD:
        return None
    if part_size is not None:
        if not limits.min_part <= part_size <= limits.max_part:
            raise UsageError(f"part size {part_size} is outside this store's bounds "
                             f"({limits.min_part} to {limits.max_part} bytes)")
        if -(-size // part_size) > limits.max_parts:
            raise UsageError(f"part size {part_size} would need more than {limits.max_parts} parts for "
                             f"{size} bytes; use at least {-(-size // limits.max_parts)}")
    else:
        part_size = min(-(-size // max(1, concurrency)), STREAM_MAX_PART if not server_side else limits.max_part,
                        limits.max_part)
        part_size = max(part_size, limits.min_part, -(-size // limits.max_parts))
        if part_size > limits.max_part:
            raise BadRequest(f"{size} bytes do not fit in {limits.max_parts} parts of at most {limits.max_part}")
    return [Part(n, start, min(start + part_size, size) - 1) for n, start in enumerate(range(0, size, part_size), 1)]


def run_parts(parts: list[Part], work: Callable[[Part], str], *, concurrency: int,
              progress: Progress | None = None) -> list[tuple[Part, str]]:
    """Run `work` on every part, `concurrency` at a time; the first failure cancels the rest and is raised once
    every part in flight has stopped (so nothing writes after the caller aborts)."""
    total = sum(p.size for p in parts)
    done: list[tuple[Part, str]] = []
    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(parts))), thread_name_prefix="objectcopy-part")
    try:
        futures = {pool.submit(work, part): part for part in parts}
        for future in as_completed(futures):
            done.append((futures[future], future.result()))
            if progress:
                progress(sum(p.size for p, _ in done), total, len(done), len(parts))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return sorted(done, key=lambda pe: pe[0].number)


def copy_in_parts(src_store: Store, src: ObjectInfo, dst_store: MultipartStore, dst, parts: list[Part], *,
                  pinned: SourceConditions, options: WriteOptions, server_side: bool, concurrency: int,
                  progress: Progress | None = None) -> ObjectInfo:
    """Assemble dst from parts copied server-side, or streamed from ranged reads of the source."""
    upload = dst_store.start_upload(dst, options=options, source=src)
    _in_flight_add(dst_store, upload)  # from here on, an interrupt of this process must abort it
    try:
        reads = ReadProgress(progress, src.size, len(parts)) if progress and not server_side else None
        if server_side:
            def work(part: Part) -> str:
                return dst_store.copy_part(upload, part, src, conditions=pinned)
        else:
            def work(part: Part) -> str:
                return _stream_part(src_store, src, dst_store, upload, part, pinned, reads)
        done = run_parts(parts, work, concurrency=concurrency, progress=reads.parts if reads else progress)
        confirm_source(src_store, src)
        info = dst_store.complete_upload(upload, done, options=options, source=src)
    except BaseException:
        abort(dst_store, upload)
        raise
    finally:
        _in_flight_remove(upload)
    if info.size != src.size:
        dst_store.delete(dst)
        raise BadRequest(f"copy of {src.url} to {dst} made {info.size} bytes, not {src.size}; it was removed")
    return info


def confirm_source(store: Store, src: ObjectInfo) -> None:
    """One HEAD before completing: the source still has the ETag every part was pinned to. A server that ignores
    the pin on a part (moto and Ceph ignore x-amz-copy-source-if-match on UploadPartCopy; a local file has no pin
    at all) would otherwise assemble old parts and new ones into an object that never existed."""
    try:
        now = store.head(src.url, version_id=src.version_id)
    except NotFound:
        raise PreconditionFailed(f"{src.url} was deleted during the copy in parts; nothing was written") from None
    if not same_etag(now.etag, src.etag):
        raise PreconditionFailed(f"{src.url} changed during the copy in parts (ETag {src.etag}, now {now.etag}); "
                                 "nothing was written")


def abort(store: MultipartStore, upload: Upload) -> None:
    try:
        store.abort_upload(upload)
    except Exception as e:  # the original failure matters more; say what is left and how to remove it
        log.warning("could not abort the upload to %s (%s); `objectcopy cleanup` removes it", upload.url, e)


# --- uploads this process has open, and those a killed run left -------------------------------------------------
_in_flight_add, _in_flight_remove = upload_opened, upload_closed  # the registry is in stores.base: local files too


def abort_in_flight() -> list[Upload]:
    """Abort every upload this process has open (its copies are being abandoned: the engine is gone or stopping
    this process). The copies' own threads then fail on the aborted upload and stop."""
    abandoned = open_uploads()
    for store, upload in abandoned:
        abort(store, upload)
    return [upload for _, upload in abandoned]


def abort_stale(store: Store, url, *, before: datetime | None) -> list[Upload]:
    """Abort the in-progress uploads to exactly `url` started before `before` (None: all of them, once this copy's
    own upload is done): what an interrupted run left behind (its process killed mid-copy), or a start whose answer
    was lost and that was sent again. For a destination that one resource owns. A store that cannot list uploads,
    or a listing refused (no permission to list uploads, say), sweeps nothing: the copy goes on."""
    if not hasattr(store, "list_uploads"):
        return []
    try:
        stale = [u for u in store.list_uploads(url) if (u.url.bucket, u.url.key) == (url.bucket, url.key)
                 and (before is None or u.initiated is None or u.initiated < before)]
    except ObjectCopyError as e:
        log.info("could not list the uploads to %s to remove those an interrupted run left (%s)", url, e)
        return []
    for upload in stale:
        log.info("aborting upload %s to %s (started %s): not this copy's, left by an interrupted run or a lost "
                 "answer", upload.upload_id, url, upload.initiated)
        abort(store, upload)
    return stale


class ReadProgress:
    """A Progress fed by the source's bytes as they are read (bytes a failed attempt read count once), with the
    parts counted as they complete: a live figure for streamed copies, whose parts are large."""

    def __init__(self, progress: Progress, total: int, parts_total: int):
        self.progress, self.total, self.parts_total = progress, total, parts_total
        self.bytes = self.parts_done = 0
        self._lock = threading.Lock()

    def read(self, n: int) -> None:
        with self._lock:
            self.bytes += n
            self.progress(min(self.bytes, self.total), self.total, self.parts_done, self.parts_total)

    def parts(self, _done: int, _total: int, parts_done: int, _parts_total: int) -> None:
        with self._lock:
            self.parts_done = parts_done
            self.progress(min(self.bytes, self.total), self.total, parts_done, self.parts_total)


class HashingReader:
    """Source bytes passing through on their way to a store, with their MD5 and count, to check what arrived."""

    def __init__(self, stream, on_read: Callable[[int], None] | None = None):
        self._stream = stream
        self.md5 = hashlib.md5()
        self.length = 0
        self.on_read = on_read

    def read(self, n: int = -1) -> bytes:
        chunk = self._stream.read(n)
        self.md5.update(chunk)
        self.length += len(chunk)
        if chunk and self.on_read:
            self.on_read(len(chunk))
        return chunk

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Opener:
    """Opens the source (or a range of it) afresh for each attempt at sending it; the last reader holds what
    was actually sent."""

    def __init__(self, store: Store, src: ObjectInfo, pinned: SourceConditions,
                 byte_range: tuple[int, int] | None = None, reads: ReadProgress | None = None):
        self.store, self.src, self.pinned, self.byte_range, self.reads = store, src, pinned, byte_range, reads
        self.last: HashingReader | None = None

    def __call__(self) -> HashingReader:
        if self.last is not None and self.reads:  # read again from the start: the last attempt's bytes are undone
            self.reads.read(-self.last.length)
        self.last = HashingReader(self.store.open(self.src.url, conditions=self.pinned,
                                                  version_id=self.src.version_id, byte_range=self.byte_range),
                                  self.reads.read if self.reads else None)
        return self.last


def _stream_part(src_store: Store, src: ObjectInfo, dst_store: MultipartStore, upload: Upload, part: Part,
                 pinned: SourceConditions, reads: ReadProgress | None = None) -> str:
    opener = Opener(src_store, src, pinned, (part.start, part.end), reads)
    etag = dst_store.upload_part(upload, part, opener)
    reader = opener.last
    digest = reader.md5.hexdigest()
    if reader.length != part.size:
        raise BadRequest(f"part {part.number} of {src.url}: read {reader.length} of {part.size} bytes")
    # A part's ETag is its MD5 on every store here, unless the upload is encrypted with KMS or customer keys.
    if (upload.encryption or "AES256") == "AES256" and etag and len(etag) == 32 and not same_etag(etag, digest):
        raise BadRequest(f"part {part.number} of {src.url} arrived damaged: MD5 {digest}, store has {etag}")
    return etag
