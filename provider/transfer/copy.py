"""One copy, from the source's HEAD to the destination written: plan it (plan.py), carry over what its method does
not, hold "overwrite off", run its executor (execute.py), and stream it instead when the store refuses to copy it
server-side (CannotCopyHere).

Whatever the method, the source is HEADed once, the user's preconditions are checked against that HEAD (so a
failure is named before anything is written), and the ETag seen is pinned on every request that reads the source
(s3transfer's CopySourceIfMatch), so what was planned is what is copied.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from ..stores import open_store
from ..errors import CannotCopyHere, NotFound, PreconditionFailed
from ..stores.base import (BUCKET_VERSIONING, NO_CONDITIONS, TAG_READER, ObjectInfo, SourceConditions, Store,
                           WriteOptions, require_etag, required, same_etag)
from ..urls import ObjectURL
from .execute import EXECUTORS, Job
from .parts import abort_stale
from .plan import (DEFAULT_CONFIG, DEFAULT_OPTIONS, CopyPlan, DestCheck, Method, TransferConfig, check_source,
                   listing_suffices, plan_copy)
from .reading import Progress

log = logging.getLogger("pulumi_objectcopy.transfer")


@dataclass(frozen=True)
class CopyResult:
    source: ObjectInfo
    destination: ObjectInfo | None  # None: a dry run
    method: Method
    parts: int = 1
    part_size: int | None = None
    concurrency: int | None = None

    def to_json(self) -> dict[str, Any]:
        d = self.destination
        if d is None:  # a dry run: nothing was written
            return {"source": str(self.source.url), "size": self.source.size, "source_etag": self.source.etag,
                    "source_version_id": self.source.version_id, "method": self.method, "parts": self.parts,
                    "part_size": self.part_size, "concurrency": self.concurrency}
        return {
            "source": str(self.source.url), "destination": str(d.url), "etag": d.etag, "size": d.size,
            "last_modified": d.last_modified.isoformat() if d.last_modified else None,
            "version_id": d.version_id, "source_etag": self.source.etag,
            "source_version_id": self.source.version_id, "method": self.method,
            "parts": self.parts, "part_size": self.part_size, "concurrency": self.concurrency,
        }


def copy_object(source: ObjectURL, destination: ObjectURL, *, conditions: SourceConditions = NO_CONDITIONS,
                options: WriteOptions = DEFAULT_OPTIONS, source_version_id: str | None = None,
                planned_source_etag: str | None = None, config: TransferConfig = DEFAULT_CONFIG,
                progress: Progress | None = None, listed: ObjectInfo | None = None,
                stores: tuple[Store, Store] | None = None, sweep_stale_uploads: bool = False,
                dry_run: bool = False) -> CopyResult:
    """Copy one object. `planned_source_etag` is the ETag a preview saw: if the source has changed since, nothing
    is copied and the error says so. `listed` is the source as a listing just showed it: a plain server-side copy
    then pins that ETag without a HEAD of its own (one request an object). `stores` reuses opened stores.
    `sweep_stale_uploads` (for a caller that owns the destination): before a copy in parts, abort the uploads to
    the destination started before this call, which an interrupted run of the same copy left behind. `dry_run`:
    everything up to the first write (the HEAD, the checks, the plan), then a result whose destination is None."""
    started = datetime.now(timezone.utc) if sweep_stale_uploads else None
    src_store, dst_store = stores or _open_pair(source, destination)
    same_store = src_store.identity() == dst_store.identity()
    config = config.with_profile_defaults(dst_store.profile)

    def plan(src: ObjectInfo, same_store: bool) -> CopyPlan:
        return plan_copy(src, destination, source_caps=src_store.capabilities, dest_caps=dst_store.capabilities,
                         limits=dst_store.limits, same_store=same_store, options=options, config=config,
                         version_pinned=source_version_id is not None)

    if listed is not None and listing_suffices(
            listed, destination, source_caps=src_store.capabilities, dest_caps=dst_store.capabilities,
            limits=dst_store.limits, same_store=same_store, options=options, config=config):
        src = listed
    else:
        src = src_store.head(source, version_id=source_version_id)
    check_source(src, conditions, planned_source_etag)
    copy_plan = plan(src, same_store)
    if dry_run:
        return _planned(src, dst_store, destination, options, copy_plan)
    job = Job(src_store, dst_store, src, destination, conditions.pinned(src.etag), options, progress)
    try:
        return _run(job, copy_plan, started)
    except CannotCopyHere as refused:
        if not copy_plan.server_side:
            raise
        log.info("%s; streaming the copy through this process instead", refused)
        if src is listed:  # a streamed write needs the metadata a listing lacks; the pin stays the listed ETag
            src = _head_again(src_store, listed, source_version_id)
            job = replace(job, src=src)
        return _run(job, plan(src, False), started)


def _run(job: Job, plan: CopyPlan, sweep_before: datetime | None) -> CopyResult:
    if job.progress and plan.method != "server-side-manifest":
        # the size is known from here: a bar can show it while the first bytes are on their way
        job.progress(0, job.src.size, 0, len(plan.parts) or 1)
    if plan.carry_tags:
        job = replace(job, options=_with_source_tags(job))
    _hold_no_overwrite(plan.dest_check, job.dst_store, job.destination)
    execute = EXECUTORS[plan.method]
    if not plan.parts or sweep_before is None:
        info = execute(job, plan)
    else:
        abort_stale(job.dst_store, job.destination, before=sweep_before)
        try:
            info = execute(job, plan)
        finally:  # an upload whose start was answered but the answer lost, then started again
            abort_stale(job.dst_store, job.destination, before=None)
    if not plan.parts:
        return CopyResult(job.src, info, plan.method)
    return CopyResult(job.src, info, plan.method, parts=len(plan.parts), part_size=plan.parts[0].size,
                      concurrency=plan.concurrency)


def _planned(src: ObjectInfo, dst_store: Store, destination: ObjectURL, options: WriteOptions,
             plan: CopyPlan) -> CopyResult:
    """A dry run's answer, after the checks a write would make on the destination (read only)."""
    if not options.overwrite:
        _hold_no_overwrite(DestCheck.HEAD, dst_store, destination)
    if options.dest_if_match is not None:
        require_etag(dst_store, destination, options.dest_if_match)
    return CopyResult(src, None, plan.method, parts=len(plan.parts) or 1,
                      part_size=plan.parts[0].size if plan.parts else None, concurrency=plan.concurrency)


