"""Local files as a store: `file:///absolute/path`.

The ETag is the MD5 hex of the content, as S3 gives for a single-part object, so copies between a folder and a
bucket compare. Hashing a large file is slow, so the MD5 is cached in an extended attribute keyed by size, mtime
and inode (a preview then does not rehash). Metadata and content type live in another extended attribute where
the filesystem has them. Writes are atomic: a temp file in the same folder, then a rename (or a hard link when the
destination must not exist, which fails if it does).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from datetime import datetime, timezone
from typing import BinaryIO, Callable, Iterator

from .. import profiles
from ..http import retry_interrupted
from ..urls import ObjectURL
from .base import (BadRequest, Capabilities, Limits, NotFound, ObjectInfo, Part, PreconditionFailed,
                   SourceConditions, Upload, WriteOptions, refuse_unsupported, require_etag, resolved_write)
from .common import CHUNK, open_body

_MD5_ATTR = "user.objectcopy.md5"
_META_ATTR = "user.objectcopy.meta"
_TMP_PREFIX = ".objectcopy-tmp-"
# Linux: a name up to NAME_MAX (255) bytes, a path up to PATH_MAX (4096) bytes with its terminating NUL.
LIMITS = Limits(max_single_copy=1 << 62, min_part=1, max_part=1 << 62, max_parts=10_000, max_key=4095,
                max_segment=255)


def _getxattr(path: str, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name)
    except (OSError, AttributeError):
        return None


def _setxattr(target, name: str, value: bytes) -> None:
    try:
        os.setxattr(target, name, value)
    except (OSError, AttributeError):
        pass  # no xattrs here (tmpfs without user xattrs, other OSes): the MD5 is recomputed next time


def _stat_key(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


class LocalStore:
    # Conditions are checked against the file itself when it is opened, and again after the copy.
    # if-none-match: a hard link, which fails when the destination exists. Parts (streamed downloads) are written
    # at their offsets into one temp file, renamed into place when complete.
    capabilities = Capabilities(multipart_upload=True)
    limits = LIMITS

    def __init__(self, profile: profiles.Profile):
        self.profile = profile

    def identity(self) -> tuple:
        return ("file",)

    def location(self, url: ObjectURL) -> tuple:
        return ("file", os.path.realpath(url.key))

    @staticmethod
    def _path(url: ObjectURL) -> str:
        return url.key

    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        if version_id:
            raise BadRequest(f"{url}: local files have no versions (version id {version_id!r})")
        path = self._path(url)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise NotFound(f"{url}: no such file", status=404) from None
        except NotADirectoryError:
            raise NotFound(f"{url}: a parent of this path is not a directory", status=404) from None
        if not os.path.isfile(path):
            raise BadRequest(f"{url} is not a regular file")
        return self._info(url, path, st)

    def _info(self, url: ObjectURL, path: str, st: os.stat_result) -> ObjectInfo:
        meta = {}
        raw = _getxattr(path, _META_ATTR)
        if raw:
            try:
                meta = json.loads(raw)
            except ValueError:
                meta = {}
        return ObjectInfo(url=url, size=st.st_size, etag=self._md5(path, st),
                          # HTTP dates have whole seconds; conditions compare against what a user can write
                          last_modified=datetime.fromtimestamp(int(st.st_mtime), timezone.utc),
                          content_type=meta.get("content_type") or "application/octet-stream",
                          metadata=meta.get("metadata", {}), headers=meta.get("headers", {}))

    def _md5(self, path: str, st: os.stat_result) -> str:
        cached = _getxattr(path, _MD5_ATTR)
        key = _stat_key(st)
        if cached:
            stored_key, _, digest = cached.decode().rpartition(":")
            if stored_key == key:
                return digest
        h = hashlib.md5()
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        digest = h.hexdigest()
        if _stat_key(os.stat(path)) == key:  # unchanged while hashing
            _setxattr(path, _MD5_ATTR, f"{key}:{digest}".encode())
        return digest

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        base = self._path(prefix)
        root = base if base.endswith("/") else os.path.dirname(base) + "/"
        if not os.path.isdir(root):
            return
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if name.startswith(_TMP_PREFIX) or not path.startswith(base) or not os.path.isfile(path):
                    continue
                yield self._info(ObjectURL("file", "", path), path, os.stat(path))

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        with self.open(src.url, conditions=conditions) as f:
            info = self.write(dst, f, src.size, options=options, source=src)
        # The source must still be what was HEADed, or the copy is not what was planned.
        after = self.head(src.url)
        if after.etag != src.etag:
            self.delete(dst, if_match=info.etag)
            raise PreconditionFailed(f"{src.url} changed during the copy (ETag {src.etag} -> {after.etag})")
        return info

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> BinaryIO:
        info = self.head(url, version_id=version_id)
        conditions.check(info)
        f = open(self._path(url), "rb")
        if byte_range is None:
            return f
        f.seek(byte_range[0])
        data = f.read(byte_range[1] - byte_range[0] + 1)
        f.close()
        return io.BytesIO(data)

    def _temp_file(self, url: ObjectURL) -> str:
        """A temp file beside the destination, so the final rename is atomic."""
        path = self._path(url)
        folder = os.path.dirname(path) or "/"
        try:
            os.makedirs(folder, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise BadRequest(f"{url}: a parent of this path is a file, not a directory") from None
        if os.path.isdir(path):
            raise BadRequest(f"{url} is a directory; name a file")
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=folder)
        os.close(fd)
        return tmp

    def _finish(self, tmp: str, url: ObjectURL, options: WriteOptions, source: ObjectInfo | None,
                md5: str | None) -> ObjectInfo:
        """Metadata, then an atomic rename (or a hard link, which refuses an existing destination)."""
        path = self._path(url)
        metadata, content_type, headers = resolved_write(options, source)
        _setxattr(tmp, _META_ATTR, json.dumps({"content_type": content_type, "metadata": metadata,
                                               "headers": headers}).encode())
        os.chmod(tmp, 0o644)
        if md5:
            _setxattr(tmp, _MD5_ATTR, f"{_stat_key(os.stat(tmp))}:{md5}".encode())
        if options.overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise PreconditionFailed(f"{url} already exists and overwrite is off", status=412) from None
            os.unlink(tmp)
        return self._info(url, path, os.stat(path))

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        if callable(body):  # an opener: a source that breaks off mid-body is read again from the start
            return retry_interrupted(lambda: self._write(url, body, size, options=options, source=source))
        return self._write(url, body, size, options=options, source=source)

    def _write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
               source: ObjectInfo | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        tmp = self._temp_file(url)
        stream = None if isinstance(body, (bytes, bytearray)) else open_body(body)
        try:
            h = hashlib.md5()
            written = 0
            with open(tmp, "wb") as out:
                chunks = [body] if stream is None else (
                    iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else stream)
                for chunk in chunks:
                    h.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            if written != size:
                raise IOError(f"{url}: expected {size} bytes, the source gave {written}")
            return self._finish(tmp, url, options, source, h.hexdigest())
        finally:
            if hasattr(stream, "close"):
                stream.close()
            if os.path.exists(tmp):
                os.unlink(tmp)

    # --- parts: a streamed download written at offsets (MultipartStore) ------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        refuse_unsupported(options, self.capabilities, dst)
        return Upload(dst, self._temp_file(dst))

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        if callable(body):
            return retry_interrupted(lambda: self._upload_part(upload, part, body))
        return self._upload_part(upload, part, body)

    def _upload_part(self, upload: Upload, part: Part, body) -> str:
        h = hashlib.md5()
        written = 0
        stream = open_body(body)
        with open(upload.upload_id, "r+b") as out, stream:
            out.seek(part.start)
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                h.update(chunk)
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written != part.size:
            raise IOError(f"{upload.url}: part {part.number} got {written} of {part.size} bytes")
        return h.hexdigest()

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        return self._finish(upload.upload_id, upload.url, options, source, None)

    def abort_upload(self, upload: Upload) -> None:
        if os.path.exists(upload.upload_id):
            os.unlink(upload.upload_id)

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        return iter(())

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            require_etag(self, url, if_match, version_id)
        try:
            os.unlink(self._path(url))
        except FileNotFoundError:
            pass  # deleting what is gone succeeds, as on S3


def from_profile(profile: profiles.Profile) -> LocalStore:
    return LocalStore(profile)
