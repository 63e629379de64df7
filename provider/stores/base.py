"""The Store protocol every storage backend implements, the data it exchanges, and the shared error types.

A store is a thin adapter over one storage API. What differs between vendors (limits, which copy conditions the
server honours, how ETags look) is data in `Capabilities` and `Limits`, so transfer code can ask instead of
assuming (rclone's optional interfaces; its provider quirk tables).

Every store implements `Store`. An optional operation (parts, tags, a manifest copy, a listing of uploads, deleting
every version, asking a bucket about versioning) is a small protocol of its own, and the store's `Capabilities`
says which it has: `optional(store, TAG_READER)` is the store as a TagReader, or None. That is the one way to ask.
A server that refuses a server-side copy it was expected to make says so with CannotCopyHere; transfer then streams.
"""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Generic, Protocol, TypeVar, cast, runtime_checkable

from ..urls import ObjectURL

# Sizes and Limits are declared beside each store's declaration (store_type.py), named here for the stores
from .store_type import GiB, KiB, Limits, MiB  # noqa: E402,F401


# --- errors and ETag comparison: defined in errors.py and etags.py (below every layer), named here for the stores
# Re-exported (`X as X`): the stores and older callers import these names from here.
from ..errors import (  # noqa: E402
    AccessDenied as AccessDenied, AnswerLost as AnswerLost, BadAnswer as BadAnswer, BadRequest as BadRequest,
    CannotCopyHere as CannotCopyHere, ConfigError as ConfigError, NotFound as NotFound,
    ObjectCopyError as ObjectCopyError, PreconditionFailed as PreconditionFailed,
    SourceInterrupted as SourceInterrupted, StoreError as StoreError, Throttled as Throttled, Transient as Transient,
    UsageError as UsageError)
from ..etags import etag_key as etag_key, normalize_etag as normalize_etag, same_etag as same_etag  # noqa: E402


# --- data -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ObjectInfo:
    url: ObjectURL
    size: int
    etag: str | None
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)  # user metadata, lower-case names without prefix
    headers: Mapping[str, str] = field(default_factory=dict)   # cache-control, content-disposition, content-encoding
    version_id: str | None = None
    storage_class: str | None = None
    # "multipart" (S3 `-N` ETag), "slo"/"dlo" (Swift manifests): the ETag is not an MD5 of the bytes.
    composite: str | None = None
    # Server-side encryption as the store reports it; under KMS or customer keys the ETag is not an MD5 either.
    encryption: str | None = None
    # The content MD5 (hex) where the store reports it apart from the ETag (OCI's content-md5; its ETags are ids)
    content_md5: str | None = None

    @property
    def md5(self) -> str | None:
        """The content MD5 when the ETag is one (single-part, no KMS); None when it cannot be known from HEAD."""
        if self.content_md5:
            return self.content_md5.lower()
        if self.composite or (self.encryption or "AES256") != "AES256" or not self.etag or len(self.etag) != 32:
            return None
        try:
            int(self.etag, 16)
        except ValueError:
            return None
        return etag_key(self.etag)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": str(self.url),
            "etag": self.etag,
            "size": self.size,
            "last_modified": self.last_modified.isoformat() if self.last_modified else None,
            "content_type": self.content_type,
            "metadata": dict(self.metadata),
            "version_id": self.version_id,
        }


@dataclass(frozen=True)
class SourceConditions:
    """Preconditions on the source of a copy or read. An ETag is compared bare (see normalize_etag)."""

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in dataclasses.fields(self))

    def pinned(self, etag: str | None) -> SourceConditions:
        """These conditions with the source's ETag as if-match (none seen: as they are), for every read of a copy."""
        return self if etag is None else dataclasses.replace(self, if_match=etag)

    def check(self, info: ObjectInfo) -> None:
        """Evaluate the conditions against a HEAD, the way the servers do, so a failure is named before any write."""
        etag = normalize_etag(info.etag)
        if self.if_match is not None and not same_etag(self.if_match, etag):
            raise PreconditionFailed(
                f"if-match failed on {info.url}: expected ETag {normalize_etag(self.if_match)}, source has {etag}")
        if self.if_none_match is not None and (normalize_etag(self.if_none_match) == "*"
                                               or same_etag(self.if_none_match, etag)):
            raise PreconditionFailed(f"if-none-match failed on {info.url}: source ETag is {etag}")
        lm = info.last_modified
        if lm is not None and self.if_unmodified_since is not None and lm > self.if_unmodified_since:
            raise PreconditionFailed(
                f"if-unmodified-since failed on {info.url}: source was modified at {lm.isoformat()}, "
                f"after {self.if_unmodified_since.isoformat()}")
        if lm is not None and self.if_modified_since is not None and lm <= self.if_modified_since:
            raise PreconditionFailed(
                f"if-modified-since failed on {info.url}: source last modified {lm.isoformat()}, "
                f"not after {self.if_modified_since.isoformat()}")


