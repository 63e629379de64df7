"""An in-memory store, `mem://bucket/key`: the whole Store protocol (versions, tags, parts, conditions) in one
process, with S3's rules, so the transfer planner, its executors and every resource's decisions are tested in
milliseconds without a server. As on S3, a bucket exists once created (create_bucket; a missing one is NotFound)
and keeps one object a key unless it is versioned; only a server-side copy carries the source's tags. Objects live
as long as the process: a test's, or a one-off `objectcopy` run's (useful only to try the command).

put_object, stored and uploads are the tests' own client: they set up and check objects apart from the Store
protocol under test, as boto3 does for S3.

The store is this one module: its declaration (STORE) and its code. The registry imports it whenever a URL is
parsed, so it imports nothing costly at load time (the body reader, which brings in requests, is imported where it
is used).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..urls import ObjectURL
from .base import (NO_CONDITIONS, BadRequest, Body, Capabilities, Limits, MiB, NotFound, ObjectInfo, Part,
                   PreconditionFailed, Readable, SourceConditions, Upload, WriteOptions, refuse_unsupported,
                   require_etag, resolved_write)
from .store_type import StoreType, URLShape

if TYPE_CHECKING:
    from ..profiles import Profile

# list_page_size: as on the HTTP stores, so the tests of paged listings run here too.
STORE = StoreType(scheme="mem", url=URLShape("bucket", "mem://bucket/key"), implementation=__name__,
                  profile_fields={"list_page_size": "count"})

CAPABILITIES = Capabilities(multipart_copy=True, multipart_upload=True, list_uploads=True, delete_all_versions=True,
                            versioning=True, tagging=True, acl=True, storage_class=True, sse=True)
# S3's part bounds, with a small cutoff so that tests reach the multipart paths with small objects.
LIMITS = Limits(max_single_copy=5 * 1024**3, multipart_cutoff=64 * MiB, min_part=5 * MiB)


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str
    modified: datetime
    version_id: str | None  # None in a bucket without versioning, as S3 reports none there
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    storage_class: str | None = None
    encryption: str | None = None
    composite: str | None = None
    delete_marker: bool = False


@dataclass
class _Bucket:
    versioned: bool = False
    versions: dict[str, list[StoredObject]] = field(default_factory=dict)  # key -> versions, newest last
    uploads: dict[str, tuple[Upload, dict[int, bytes]]] = field(default_factory=dict)


_lock = threading.RLock()
_buckets: dict[str, _Bucket] = {}
_ids = itertools.count(1)


def reset() -> None:
    """Forget every bucket (between tests)."""
    with _lock:
        _buckets.clear()


def create_bucket(name: str, *, versioned: bool = False) -> None:
    with _lock:
        _buckets.setdefault(name, _Bucket(versioned=versioned))


def _bucket(name: str) -> _Bucket:
    with _lock:
        bucket = _buckets.get(name)
    if bucket is None:
        raise NotFound(f"mem://{name}: no such bucket", status=404, code="NoSuchBucket")
    return bucket


def _now() -> datetime:
    # Whole seconds, as HTTP dates have them
    return datetime.now(timezone.utc).replace(microsecond=0)


def _store(bucket_name: str, key: str, obj: StoredObject, *, overwrite: bool = True,
           dest_if_match: str | None = None) -> StoredObject:
    """Keep `obj` as the key's current object, under the destination's conditions, in one step."""
    with _lock:
        bucket = _bucket(bucket_name)
        versions = bucket.versions.setdefault(key, [])
        current = versions[-1] if versions and not versions[-1].delete_marker else None
        if not overwrite and current is not None:
            raise PreconditionFailed(f"mem://{bucket_name}/{key} already exists and overwrite is off", status=412)
        if dest_if_match is not None and (current is None or current.etag != dest_if_match):
            raise PreconditionFailed(f"mem://{bucket_name}/{key}: destination ETag is not {dest_if_match}",
                                     status=412)
        obj = replace(obj, version_id=str(next(_ids)) if bucket.versioned else None)
        if bucket.versioned:
            versions.append(obj)
        else:
            versions[:] = [obj]
        return obj


def put_object(bucket: str, key: str, data: bytes, *, content_type: str | None = None,
               metadata: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
               tags: Mapping[str, str] | None = None) -> StoredObject:
    """The tests' PutObject."""
    return _store(bucket, key, StoredObject(data, hashlib.md5(data).hexdigest(), _now(), None,
                                            content_type or "binary/octet-stream", dict(metadata or {}),
                                            dict(headers or {}), dict(tags or {})))


