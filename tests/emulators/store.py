"""In-memory object model shared by the COS and OSS emulators.

Dialect-free: names and values are stored as the vendors' APIs carry them, and errors are raised as
`StoreError` with the S3-family code both vendors use (NoSuchKey, InvalidPart, ...). The HTTP layers
translate headers to and from this model and render the errors in their own XML.

Thread-safe: every public method takes one lock, and objects are immutable snapshots, so a handler that
holds one while another request overwrites the key still sees a consistent object.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

try:  # a dependency of every vendor SDK used here; its C extension makes CRC64 of test-sized data cheap
    import crcmod
except ImportError:  # pragma: no cover - without it the emulators just omit the CRC64 headers
    crcmod = None

# CRC-64/XZ ("ECMA" in the vendors' header names): what x-cos-hash-crc64ecma / x-oss-hash-crc64ecma carry,
# and what the SDKs recompute to check uploads and downloads.
_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True) if crcmod else None


def crc64(data: bytes) -> int | None:
    return _crc64(data) if _crc64 else None


class StoreError(Exception):
    def __init__(self, code: str, status: int, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.code, self.status, self.message, self.extra = code, status, message, extra


@dataclass(frozen=True)
class StoredObject:
    key: str
    data: bytes
    etag: str                        # bare hex, no quotes; "<hex>-<N>" for a multipart object
    last_modified: int               # whole seconds: HTTP dates, and so conditions, have second precision
    content_type: str = "application/octet-stream"
    content_headers: Mapping[str, str] = field(default_factory=dict)  # content-encoding, cache-control, ...
    metadata: Mapping[str, str] = field(default_factory=dict)         # user metadata, lower-case, no prefix
    tags: Mapping[str, str] = field(default_factory=dict)
    storage_class: str = "STANDARD"
    acl: str | None = None
    sse: str | None = None
    sse_key_id: str | None = None
    version_id: str | None = None
    delete_marker: bool = False
    crc64: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Part:
    number: int
    data: bytes
    etag: str
    last_modified: int


@dataclass
class Upload:
    upload_id: str
    key: str
    initiated: int
    attrs: dict[str, Any]            # StoredObject fields fixed at initiation (metadata, storage class, ...)
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    name: str
    versioning: bool = False         # Enabled: every write makes a new version
    suspended: bool = False          # was Enabled, now Suspended: a write replaces the "null" version
    # All versions of each key, oldest first; without versioning the list holds at most one object.
    objects: dict[str, list[StoredObject]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def multipart_etag(part_etags: Iterable[str]) -> str:
    """md5 of the concatenated binary part md5s, then '-N' (what both vendors document)."""
    etags = list(part_etags)
    return f"{md5_hex(b''.join(bytes.fromhex(e) for e in etags))}-{len(etags)}"


def parse_http_date(value: str) -> int | None:
    """Epoch seconds from an RFC 1123 date or the ISO 8601 form OSS's docs show; None when unparseable
    (HTTP says a condition with an invalid date is ignored)."""
    value = value.strip()
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError):
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp())


def _etag_list(value: str) -> list[str]:
    return [v.strip().removeprefix("W/").strip('"') for v in value.split(",") if v.strip()]


def evaluate_conditions(obj: StoredObject, *, if_match: str | None = None, if_none_match: str | None = None,
                        if_modified_since: str | None = None, if_unmodified_since: str | None = None) -> str | None:
    """The name of the first condition that fails ('if-match', ...), or None when all hold.

    RFC 7232 precedence, which is also how S3 and both vendors document the pairs: an If-Match that is
    present decides instead of If-Unmodified-Since, and an If-None-Match decides instead of
    If-Modified-Since (so "if-match holds + unmodified-since fails" copies, "none-match fails +
    modified-since holds" does not).
    """
    etag = obj.etag.lower()
    if if_match is not None:
        wanted = _etag_list(if_match)
        if "*" not in wanted and etag not in (w.lower() for w in wanted):
            return "if-match"
    elif if_unmodified_since is not None:
        since = parse_http_date(if_unmodified_since)
        if since is not None and obj.last_modified > since:
            return "if-unmodified-since"
    if if_none_match is not None:
        wanted = _etag_list(if_none_match)
        if "*" in wanted or etag in (w.lower() for w in wanted):
            return "if-none-match"
    elif if_modified_since is not None:
        since = parse_http_date(if_modified_since)
        if since is not None and obj.last_modified <= since:
            return "if-modified-since"
    return None


class Store:
    def __init__(self, default_storage_class: str = "STANDARD", *, upper_case_etags: bool = False) -> None:
        self._lock = threading.RLock()
        self._buckets: dict[str, Bucket] = {}
        self.default_storage_class = default_storage_class
        # OSS spells every MD5 ETag in upper-case hex (its pages' examples: UploadPart, CompleteMultipartUpload,
        # ListParts, HEAD); S3 and COS in lower case.
        self.upper_case_etags = upper_case_etags

    def _etag(self, data: bytes) -> str:
        digest = md5_hex(data)
        return digest.upper() if self.upper_case_etags else digest

    def _composite_etag(self, part_etags: Iterable[str]) -> str:
        etag = multipart_etag(part_etags)
        return etag.upper() if self.upper_case_etags else etag

    # -- buckets ---------------------------------------------------------------------------------
    def create_bucket(self, name: str, *, versioning: bool = False) -> None:
        with self._lock:
            self._buckets.setdefault(name, Bucket(name)).versioning = versioning

    def _bucket(self, name: str) -> Bucket:
        try:
            return self._buckets[name]
        except KeyError:
            raise StoreError("NoSuchBucket", 404, "The specified bucket does not exist.", BucketName=name) from None

    def versioning(self, bucket: str) -> bool:
        with self._lock:
            return self._bucket(bucket).versioning

    def versioning_status(self, bucket: str) -> str | None:
        """'Enabled', 'Suspended', or None for a bucket that never had versioning."""
        with self._lock:
            b = self._bucket(bucket)
            return "Enabled" if b.versioning else "Suspended" if b.suspended else None

    def set_versioning(self, bucket: str, status: str) -> None:
        """PutBucketVersioning: 'Enabled' or 'Suspended'. Once enabled, a bucket never returns to unversioned."""
        with self._lock:
            b = self._bucket(bucket)
            if status == "Enabled":
                b.versioning, b.suspended = True, False
            elif b.versioning or b.suspended:
                b.versioning, b.suspended = False, True

    # -- objects ---------------------------------------------------------------------------------
    def put(self, bucket: str, key: str, data: bytes, *, forbid_overwrite: bool = False,
            etag: str | None = None, last_modified: int | None = None, **attrs: Any) -> StoredObject:
        """Store `data` under `key` (attrs are StoredObject fields); a new version when versioning is on.
        Tests may call this directly, e.g. with an old `last_modified` for If-Modified-Since cases."""
        attrs.setdefault("storage_class", self.default_storage_class)
        with self._lock:
            b = self._bucket(bucket)
            # OSS documents x-oss-forbid-overwrite as having no effect once versioning is enabled or suspended.
            if forbid_overwrite and not (b.versioning or b.suspended) and self._current(b, key) is not None:
                raise StoreError("FileAlreadyExists", 409,
                                 "The object you specified already exists and can not be overwritten.")
            version_id = uuid.uuid4().hex if b.versioning else "null" if b.suspended else None
            obj = StoredObject(key=key, data=data, etag=etag or self._etag(data),
                               last_modified=int(time.time()) if last_modified is None else last_modified,
                               version_id=version_id, crc64=crc64(data), **attrs)
            self._add_version(b, obj)
            return obj

    @staticmethod
    def _add_version(b: Bucket, obj: StoredObject) -> None:
        """A new current version: kept beside the others when versioning is enabled; replacing the "null" version
        (what was written before versioning, or while suspended) when suspended; the only one without."""
        if b.versioning:
            b.objects.setdefault(obj.key, []).append(obj)
        elif b.suspended:
            kept = [o for o in b.objects.get(obj.key, []) if o.version_id not in (None, "null")]
            b.objects[obj.key] = kept + [obj]
        else:
            b.objects[obj.key] = [obj]

    def update(self, bucket: str, key: str, **changes: Any) -> StoredObject:
        """Change the current version in place (no new version, no new ETag unless given): a test tool for
        'the object changed between two requests' cases."""
        with self._lock:
            b = self._bucket(bucket)
            obj = self._current(b, key)
            if obj is None:
                raise StoreError("NoSuchKey", 404, "The specified key does not exist.", Key=key)
            if "data" in changes:
                changes.setdefault("etag", self._etag(changes["data"]))
                changes.setdefault("crc64", crc64(changes["data"]))
            changes.setdefault("last_modified", int(time.time()))
            new = replace(obj, **changes)
            b.objects[key][-1] = new
            return new

    @staticmethod
    def _current(b: Bucket, key: str) -> StoredObject | None:
        versions = b.objects.get(key)
        if not versions or versions[-1].delete_marker:
            return None
        return versions[-1]

    def get(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        """The current version, or the named one (which may be a delete marker: the caller decides)."""
        with self._lock:
            b = self._bucket(bucket)
            if version_id is None:
                obj = self._current(b, key)
                if obj is None:
                    raise StoreError("NoSuchKey", 404, "The specified key does not exist.", Key=key)
                return obj
            for obj in b.objects.get(key, []):
                if obj.version_id == version_id or (version_id == "null" and obj.version_id is None):
                    return obj
            raise StoreError("NoSuchVersion", 404, "The specified version does not exist.", Key=key)

    def versions(self, bucket: str, key: str) -> list[StoredObject]:
        """Every version of `key`, delete markers included, oldest first."""
        with self._lock:
            return list(self._bucket(bucket).objects.get(key, []))

    def exists(self, bucket: str, key: str) -> bool:
        with self._lock:
            return self._current(self._bucket(bucket), key) is not None

    def delete(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject | None:
        """Delete; with versioning and no version id, add a delete marker (returned)."""
        with self._lock:
            b = self._bucket(bucket)
            versions = b.objects.get(key, [])
            if version_id is not None:
                b.objects[key] = [o for o in versions if o.version_id != version_id]
                if not b.objects[key]:
                    del b.objects[key]
                return None
            if b.versioning or b.suspended:
                marker = StoredObject(key=key, data=b"", etag="", last_modified=int(time.time()),
                                      version_id=uuid.uuid4().hex if b.versioning else "null", delete_marker=True)
                self._add_version(b, marker)
                return marker
            b.objects.pop(key, None)
            return None

    def list(self, bucket: str, *, prefix: str = "", marker: str = "", max_keys: int = 1000,
             delimiter: str = "") -> tuple[list[StoredObject], list[str], bool, str]:
        """(objects, common prefixes, truncated, next marker) in key order, after `marker`."""
        with self._lock:
            b = self._bucket(bucket)
            current = {k: o for k in b.objects if (o := self._current(b, k)) is not None}
        objects: list[StoredObject] = []
        prefixes: list[str] = []
        last = ""
        for key in sorted(current):
            if not key.startswith(prefix) or key <= marker:
                continue
            if delimiter and delimiter in key[len(prefix):]:
                common = key[:len(prefix) + key[len(prefix):].index(delimiter) + len(delimiter)]
                if common <= marker or (prefixes and prefixes[-1] == common):
                    continue
                entry: StoredObject | str = common
            else:
                entry = current[key]
            if len(objects) + len(prefixes) == max_keys:
                return objects, prefixes, True, last
            if isinstance(entry, str):
                prefixes.append(entry)
                last = entry
            else:
                objects.append(entry)
                last = key
        return objects, prefixes, False, ""

    def all_keys(self, bucket: str) -> list[str]:
        with self._lock:
            b = self._bucket(bucket)
            return sorted(k for k in b.objects if self._current(b, k) is not None)

    # -- multipart -------------------------------------------------------------------------------
    def initiate(self, bucket: str, key: str, **attrs: Any) -> Upload:
        with self._lock:
            upload = Upload(uuid.uuid4().hex.upper(), key, int(time.time()), dict(attrs))
            self._bucket(bucket).uploads[upload.upload_id] = upload
            return upload

    def _upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        upload = self._bucket(bucket).uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise StoreError("NoSuchUpload", 404,
                             "The specified upload does not exist. The upload ID may be invalid, "
                             "or the upload may have been aborted or completed.", UploadId=upload_id)
        return upload

    def upload_attrs(self, bucket: str, key: str, upload_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._upload(bucket, key, upload_id).attrs)

    def put_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> Part:
        with self._lock:
            part = Part(number, data, self._etag(data), int(time.time()))
            self._upload(bucket, key, upload_id).parts[number] = part  # same number again replaces it
            return part

    def complete(self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]], *,
                 min_part_size: int, forbid_overwrite: bool = False) -> StoredObject:
        """Assemble `parts` ((number, etag) as the client listed them). Every part but the last must be at
        least `min_part_size`: the vendors can only check that here, not at upload time."""
        with self._lock:
            upload = self._upload(bucket, key, upload_id)
            if not parts:
                raise StoreError("MalformedXML", 400, "The XML you provided was not well-formed or did not "
                                 "validate against our published schema.")
            numbers = [n for n, _ in parts]
            if numbers != sorted(set(numbers)):
                raise StoreError("InvalidPartOrder", 400, "The list of parts was not in ascending order. "
                                 "The parts list must be specified in order by part number.")
            chosen: list[Part] = []
            for number, etag in parts:
                part = upload.parts.get(number)
                if part is None or part.etag.lower() != etag.strip().strip('"').lower():
                    raise StoreError("InvalidPart", 400, "One or more of the specified parts could not be "
                                     "found or the specified entity tag might not have matched the part's "
                                     "entity tag.", PartNumber=str(number), ETag=etag)
                chosen.append(part)
            for part in chosen[:-1]:
                if len(part.data) < min_part_size:
                    raise StoreError("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum "
                                     "allowed object size.", PartNumber=str(part.number))
            obj = self.put(bucket, key, b"".join(p.data for p in chosen), forbid_overwrite=forbid_overwrite,
                           etag=self._composite_etag(p.etag for p in chosen), **upload.attrs)
            del self._bucket(bucket).uploads[upload_id]
            return obj

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            self._upload(bucket, key, upload_id)
            del self._bucket(bucket).uploads[upload_id]

    def uploads(self, bucket: str, *, prefix: str = "", key_marker: str = "",
                upload_id_marker: str = "") -> list[Upload]:
        """Uploads in (key, initiation) order after the markers."""
        with self._lock:
            found = [u for u in self._bucket(bucket).uploads.values() if u.key.startswith(prefix)]
        found.sort(key=lambda u: (u.key, u.initiated, u.upload_id))
        if key_marker:
            found = [u for u in found if u.key > key_marker
                     or (u.key == key_marker and upload_id_marker and u.upload_id > upload_id_marker)]
        return found
