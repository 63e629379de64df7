"""Local files as a store: `file:///absolute/path`.

The ETag is the MD5 hex of the content, as S3 gives for a single-part object, so copies between a folder and a
bucket compare. Hashing a large file is slow, so the MD5 is cached in an extended attribute keyed by size, mtime
and inode (a preview then does not rehash). Metadata and content type live in another extended attribute where
the filesystem has them. Writes are atomic: a temp file in the same folder, then a rename (or a hard link when the
destination must not exist, which fails if it does). Every OSError is one line naming the URL (local_fs.py).
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
from datetime import datetime, timezone
from typing import BinaryIO, Callable, Iterator

from .. import profiles
from ..http import retry_interrupted
from ..urls import ObjectURL
from .base import (BadRequest, Capabilities, NotFound, ObjectInfo, Part, PreconditionFailed, SourceConditions,
                   StoreError, Upload, WriteOptions, refuse_unsupported, require_etag, resolved_write, same_etag,
                   upload_closed, upload_opened)
from .common import CHUNK, open_body
from .local_fs import (SizedReader, abandon_temp, check_abandoned, discard_temp, is_temp_name, keep_temp, new_temp,
                       os_error, os_errors)
from .local_type import LIMITS

_MD5_ATTR = "user.objectcopy.md5"
_META_ATTR = "user.objectcopy.meta"


def _getxattr(path: str, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name)
    except (OSError, AttributeError):
        return None


def _setxattr(target, name: str, value: bytes, *, required: bool = False) -> None:
    """`required`: a file system without user xattrs is let be (metadata is kept where it can be, as documented),
    any other failure (no space for them, a value too large) is raised, rather than losing the metadata silently."""
    try:
        os.setxattr(target, name, value)
    except AttributeError:
        pass  # no xattrs on this OS
    except OSError as e:
        if required and e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        # else no user xattrs here (tmpfs before Linux 6.6): the MD5 is recomputed next time


def _stat_key(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


class RangeFile:
    """A file read from where it stands for `length` bytes and no further: a range of a local file, streamed as a
    ranged GET is, so a copy in parts holds a chunk of each part in memory, not the part."""

    def __init__(self, f: BinaryIO, length: int):
        self._f, self._left = f, length

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        chunk = self._f.read(self._left if n is None or n < 0 else min(n, self._left))
        self._left -= len(chunk)
        return chunk

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalStore:
    # Conditions are checked against the file itself when it is opened, and again after the copy.
    # if-none-match: a hard link, which fails when the destination exists. Parts (streamed downloads) are written
    # at their offsets into one temp file, renamed into place when complete.
    # A file is checked when it is opened, not while it is read: no pin holds on its own.
    capabilities = Capabilities(multipart_upload=True, list_uploads=True, pin_enforced=frozenset())
    limits = LIMITS

    def __init__(self, profile: profiles.Profile):
        self.profile = profile

    def identity(self) -> tuple:
        return ("file",)

    def location(self, url: ObjectURL) -> tuple:
        path = os.path.realpath(url.key)
        # realpath drops the '/' that makes a folder prefix: put back, so a folder is located as other stores' are
        return ("file", path + "/" if url.is_prefix and not path.endswith("/") else path)

    @staticmethod
    def _path(url: ObjectURL) -> str:
        return url.key

    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        if version_id:
            raise BadRequest(f"{url}: local files have no versions (version id {version_id!r})")
        path = self._path(url)
        with os_errors(url, "read"):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                raise NotFound(f"{url}: no such file", status=404) from None
            except NotADirectoryError:
                raise NotFound(f"{url}: a parent of this path is not a directory", status=404) from None
            if os.path.isdir(path):
                raise BadRequest(f"{url} is a directory, not a file")
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
        st, etag = self._md5(url, path, st)
        return ObjectInfo(url=url, size=st.st_size, etag=etag,
                          # HTTP dates have whole seconds; conditions compare against what a user can write
                          last_modified=datetime.fromtimestamp(int(st.st_mtime), timezone.utc),
                          content_type=meta.get("content_type") or "application/octet-stream",
                          metadata=meta.get("metadata", {}), headers=meta.get("headers", {}))

    def _md5(self, url: ObjectURL, path: str, st: os.stat_result) -> tuple[os.stat_result, str]:
        """(the stat, the MD5) of one state of the file: a file written to while it is hashed is hashed again, so
        the size and the ETag a HEAD reports always belong together."""
        for _ in range(3):
            cached = _getxattr(path, _MD5_ATTR)
            key = _stat_key(st)
            if cached:
                stored_key, _, digest = cached.decode().rpartition(":")
                if stored_key == key:
                    return st, digest
            h = hashlib.md5()
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
            after = os.stat(path)  # by path: a file renamed over this one counts as a change
            if _stat_key(after) == key:  # unchanged while hashing
                _setxattr(path, _MD5_ATTR, f"{key}:{h.hexdigest()}".encode())
                return st, h.hexdigest()
            st = after
        raise PreconditionFailed(f"{url} kept changing while it was read for its MD5; copy it once it is complete")

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        """Every file under the prefix. A file that cannot be read is listed without an ETag (copying it then says
        why); a folder that cannot be read fails the listing, once the rest is listed."""
        base = self._path(prefix)
        for path in self._walk(prefix, lambda name, path: not is_temp_name(name) and path.startswith(base)):
            url = ObjectURL("file", "", path)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue  # removed since its folder was read
            except OSError as e:
                raise os_error(url, "read", e) from None
            try:
                info = self._info(url, path, st)
            except OSError:
                info = ObjectInfo(url=url, size=st.st_size, etag=None,
                                  last_modified=datetime.fromtimestamp(int(st.st_mtime), timezone.utc))
            yield info

    def _walk(self, prefix: ObjectURL, wanted: Callable[[str, str], bool]) -> Iterator[str]:
        """The regular files under the prefix's folder that are `wanted(name, path)`; then, if some folder could not
        be read, an error naming it."""
        base = self._path(prefix)
        root = base if base.endswith("/") else os.path.dirname(base) + "/"
        if not os.path.isdir(root):
            return
        unreadable: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if wanted(name, path) and os.path.isfile(path):
                    yield path
        if unreadable:
            first = unreadable[0]
            err = os_error(ObjectURL("file", "", first.filename.rstrip("/") + "/"), "list", first)
            if len(unreadable) > 1:
                err.args = (f"{err} (and {len(unreadable) - 1} more folders)",)
            raise err

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        with self.open(src.url, conditions=conditions) as f:
            if progress is not None and src.size:
                read = [0]

                def advance(n: int) -> None:
                    read[0] += n
                    progress(100.0 * read[0] / src.size)
                f.on_read = advance
            # What was read must be what was HEADed (its MD5 is the ETag), or the copy is not what was planned:
            # checked before the rename, so a source changed mid-copy leaves the destination as it was.
            return self._write(dst, f, src.size, options=options, source=src, expect=src)

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> BinaryIO:
        info = self.head(url, version_id=version_id)
        conditions.check(info)
        with os_errors(url, "read"):
            f = open(self._path(url), "rb")
        if byte_range is None:
            return SizedReader(f, url, info.size)
        f.seek(byte_range[0])
        return RangeFile(f, byte_range[1] - byte_range[0] + 1)

    def _finish(self, tmp: str, url: ObjectURL, options: WriteOptions, source: ObjectInfo | None,
                md5: str | None) -> ObjectInfo:
        """Metadata, then an atomic rename (or a hard link, which refuses an existing destination)."""
        path = self._path(url)
        metadata, content_type, headers = resolved_write(options, source)
        meta = json.dumps({"content_type": content_type, "metadata": metadata, "headers": headers}).encode()
        with os_errors(url, f"store its metadata ({len(meta)} bytes) in an extended attribute"):
            _setxattr(tmp, _META_ATTR, meta, required=True)
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
        keep_temp(tmp)
        return self._info(url, path, os.stat(path))

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        if callable(body):  # an opener: a source that breaks off mid-body is read again from the start
            return retry_interrupted(lambda: self._write(url, body, size, options=options, source=source))
        return self._write(url, body, size, options=options, source=source)

    def _write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
               source: ObjectInfo | None = None, expect: ObjectInfo | None = None) -> ObjectInfo:
        """Write through a temp file, removed (with the folders made for it) on any failure or interrupt.
        `expect`: a local source whose ETag (its MD5) what was read must have."""
        refuse_unsupported(options, self.capabilities, url)
        stream = None if isinstance(body, (bytes, bytearray)) else open_body(body)
        try:
            with os_errors(url, "write"):
                tmp = new_temp(url)
            upload = Upload(url, tmp)
            upload_opened(self, upload)  # abort_in_flight removes it if this process's copies are abandoned
            try:
                with os_errors(url, "write"):
                    digest, written = self._fill(tmp, url, [body] if stream is None else _chunks(stream))
                if written != size:
                    raise StoreError(f"{url}: cannot write: expected {size} bytes, the source gave {written}; "
                                     "nothing was written")
                if expect is not None and expect.etag and not same_etag(digest, expect.etag):
                    raise PreconditionFailed(f"{expect.url} changed while it was copied: ETag {expect.etag} when "
                                             f"the copy started, {digest} as read; nothing was written")
                with os_errors(url, "write"):
                    return self._finish(tmp, url, options, source, digest)
            except BaseException:
                discard_temp(tmp)
                raise
            finally:
                upload_closed(upload)
        finally:
            if hasattr(stream, "close"):
                stream.close()

    @staticmethod
    def _fill(tmp: str, url: ObjectURL, chunks, offset: int | None = None) -> tuple[str, int]:
        """Write the chunks into the temp file (at `offset` for a part); (their MD5, their length), once on disk."""
        h = hashlib.md5()
        written = 0
        with open(tmp, "wb" if offset is None else "r+b") as out:
            if offset is not None:
                out.seek(offset)
            for chunk in chunks:
                check_abandoned(tmp, url)
                h.update(chunk)
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        return h.hexdigest(), written

    # --- parts: a streamed download written at offsets (Multipart) ----------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        refuse_unsupported(options, self.capabilities, dst)
        with os_errors(dst, "write"):
            return Upload(dst, new_temp(dst))

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        if callable(body):
            return retry_interrupted(lambda: self._upload_part(upload, part, body))
        return self._upload_part(upload, part, body)

    def _upload_part(self, upload: Upload, part: Part, body) -> str:
        with open_body(body) as stream, os_errors(upload.url, "write"):
            digest, written = self._fill(upload.upload_id, upload.url, _chunks(stream), offset=part.start)
        if written != part.size:
            raise StoreError(f"{upload.url}: cannot write part {part.number}: got {written} of {part.size} bytes")
        return digest

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        with os_errors(upload.url, "write"):
            return self._finish(upload.upload_id, upload.url, options, source, None)

    def abort_upload(self, upload: Upload) -> None:
        with os_errors(upload.url, "remove"):
            abandon_temp(upload.upload_id)

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        """Our temp files under the prefix's folder: what a copy killed mid-way (SIGKILL, a lost machine) left.
        Each is named for itself; `initiated` is when it was last written, so a copy in progress looks recent."""
        for path in self._walk(prefix, lambda name, _path: is_temp_name(name)):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            yield Upload(ObjectURL("file", "", path), path,
                         initiated=datetime.fromtimestamp(st.st_mtime, timezone.utc))

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            require_etag(self, url, if_match, version_id)
        try:
            with os_errors(url, "remove"):
                os.unlink(self._path(url))
        except NotFound:
            pass  # deleting what is gone succeeds, as on S3


def _chunks(stream) -> Iterator[bytes]:
    return iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else iter(stream)


def from_profile(profile: profiles.Profile) -> LocalStore:
    return LocalStore(profile)