def stored(bucket: str, key: str) -> StoredObject | None:
    """The tests' HEAD: the key's current object as held, or None."""
    with _lock:
        versions = _buckets.get(bucket, _Bucket()).versions.get(key) or []
    return versions[-1] if versions and not versions[-1].delete_marker else None


def uploads(bucket: str) -> list[Upload]:
    """The tests' ListMultipartUploads."""
    with _lock:
        return [upload for upload, _ in _buckets.get(bucket, _Bucket()).uploads.values()]


class MemoryStore:
    capabilities = CAPABILITIES
    limits = LIMITS

    def __init__(self, profile: Profile | None):
        self.profile = profile

    def identity(self) -> tuple[Any, ...]:
        return ("mem",)

    def location(self, url: ObjectURL) -> tuple[Any, ...]:
        return ("mem", url.bucket, url.key)

    # --- reading -------------------------------------------------------------------------------------------------
    def _current(self, url: ObjectURL, version_id: str | None = None) -> StoredObject:
        bucket = _bucket(url.bucket)
        with _lock:
            versions = list(bucket.versions.get(url.key) or [])
        if version_id is not None:
            for obj in versions:
                if obj.version_id == version_id and not obj.delete_marker:
                    return obj
            raise NotFound(f"{url}: no version {version_id!r}", status=404)
        if not versions or versions[-1].delete_marker:
            raise NotFound(f"{url}: no such object", status=404)
        return versions[-1]

    @staticmethod
    def _info(url: ObjectURL, obj: StoredObject) -> ObjectInfo:
        return ObjectInfo(url=url, size=len(obj.data), etag=obj.etag, last_modified=obj.modified,
                          content_type=obj.content_type, metadata=dict(obj.metadata), headers=dict(obj.headers),
                          version_id=obj.version_id, storage_class=obj.storage_class, composite=obj.composite,
                          encryption=obj.encryption)

    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        return self._info(url, self._current(url, version_id))

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        bucket = _bucket(prefix.bucket)
        with _lock:
            found = sorted((key, versions[-1]) for key, versions in bucket.versions.items()
                           if versions and not versions[-1].delete_marker and key.startswith(prefix.key))
        for key, obj in found:
            yield self._info(prefix.with_key(key), obj)

    def get_tags(self, url: ObjectURL) -> dict[str, str]:
        return dict(self._current(url).tags)

    def open(self, url: ObjectURL, *, conditions: SourceConditions = NO_CONDITIONS,
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> Readable:
        obj = self._current(url, version_id)
        conditions.check(self._info(url, obj))
        data = obj.data if byte_range is None else obj.data[byte_range[0]:byte_range[1] + 1]
        return io.BytesIO(data)

    # --- writing -------------------------------------------------------------------------------------------------
    def _put(self, url: ObjectURL, data: bytes, *, options: WriteOptions, source: ObjectInfo | None,
             tags: Mapping[str, str], etag: str | None = None, composite: str | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        metadata, content_type, headers = resolved_write(options, source)
        obj = StoredObject(data=data, etag=etag or hashlib.md5(data).hexdigest(), modified=_now(), version_id=None,
                           content_type=content_type or "binary/octet-stream", metadata=metadata, headers=headers,
                           tags=dict(tags), storage_class=options.storage_class,
                           encryption=options.server_side_encryption or ("aws:kms" if options.kms_key_id else None),
                           composite=composite)
        return self._info(url, _store(url.bucket, url.key, obj, overwrite=options.overwrite,
                                      dest_if_match=options.dest_if_match))

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        obj = self._current(src.url, src.version_id)
        live = self._info(src.url, obj)
        conditions.check(live)
        if len(obj.data) > self.limits.max_single_copy:
            raise BadRequest(f"{src.url}: {len(obj.data)} bytes is above the single-copy limit")
        # CopyObject: the tagging directive COPY keeps the source's tags; tags given replace them.
        tags = options.tags if options.tags is not None else (
            {} if options.tagging_directive == "REPLACE" else obj.tags)
        return self._put(dst, obj.data, options=options, source=live, tags=tags, etag=obj.etag,
                         composite=obj.composite)

    def write(self, url: ObjectURL, body: Body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        data = _read_all(body)
        if len(data) != size:
            raise BadRequest(f"{url}: expected {size} bytes, the source gave {len(data)}")
        return self._put(url, data, options=options, source=source, tags=options.tags or {})

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            require_etag(self, url, if_match, version_id)
        bucket = _bucket(url.bucket)
        with _lock:
            versions = bucket.versions.get(url.key) or []
            if version_id is not None:
                versions = [v for v in versions if v.version_id != version_id]
            elif bucket.versioned and versions and not versions[-1].delete_marker:
                versions = [*versions, StoredObject(b"", "", _now(), str(next(_ids)), delete_marker=True)]
            elif not bucket.versioned:
                versions = []
            if versions:
                bucket.versions[url.key] = versions
            else:
                bucket.versions.pop(url.key, None)

    def delete_all_versions(self, url: ObjectURL) -> None:
        bucket = _bucket(url.bucket)
        with _lock:
            bucket.versions.pop(url.key, None)

    # --- parts (Multipart, PartCopier) ----------------------------------------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        refuse_unsupported(options, self.capabilities, dst)
        bucket = _bucket(dst.bucket)
        upload = Upload(dst, f"mem-upload-{next(_ids)}", initiated=_now())
        with _lock:
            bucket.uploads[upload.upload_id] = (upload, {})
        return upload

    def _parts(self, upload: Upload) -> dict[int, bytes]:
        with _lock:
            found = _bucket(upload.url.bucket).uploads.get(upload.upload_id)
        if found is None:
            raise NotFound(f"{upload.url}: no upload {upload.upload_id} (aborted?)", status=404, code="NoSuchUpload")
        return found[1]

    def copy_part(self, upload: Upload, part: Part, src: ObjectInfo, *, conditions: SourceConditions) -> str:
        reader = self.open(src.url, conditions=conditions, version_id=src.version_id,
                           byte_range=(part.start, part.end))
        try:
            return self._store_part(upload, part, reader.read())
        finally:
            reader.close()

    def upload_part(self, upload: Upload, part: Part, body: Body) -> str:
        return self._store_part(upload, part, _read_all(body))

    def _store_part(self, upload: Upload, part: Part, data: bytes) -> str:
        if len(data) != part.size:
            raise BadRequest(f"{upload.url}: part {part.number} got {len(data)} of {part.size} bytes")
        parts = self._parts(upload)
        with _lock:
            parts[part.number] = data
        return hashlib.md5(data).hexdigest()

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        stored_parts = self._parts(upload)
        chunks = []
        for part, etag in parts:
            data = stored_parts.get(part.number)
            if data is None or hashlib.md5(data).hexdigest() != etag:
                raise BadRequest(f"{upload.url}: part {part.number} is missing or not the one uploaded")
            chunks.append(data)
        digest = hashlib.md5(b"".join(bytes.fromhex(e) for _, e in parts)).hexdigest()
        # As on S3 (our CompleteMultipartUpload sends no condition): the caller HEADs first for overwrite off.
        info = self._put(upload.url, b"".join(chunks), options=replace(options, overwrite=True), source=source,
                         tags=options.tags or {}, etag=f"{digest}-{len(parts)}", composite="multipart")
        self.abort_upload(upload)
        return info

    def abort_upload(self, upload: Upload) -> None:
        with _lock:
            _buckets.get(upload.url.bucket, _Bucket()).uploads.pop(upload.upload_id, None)

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        bucket = _bucket(prefix.bucket)
        with _lock:
            found = [u for u, _ in bucket.uploads.values() if u.url.key.startswith(prefix.key)]
        return iter(found)


def _read_all(body: Body) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    from .common import CHUNK, open_body
    stream = open_body(body)
    try:
        if hasattr(stream, "read"):
            return b"".join(iter(lambda: stream.read(CHUNK), b""))
        return b"".join(stream)
    finally:
        if hasattr(stream, "close"):
            stream.close()


def from_profile(profile: Profile) -> MemoryStore:
    return MemoryStore(profile)