NO_CONDITIONS = SourceConditions()


@dataclass(frozen=True)
class WriteOptions:
    """What the destination object should carry. metadata_directive COPY keeps the source's metadata and content
    headers (anything given here is merged over them); REPLACE sets exactly `metadata`, `content_type`, `headers`."""

    metadata_directive: str = "COPY"
    metadata: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    overwrite: bool = True  # False: write only where the destination does not exist
    tags: Mapping[str, str] | None = None   # None: the directive decides; a mapping replaces the tags
    tagging_directive: str = "COPY"
    acl: str | None = None
    storage_class: str | None = None
    server_side_encryption: str | None = None
    kms_key_id: str | None = None
    dest_if_match: str | None = None  # write only if the destination still has this ETag

    def unsupported(self, caps: Capabilities) -> list[tuple[str, str]]:
        """(option, reason) for each option the destination cannot honour, so it fails before any write."""
        wanted = {"tags": self.tags is not None or self.tagging_directive == "REPLACE", "acl": bool(self.acl),
                  "storage_class": bool(self.storage_class),
                  "server_side_encryption": bool(self.server_side_encryption),
                  "kms_key_id": bool(self.kms_key_id), "dest_if_match": self.dest_if_match is not None}
        have = {"tags": caps.tagging, "acl": caps.acl, "storage_class": caps.storage_class,
                "server_side_encryption": caps.sse, "kms_key_id": caps.sse, "dest_if_match": caps.dest_if_match}
        problems = [(name, "not supported by this destination's store; remove it")
                    for name, asked in wanted.items() if asked and not have[name]]
        sse = self.server_side_encryption
        if sse and caps.sse and sse not in caps.sse_algorithms:
            offered = ", ".join(sorted(caps.sse_algorithms))
            problems.append(("server_side_encryption", f"{sse} not offered by this destination's store (it offers "
                                                       f"{offered}); choose one of those"))
        return problems


CONDITION_NAMES = frozenset({"if_match", "if_none_match", "if_modified_since", "if_unmodified_since"})


@dataclass(frozen=True)
class Capabilities:
    server_side_copy: bool = True
    # Source conditions the server itself enforces on a server-side copy. The rest are checked by a HEAD just
    # before the copy, which leaves a short race the server would have closed.
    copy_conditions: frozenset[str] = CONDITION_NAMES
    # The server rejects a conditional copy when an if-match on a multipart (`-N`) ETag should have passed
    # (Swift's s3api compares against its own MD5): pin with if-unmodified-since on the HEADed Last-Modified.
    copy_if_match_multipart_etag: bool = True
    # Where the server itself refuses to read a source that no longer has the pinned ETag: "copy" (a server-side
    # copy), "part_copy" (a part copied server-side), "read" (a ranged GET: a streamed part). Where it does not,
    # the HEAD before completing a copy in parts (multipart.confirm_source) is what catches a changed source.
    pin_enforced: frozenset[str] = frozenset({"copy", "part_copy", "read"})
    # Whether the server honours if-none-match: * on the destination of a copy, and of a plain write. Where it
    # does not, transfer HEADs the destination first, which leaves a short race.
    dest_if_none_match_on_copy: bool = True
    dest_if_none_match_on_write: bool = True
    # The guard above holds only in a bucket that never had versioning (OSS: x-oss-forbid-overwrite "does not take
    # effect when versioning is enabled or suspended"): transfer asks the bucket (BucketVersioning) and, where it
    # has versioning, HEADs the destination first.
    dest_guard_needs_unversioned_bucket: bool = False
    # The optional operations, each a protocol below (OPERATIONS): a store claiming one implements it.
    # Multipart: the store can assemble an object from parts written by the client (streamed copies), and from
    # parts it copies server-side from byte ranges of another of its objects (S3 UploadPartCopy; Swift segments
    # copied with a Range, then an SLO manifest).
    multipart_upload: bool = False    # Multipart
    multipart_copy: bool = False      # PartCopier
    manifest_copy: bool = False       # ManifestCopier: a Swift SLO's manifest alone, sharing its segments
    list_uploads: bool = False        # UploadLister: uploads in progress, to sweep what a killed copy left
    delete_all_versions: bool = False  # VersionDeleter: every version and delete marker of one key
    # ListMultipartUploads honours a key prefix (MinIO matches only an exact key: list all, filter here).
    list_uploads_by_prefix: bool = True
    versioning: bool = False
    tagging: bool = False             # TagReader too: a store that takes tags can read them
    acl: bool = False
    storage_class: bool = False
    sse: bool = False
    sse_algorithms: frozenset[str] = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})  # with sse: which ones
    dest_if_match: bool = False  # the write itself can be conditional on the destination's ETag


