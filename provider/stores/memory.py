"""An in-memory store, `mem://bucket/key`: the whole Store protocol (versions, tags, parts, conditions) in one
process, with S3's rules, so the transfer planner, its executors and every resource's decisions are tested in
milliseconds without a server. Buckets exist on first write. Objects live as long as the process: a test's, or a
one-off `objectcopy` run's (useful only to try the command).

The store is this one module: its declaration (STORE) and its code. The registry imports it whenever a URL is
parsed, so it imports nothing costly at load time (the body reader, which brings in requests, is imported where it
is used).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

from ..urls import ObjectURL
from .base import (BadRequest, Capabilities, Limits, MiB, NotFound, ObjectInfo, Part, PreconditionFailed,
                   SourceConditions, Upload, WriteOptions, refuse_unsupported, require_etag, resolved_write)
from .store_type import StoreType, URLShape

if TYPE_CHECKING:
    from ..profiles import Profile

STORE = StoreType(scheme="mem", url=URLShape("bucket", "mem://bucket/key"), implementation=__name__)

CAPABILITIES = Capabilities(multipart_copy=True, multipart_upload=True, versioning=True, tagging=True, acl=True,
                            storage_class=True, sse=True)
# S3's part bounds, with a small cutoff so that tests reach the multipart paths with small objects.
LIMITS = Limits(max_single_copy=5 * 1024**3, multipart_cutoff=64 * MiB, min_part=5 * MiB)


@dataclass(frozen=True)
class _Object:
    data: bytes
    etag: str
    modified: datetime
    version_id: str
    content_type: str | None = None
    metadata: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    storage_class: str | None = None
    encryption: str | None = None
    composite: str | None = None


@dataclass
class _Bucket:
    versions: dict[str, list[_Object]] = field(default_factory=dict)  # key -> versions, newest last
    uploads: dict[str, tuple[Upload, dict[int, bytes]]] = field(default_factory=dict)


_lock = threading.RLock()
_buckets: dict[str, _Bucket] = {}
_ids = itertools.count(1)


def reset() -> None:
    """Forget every bucket (between tests)."""
    with _lock:
        _buckets.clear()


def _now() -> datetime:
    # Whole seconds, as HTTP dates have them
    return datetime.now(timezone.utc).replace(microsecond=0)


class MemoryStore:
    capabilities = CAPABILITIES
    limits = LIMITS

    def __init__(self, profile: Profile):
        self.profile = profile

    def identity(self) -> tuple:
        return ("mem",)

    def location(self, url: ObjectURL) -> tuple:
        return ("mem", url.bucket, url.key)

    # --- reading -------------------------------------------------------------------------------------------------
    def _current(self, url: ObjectURL, version_id: str | None = None) -> _Object:
        with _lock:
            versions = _buckets.get(url.bucket, _Bucket()).versions.get(url.key) or []
        if version_id is not None:
            for obj in versions:
                if obj.version_id == version_id:
                    return obj
            raise NotFound(f"{url}: no version {version_id!r}", status=404)
        if not versions:
            raise NotFound(f"{url}: no such object", status=404)
        return versions[-1]

    @staticmethod
    def _info(url: ObjectURL, obj: _Object) -> ObjectInfo:
        return ObjectInfo(url=url, size=len(obj.data), etag=obj.etag, last_modified=obj.modified,
                          content_type=obj.content_type, metadata=dict(obj.metadata), headers=dict(obj.headers),
                          version_id=obj.version_id, storage_class=obj.storage_class, composite=obj.composite,
                          encryption=obj.encryption)

    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        return self._info(url, self._current(url, version_id))

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        with _lock:
            bucket = _buckets.get(prefix.bucket, _Bucket())
            found = sorted((key, versions[-1]) for key, versions in bucket.versions.items()
                           if versions and key.startswith(prefix.key))
        for key, obj in found:
            yield self._info(prefix.with_key(key), obj)

    def get_tags(self, url: ObjectURL) -> dict[str, str]:
        return dict(self._current(url).tags)

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> BinaryIO:
        obj = self._current(url, version_id)
        conditions.check(self._info(url, obj))
        data = obj.data if byte_range is None else obj.data[byte_range[0]:byte_range[1] + 1]
        return io.BytesIO(data)

    # --- writing -------------------------------------------------------------------------------------------------
    def _put(self, url: ObjectURL, data: bytes, *, options: WriteOptions, source: ObjectInfo | None,
             etag: str | None = None, composite: str | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        metadata, content_type, headers = resolved_write(options, source)
        tags = dict(options.tags) if options.tags is not None else (
            self.get_tags(source.url) if source is not None and source.url.scheme == "mem"
            and options.tagging_directive == "COPY" and _exists(source.url) else {})
        obj = _Object(data=data, etag=etag or hashlib.md5(data).hexdigest(), modified=_now(),
                      version_id=str(next(_ids)), content_type=content_type or "binary/octet-stream",
                      metadata=metadata, headers=headers, tags=tags, storage_class=options.storage_class,
                      encryption=options.server_side_encryption or ("aws:kms" if options.kms_key_id else None),
                      composite=composite)
        with _lock:
            versions = _buckets.setdefault(url.bucket, _Bucket()).versions.setdefault(url.key, [])
            if not options.overwrite and versions:
                raise PreconditionFailed(f"{url} already exists and overwrite is off", status=412)
            if options.dest_if_match is not None and (not versions or versions[-1].etag != options.dest_if_match):
                raise PreconditionFailed(f"{url}: destination ETag is not {options.dest_if_match}", status=412)
            versions.append(obj)
        return self._info(url, obj)

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        obj = self._current(src.url, src.version_id)
        conditions.check(self._info(src.url, obj))
        if len(obj.data) > self.limits.max_single_copy:
            raise BadRequest(f"{src.url}: {len(obj.data)} bytes is above the single-copy limit")
        live = self._info(src.url, obj)
        return self._put(dst, obj.data, options=options, source=live, etag=obj.etag, composite=obj.composite)

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        data = _read_all(body)
        if len(data) != size:
            raise BadRequest(f"{url}: expected {size} bytes, the source gave {len(data)}")
        return self._put(url, data, options=options, source=source)

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            require_etag(self, url, if_match, version_id)
        with _lock:
            versions = _buckets.get(url.bucket, _Bucket()).versions.get(url.key) or []
            kept = [v for v in versions if version_id is not None and v.version_id != version_id]
            _buckets.setdefault(url.bucket, _Bucket()).versions[url.key] = kept
            if not kept:
                del _buckets[url.bucket].versions[url.key]

    def delete_all_versions(self, url: ObjectURL) -> None:
        with _lock:
            _buckets.get(url.bucket, _Bucket()).versions.pop(url.key, None)

    # --- parts (MultipartStore) ---------------------------------------------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        refuse_unsupported(options, self.capabilities, dst)
        upload = Upload(dst, f"mem-upload-{next(_ids)}", initiated=_now())
        with _lock:
            _buckets.setdefault(dst.bucket, _Bucket()).uploads[upload.upload_id] = (upload, {})
        return upload

    def _parts(self, upload: Upload) -> dict[int, bytes]:
        with _lock:
            found = _buckets.get(upload.url.bucket, _Bucket()).uploads.get(upload.upload_id)
        if found is None:
            raise NotFound(f"{upload.url}: no upload {upload.upload_id} (aborted?)", status=404)
        return found[1]

    def copy_part(self, upload: Upload, part: Part, src: ObjectInfo, *, conditions: SourceConditions) -> str:
        with self.open(src.url, conditions=conditions, version_id=src.version_id,
                       byte_range=(part.start, part.end)) as f:
            return self._store_part(upload, part, f.read())

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        return self._store_part(upload, part, _read_all(body))

    def _store_part(self, upload: Upload, part: Part, data: bytes) -> str:
        if len(data) != part.size:
            raise BadRequest(f"{upload.url}: part {part.number} got {len(data)} of {part.size} bytes")
        self._parts(upload)[part.number] = data
        return hashlib.md5(data).hexdigest()

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        stored = self._parts(upload)
        chunks = []
        for part, etag in parts:
            data = stored.get(part.number)
            if data is None or hashlib.md5(data).hexdigest() != etag:
                raise BadRequest(f"{upload.url}: part {part.number} is missing or not the one uploaded")
            chunks.append(data)
        digest = hashlib.md5(b"".join(bytes.fromhex(e) for _, e in parts)).hexdigest()
        info = self._put(upload.url, b"".join(chunks), options=replace(options, overwrite=True), source=source,
                         etag=f"{digest}-{len(parts)}", composite="multipart")
        self.abort_upload(upload)
        return info

    def abort_upload(self, upload: Upload) -> None:
        with _lock:
            _buckets.get(upload.url.bucket, _Bucket()).uploads.pop(upload.upload_id, None)

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        with _lock:
            found = [u for u, _ in _buckets.get(prefix.bucket, _Bucket()).uploads.values()
                     if u.url.key.startswith(prefix.key)]
        return iter(found)


def _exists(url: ObjectURL) -> bool:
    with _lock:
        return bool(_buckets.get(url.bucket, _Bucket()).versions.get(url.key))


def _read_all(body) -> bytes:
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
