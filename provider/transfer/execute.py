"""One executor per copy method: each runs a CopyPlan's method for one object and returns the destination as
written. The plan has decided everything (method, parts, concurrency); the executors do the I/O, pin the source on
every read, report progress, check what arrived, and leave nothing behind on failure."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import BadRequest
from ..stores.base import (MANIFEST_COPIER, MULTIPART, PART_COPIER, Multipart, ObjectInfo, Part, SourceConditions,
                           Store, Upload, WriteOptions, required, same_etag, upload_closed, upload_opened)
from ..urls import ObjectURL
from .parts import PartWork, abort, confirm_source, run_parts
from .plan import CopyPlan, Method
from .reading import Opener, Progress, ReadProgress


@dataclass(frozen=True)
class Job:
    """One object being copied: both stores, the source as HEADed (or listed), where it goes, the pin every read
    of the source carries, and what the destination gets."""

    src_store: Store
    dst_store: Store
    src: ObjectInfo
    destination: ObjectURL
    pinned: SourceConditions
    options: WriteOptions
    progress: Progress | None = None

    def done(self, parts: int = 1) -> None:
        if self.progress:
            self.progress(self.src.size, self.src.size, parts, parts)


def copy_single(job: Job, plan: CopyPlan) -> ObjectInfo:
    """One server-side copy; CannotCopyHere when the store refuses it (the caller streams instead)."""
    progress, size = job.progress, job.src.size
    by_percent = (lambda pct: progress(int(size * pct / 100), size, 0, 1)) if progress else None
    info = job.dst_store.copy(job.src, job.destination, conditions=job.pinned, options=job.options,
                              progress=by_percent)
    job.done()
    return info


def copy_manifest(job: Job, plan: CopyPlan) -> ObjectInfo:
    """A Swift SLO's manifest alone: the copy shares the source's segments."""
    info = required(job.dst_store, MANIFEST_COPIER).copy_manifest(job.src, job.destination, conditions=job.pinned,
                                                                  options=job.options)
    job.done()
    return info


def copy_parts(job: Job, plan: CopyPlan) -> ObjectInfo:
    """Parts copied server-side from byte ranges of the source, in parallel, into one upload."""
    copier = required(job.dst_store, PART_COPIER)

    def work(upload: Upload) -> PartWork:
        return lambda part: copier.copy_part(upload, part, job.src, conditions=job.pinned)
    return _assemble(job, plan, copier, work, job.progress)


def stream_parts(job: Job, plan: CopyPlan) -> ObjectInfo:
    """Ranged reads of the source piped straight into parts, in parallel, each checked against its MD5."""
    uploads = required(job.dst_store, MULTIPART)
    reads = ReadProgress(job.progress, job.src.size, len(plan.parts)) if job.progress else None

    def work(upload: Upload) -> PartWork:
        return lambda part: _stream_part(job, uploads, upload, part, reads)
    return _assemble(job, plan, uploads, work, reads.parts if reads else None)


def stream(job: Job, plan: CopyPlan) -> ObjectInfo:
    """One read of the source piped into one write, checked against its MD5 and size; a copy that fails the check
    is removed."""
    src, dst = job.src, job.destination
    if src.size == 0:
        info = job.dst_store.write(dst, b"", 0, options=job.options, source=src)
        job.done()
        return info
    opener = Opener(job.src_store, src, job.pinned, reads=ReadProgress(job.progress, src.size, 1)
                    if job.progress else None)
    info = job.dst_store.write(dst, opener, src.size, options=job.options, source=src)
    reader = opener.sent()
    digest = reader.md5.hexdigest()
    expected = [e for e in (src.md5, info.md5) if e]
    if reader.length != src.size or any(e != digest for e in expected):
        job.dst_store.delete(dst)
        raise BadRequest(f"streamed copy of {src.url} to {dst} failed its integrity check "
                         f"(read {reader.length} of {src.size} bytes, MD5 {digest}, expected {expected}); "
                         "the destination was removed")
    job.done()
    return info


EXECUTORS: dict[Method, Callable[[Job, CopyPlan], ObjectInfo]] = {
    "server-side": copy_single, "server-side-multipart": copy_parts, "server-side-manifest": copy_manifest,
    "streamed": stream, "streamed-multipart": stream_parts,
}


def _assemble(job: Job, plan: CopyPlan, uploads: Multipart, work: Callable[[Upload], PartWork],
              progress: Progress | None) -> ObjectInfo:
    """One upload to the destination, its parts made by `work(upload)`, the source confirmed, then completed;
    aborted on any failure or interrupt, from the moment it exists."""
    src, dst = job.src, job.destination
    upload = uploads.start_upload(dst, options=job.options, source=src)
    upload_opened(uploads, upload)  # from here on, an interrupt of this process must abort it
    try:
        done = run_parts(list(plan.parts), work(upload), concurrency=plan.concurrency or 1, progress=progress)
        confirm_source(job.src_store, src)
        info = uploads.complete_upload(upload, done, options=job.options, source=src)
    except BaseException:
        abort(uploads, upload)
        raise
    finally:
        upload_closed(upload)
    if info.size != src.size:
        job.dst_store.delete(dst)
        raise BadRequest(f"copy of {src.url} to {dst} made {info.size} bytes, not {src.size}; it was removed")
    return info


def _stream_part(job: Job, uploads: Multipart, upload: Upload, part: Part, reads: ReadProgress | None) -> str:
    src = job.src
    opener = Opener(job.src_store, src, job.pinned, (part.start, part.end), reads)
    etag = uploads.upload_part(upload, part, opener)
    reader = opener.sent()
    digest = reader.md5.hexdigest()
    if reader.length != part.size:
        raise BadRequest(f"part {part.number} of {src.url}: read {reader.length} of {part.size} bytes")
    # A part's ETag is its MD5 on every store here, unless the upload is encrypted with KMS or customer keys.
    if (upload.encryption or "AES256") == "AES256" and etag and len(etag) == 32 and not same_etag(etag, digest):
        raise BadRequest(f"part {part.number} of {src.url} arrived damaged: MD5 {digest}, store has {etag}")
    return etag