@dataclass(frozen=True)
class Part:
    number: int   # 1-based, as S3 numbers them
    start: int
    end: int      # inclusive, as in a Range header

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Upload:
    """An object being assembled from parts; `upload_id` is the store's handle (S3's UploadId, Swift's segment
    prefix, a local temp file)."""

    url: ObjectURL
    upload_id: str
    initiated: datetime | None = None
    encryption: str | None = None  # as the store reported it: under KMS a part's ETag is no MD5


# --- what this process has open ---------------------------------------------------------------------------------
# Uploads, and local temp files being written, registered the moment they exist and removed once complete or
# aborted: when this process's copies are abandoned (the engine stops the provider, a signal ends the command),
# transfer.abort_in_flight aborts what is still here, so nothing is left behind.
_open_uploads: dict[int, tuple[Multipart, Upload]] = {}
_open_lock = threading.Lock()


def upload_opened(store: Multipart, upload: Upload) -> None:
    with _open_lock:
        _open_uploads[id(upload)] = (store, upload)


def upload_closed(upload: Upload) -> None:
    with _open_lock:
        _open_uploads.pop(id(upload), None)


def open_uploads() -> list[tuple[Multipart, Upload]]:
    with _open_lock:
        return list(_open_uploads.values())


# --- the protocol ---------------------------------------------------------------------------------------------------
class Readable(Protocol):
    """An object's bytes being read: a response body, a file, a range of either. The reader closes it."""

    def read(self, n: int = -1) -> bytes: ...

    def close(self) -> None: ...


# What a store writes from: bytes, chunks, a stream, or an opener (a zero-argument callable that opens the source
# afresh, so a retry can send it again from the start).
Body = bytes | Iterable[bytes] | BinaryIO | Readable | Callable[[], Readable]


class Settings(Protocol):
    """A store's profile, as transfer reads it (multipart_cutoff, part_size, concurrency)."""

    def get(self, key: str, default: Any = None) -> Any: ...


@runtime_checkable
class Store(Protocol):
    """One storage API at one endpoint with one identity. Instances are cheap and hold no sockets; the HTTP layer
    pools connections per thread."""

    capabilities: Capabilities
    limits: Limits

    @property
    def profile(self) -> Settings | None: ...

    def identity(self) -> tuple[Any, ...]:
        """Two URLs whose stores share an identity can be copied server-side between each other."""

    def location(self, url: ObjectURL) -> tuple[Any, ...]:
        """Where the object physically is (endpoint, bucket, key), whatever profile or credentials name it."""

    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo: ...

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]: ...

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        """Server-side copy of `src` (as HEADed) to `dst`. Raises CannotCopyHere when this copy cannot be made
        inside the store (the server does not implement it; the copy cannot carry what was asked), and transfer
        streams it instead. Stores whose copy runs as a job (OCI) report its percent complete to `progress`."""

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> Readable:
        """A readable stream of the object (or the inclusive byte range). The caller closes it."""

    def write(self, url: ObjectURL, body: Body, size: int, *,
              options: WriteOptions, source: ObjectInfo | None = None) -> ObjectInfo:
        """Write `size` bytes. With options.overwrite False, fail with PreconditionFailed if the object exists.
        `source` supplies metadata and content headers for a COPY directive."""

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None: ...


# --- optional operations: each a protocol, claimed by a flag of Capabilities -------------------------------------
@runtime_checkable
class Multipart(Protocol):
    """An object assembled from parts the client writes (Capabilities.multipart_upload). Transfer registers
    abort_upload as the cleanup the moment start_upload returns, so no upload outlives a failed copy."""

    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload: ...

    def upload_part(self, upload: Upload, part: Part, body: Body) -> str: ...

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo: ...

    def abort_upload(self, upload: Upload) -> None: ...


@runtime_checkable
class PartCopier(Multipart, Protocol):
    """Parts copied server-side from byte ranges of another object of the store (Capabilities.multipart_copy)."""

    def copy_part(self, upload: Upload, part: Part, src: ObjectInfo, *, conditions: SourceConditions) -> str:
        """Server-side copy of src's byte range into the part; returns the part's ETag."""


