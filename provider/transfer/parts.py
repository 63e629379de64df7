"""Copies in parts: the parts run in parallel, the source confirmed before completing, and uploads aborted on any
failure or interrupt, so no upload and no half-written object is left behind (s3transfer's failure cleanups):
those of a failed copy, those this process has open when it is stopped, and those an interrupted run left."""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import datetime

from ..errors import NotFound, ObjectCopyError, PreconditionFailed
from ..stores.base import (UPLOAD_LISTER, Multipart, ObjectInfo, Part, Store, Upload, UploadLister, open_uploads,
                           optional, same_etag)
from ..urls import ObjectURL
from .reading import Progress

log = logging.getLogger("pulumi_objectcopy.transfer")

# One part's work: copy or send it, return its ETag.
PartWork = Callable[[Part], str]


def run_parts(parts: list[Part], work: PartWork, *, concurrency: int,
              progress: Progress | None = None) -> list[tuple[Part, str]]:
    """Run `work` on every part, `concurrency` at a time; the first failure cancels the rest and is raised once
    every part in flight has stopped (so nothing writes after the caller aborts)."""
    total = sum(p.size for p in parts)
    done: list[tuple[Part, str]] = []
    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(parts))), thread_name_prefix="objectcopy-part")
    try:
        futures: dict[Future[str], Part] = {pool.submit(work, part): part for part in parts}
        for future in as_completed(futures):
            done.append((futures[future], future.result()))
            if progress:
                progress(sum(p.size for p, _ in done), total, len(done), len(parts))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return sorted(done, key=lambda pe: pe[0].number)


def confirm_source(store: Store, src: ObjectInfo) -> None:
    """One HEAD before completing, whatever the store claims: the source still has the ETag every part was pinned
    to. A server that ignores the pin on a part (moto and Ceph ignore x-amz-copy-source-if-match on
    UploadPartCopy; a proxy may strip it; a local file has no pin at all) would otherwise assemble old parts and
    new ones into an object that never existed."""
    try:
        now = store.head(src.url, version_id=src.version_id)
    except NotFound:
        raise PreconditionFailed(f"{src.url} was deleted during the copy in parts; nothing was written") from None
    if not same_etag(now.etag, src.etag):
        raise PreconditionFailed(f"{src.url} changed during the copy in parts (ETag {src.etag}, now {now.etag}); "
                                 "nothing was written")


def abort(store: Multipart | UploadLister, upload: Upload) -> None:
    try:
        store.abort_upload(upload)
    except Exception as e:  # noqa: BLE001 (the original failure matters more; say what is left and how to remove it)
        log.warning("could not abort the upload to %s (%s); `objectcopy cleanup` removes it", upload.url, e)


def abort_in_flight() -> list[Upload]:
    """Abort every upload this process has open (its copies are being abandoned: the engine is gone or stopping
    this process). The copies' own threads then fail on the aborted upload and stop."""
    abandoned = open_uploads()
    for store, upload in abandoned:
        abort(store, upload)
    return [upload for _, upload in abandoned]


def abort_stale(store: Store, url: ObjectURL, *, before: datetime | None) -> list[Upload]:
    """Abort the in-progress uploads to exactly `url` started before `before` (None: all of them, once this copy's
    own upload is done): what an interrupted run left behind (its process killed mid-copy), or a start whose answer
    was lost and that was sent again. For a destination that one resource owns. A store that cannot list uploads,
    or a listing refused (no permission to list uploads, say), sweeps nothing: the copy goes on."""
    lister = optional(store, UPLOAD_LISTER)
    if lister is None:
        return []
    try:
        stale = [u for u in lister.list_uploads(url) if (u.url.bucket, u.url.key) == (url.bucket, url.key)
                 and (before is None or u.initiated is None or u.initiated < before)]
    except ObjectCopyError as e:
        log.info("could not list the uploads to %s to remove those an interrupted run left (%s)", url, e)
        return []
    for upload in stale:
        log.info("aborting upload %s to %s (started %s): not this copy's, left by an interrupted run or a lost "
                 "answer", upload.upload_id, url, upload.initiated)
        abort(lister, upload)
    return stale