def _open_pair(source: ObjectURL, destination: ObjectURL) -> tuple[Store, Store]:
    src_store = open_store(source)
    same_profile = (source.scheme, source.profile) == (destination.scheme, destination.profile)
    return src_store, src_store if same_profile else open_store(destination)


def _head_again(store: Store, listed: ObjectInfo, version_id: str | None) -> ObjectInfo:
    src = store.head(listed.url, version_id=version_id)
    if not same_etag(src.etag, listed.etag):
        raise PreconditionFailed(f"{listed.url} changed since it was listed (ETag {listed.etag}, now {src.etag}); "
                                 "nothing was written")
    return src


def _with_source_tags(job: Job) -> WriteOptions:
    tags = required(job.src_store, TAG_READER).get_tags(job.src.url)
    return replace(job.options, tags=tags) if tags else job.options


def _hold_no_overwrite(check: DestCheck, store: Store, url: ObjectURL) -> None:
    if check is DestCheck.HEAD_IF_VERSIONED:
        check = DestCheck.HEAD if required(store, BUCKET_VERSIONING).bucket_versioned(url) else DestCheck.STORE
    if check is not DestCheck.HEAD:
        return
    # This store cannot make the write itself conditional, so a HEAD decides: a short race remains.
    try:
        store.head(url)
    except NotFound:
        return
    raise PreconditionFailed(f"{url} already exists and overwrite is off")