@runtime_checkable
class TagReader(Protocol):
    """An object's tags (Capabilities.tagging), sent again by copies that do not carry them (parts, writes)."""

    def get_tags(self, url: ObjectURL) -> dict[str, str]: ...


@runtime_checkable
class ManifestCopier(Protocol):
    """A large object's manifest copied alone, sharing its segments (Capabilities.manifest_copy: Swift SLOs)."""

    def copy_manifest(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
                      options: WriteOptions) -> ObjectInfo: ...


@runtime_checkable
class UploadLister(Protocol):
    """The uploads in progress under a prefix, and their abort (Capabilities.list_uploads)."""

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]: ...

    def abort_upload(self, upload: Upload) -> None: ...


@runtime_checkable
class VersionDeleter(Protocol):
    """Every version and delete marker of one key (Capabilities.delete_all_versions)."""

    def delete_all_versions(self, url: ObjectURL) -> None: ...


@runtime_checkable
class BucketVersioning(Protocol):
    """Whether a bucket has (or had) versioning (Capabilities.dest_guard_needs_unversioned_bucket: the store's
    no-overwrite guard holds only without it)."""

    def bucket_versioned(self, url: ObjectURL) -> bool: ...


T = TypeVar("T")


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One optional operation: the Capabilities flag that claims it, and the protocol a claiming store implements."""

    flag: str
    protocol: type[Any]

    def claimed(self, caps: Capabilities) -> bool:
        return bool(getattr(caps, self.flag))


MULTIPART: Operation[Multipart] = Operation("multipart_upload", Multipart)
PART_COPIER: Operation[PartCopier] = Operation("multipart_copy", PartCopier)
TAG_READER: Operation[TagReader] = Operation("tagging", TagReader)
MANIFEST_COPIER: Operation[ManifestCopier] = Operation("manifest_copy", ManifestCopier)
UPLOAD_LISTER: Operation[UploadLister] = Operation("list_uploads", UploadLister)
VERSION_DELETER: Operation[VersionDeleter] = Operation("delete_all_versions", VersionDeleter)
BUCKET_VERSIONING: Operation[BucketVersioning] = Operation("dest_guard_needs_unversioned_bucket", BucketVersioning)
OPERATIONS: tuple[Operation[Any], ...] = (MULTIPART, PART_COPIER, TAG_READER, MANIFEST_COPIER, UPLOAD_LISTER,
                                          VERSION_DELETER, BUCKET_VERSIONING)


def optional(store: Store, operation: Operation[T]) -> T | None:
    """The store as the operation's protocol when its capabilities claim it, else None."""
    return cast(T, store) if operation.claimed(store.capabilities) else None


def required(store: Store, operation: Operation[T]) -> T:
    """The store as the operation's protocol, for a caller whose plan already relies on the claim."""
    view = optional(store, operation)
    if view is None:
        raise UsageError(f"this store has no {operation.protocol.__name__} ({operation.flag} is not among its "
                         "capabilities)")
    return view


def unkept_claims(store: object, caps: Capabilities) -> list[str]:
    """The flags `caps` sets whose operation `store` does not implement: each a store bug (the tests check none)."""
    return [op.flag for op in OPERATIONS if op.claimed(caps) and not isinstance(store, op.protocol)]


def require_etag(store: Store, url: ObjectURL, if_match: str, version_id: str | None = None) -> ObjectInfo:
    """HEAD `url` and refuse, naming both ETags, unless it still has `if_match` (a guarded delete)."""
    current = store.head(url, version_id=version_id)
    if not same_etag(current.etag, if_match):
        raise PreconditionFailed(f"not deleting {url}: its ETag is {current.etag}, expected {normalize_etag(if_match)}")
    return current


def refuse_unsupported(options: WriteOptions, caps: Capabilities, url: ObjectURL) -> None:
    problems = options.unsupported(caps)
    if problems:
        raise BadRequest(f"{url}: " + "; ".join(f"{name}: {reason}" for name, reason in problems))


def resolved_write(options: WriteOptions, source: ObjectInfo | None) -> tuple[dict[str, str], str | None,
                                                                               dict[str, str]]:
    """(metadata, content_type, content headers) the destination gets, applying the metadata directive."""
    if options.metadata_directive == "REPLACE" or source is None:
        return dict(options.metadata), options.content_type, dict(options.headers)
    # COPY with overrides merges them over the source's, as Swift does natively.
    return ({**source.metadata, **options.metadata}, options.content_type or source.content_type,
            {**source.headers, **options.headers})
