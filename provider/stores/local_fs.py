"""What the local store does to the file system, apart from the Store protocol: OSErrors as the project's errors
(one line naming the URL, never a traceback and never our hidden temp file), temp files beside a destination with
the folders made for them, and a reader that notices a file changing size while it is copied.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import threading
from contextlib import contextmanager
from typing import Iterator

from ..urls import ObjectURL
from .base import AccessDenied, BadRequest, NotFound, ObjectCopyError, PreconditionFailed, StoreError

# errno -> (error type, what it means to a user). The rest: StoreError with the system's own words.
_OS_ERRORS: dict[int, tuple[type[StoreError], str]] = {
    errno.ENOSPC: (StoreError, "no space left on the device"),
    errno.EDQUOT: (StoreError, "disk quota exceeded"),
    errno.EFBIG: (StoreError, "file too large for this file system"),
    errno.EIO: (StoreError, "input/output error from the device"),
    errno.EROFS: (AccessDenied, "read-only file system"),
    errno.EACCES: (AccessDenied, "permission denied"),
    errno.EPERM: (AccessDenied, "operation not permitted"),
    errno.ENAMETOOLONG: (BadRequest, "a name in the path, or the path, is too long for this file system"),
    errno.ENOTDIR: (BadRequest, "a parent of this path is a file, not a directory"),
    errno.EISDIR: (BadRequest, "it is a directory, not a file"),
    errno.ELOOP: (BadRequest, "too many levels of symbolic links"),
    errno.E2BIG: (BadRequest, "too large for this file system"),
    errno.ENOENT: (NotFound, "no such file or directory"),
}


def os_error(url: ObjectURL, doing: str, e: OSError) -> StoreError:
    """An OSError on a local file as one line naming the URL, the action and the reason (OSError's own text names
    the path it failed on, which may be a hidden temp file, so it is not used)."""
    kind, reason = _OS_ERRORS.get(e.errno, (StoreError, (e.strerror or type(e).__name__).lower()))
    code = errno.errorcode.get(e.errno or 0)
    return kind(f"{url}: cannot {doing}: {reason}" + (f" ({code})" if code else ""), code=code)


@contextmanager
def os_errors(url: ObjectURL, doing: str) -> Iterator[None]:
    try:
        yield
    except OSError as e:
        if isinstance(e, ObjectCopyError):  # SourceInterrupted is an OSError too: a store's source broke off
            raise
        raise os_error(url, doing, e) from None


# --- temp files -----------------------------------------------------------------------------------------------------
TEMP_PREFIX = ".objectcopy-tmp-"
# Exactly the names this package makes: 16 hex digits, or the 8 characters of tempfile.mkstemp that versions before
# 0.9 used. A user's file that merely starts with the prefix is never hidden, listed as debris or removed.
TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"(?:[0-9a-f]{16}|[a-z0-9_]{8})")

_folders_made: dict[str, list[str]] = {}  # temp file -> the folders made for it, removed with it
_abandoned: set[str] = set()              # temp files aborted from another thread: their writers stop
_lock = threading.Lock()


def is_temp_name(name: str) -> bool:
    return TEMP_NAME.fullmatch(name) is not None


def new_temp(url: ObjectURL) -> str:
    """A temp file beside the destination (so the final rename is atomic), making the folders it needs. What it
    made is removed by discard_temp, unless keep_temp says the file was renamed into place."""
    path = url.key
    folder = os.path.dirname(path) or "/"
    existing, missing = _missing_folders(folder)
    _check_lengths(url, path, existing)
    for _ in range(3):
        made = _make_folders(url, missing)
        try:
            _refuse_folder(url, path)
            tmp = _create(folder)
        except FileNotFoundError:
            # A folder made for a concurrent copy that failed was removed under us: make it again.
            _remove_folders(made)
            continue
        except BaseException:
            _remove_folders(made)
            raise
        with _lock:
            _folders_made[tmp] = made
        return tmp
    raise StoreError(f"{url}: cannot write: its folder keeps disappearing")


def keep_temp(tmp: str) -> None:
    """The temp file was renamed into place: the folders made for it stay."""
    with _lock:
        _folders_made.pop(tmp, None)
        _abandoned.discard(tmp)


def discard_temp(tmp: str) -> None:
    """Remove the temp file and the folders made for it (those still empty: a concurrent copy may use one)."""
    with _lock:
        made = _folders_made.pop(tmp, [])
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    _remove_folders(made)


def abandon_temp(tmp: str) -> None:
    """Discard a temp file another thread is writing; that writer stops at its next chunk (check_abandoned)."""
    with _lock:
        if tmp in _folders_made:
            _abandoned.add(tmp)
    discard_temp(tmp)


def check_abandoned(tmp: str, url: ObjectURL) -> None:
    if tmp in _abandoned:
        with _lock:
            _abandoned.discard(tmp)
        raise StoreError(f"{url}: the copy was stopped (this process is being stopped); nothing was written")


def _create(folder: str) -> str:
    while True:
        tmp = os.path.join(folder, TEMP_PREFIX + secrets.token_hex(8))
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
            return tmp
        except FileExistsError:
            continue


def _missing_folders(folder: str) -> tuple[str, list[str]]:
    """(the nearest folder that exists, the folders below it to make, top down)."""
    missing = []
    while folder != "/" and not os.path.isdir(folder):  # isdir is False for a path too long, too
        missing.append(folder)
        folder = os.path.dirname(folder)
    return folder, missing[::-1]


def _check_lengths(url: ObjectURL, path: str, existing: str) -> None:
    """Refuse, before anything is made, a name or a path longer than the file system takes (else a deep path makes
    hundreds of folders before the kernel says no)."""
    try:
        name_max, path_max = os.pathconf(existing, "PC_NAME_MAX"), os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError):
        return  # no limits reported: the OS decides, and a failure removes what was made
    for name in path[len(existing):].split("/"):
        if len(os.fsencode(name)) > name_max:
            shown = name if len(name) <= 40 else name[:40] + "…"
            raise BadRequest(f"{url}: cannot write: the name {shown!r} is {len(os.fsencode(name))} bytes; this file "
                             f"system takes at most {name_max} (ENAMETOOLONG)", code="ENAMETOOLONG")
    if len(os.fsencode(path)) >= path_max:
        raise BadRequest(f"{url}: cannot write: the path is {len(os.fsencode(path))} bytes; this file system takes "
                         f"at most {path_max - 1} (ENAMETOOLONG)", code="ENAMETOOLONG")


def _make_folders(url: ObjectURL, missing: list[str]) -> list[str]:
    made: list[str] = []
    try:
        for folder in missing:
            try:
                os.mkdir(folder)
                made.append(folder)
            except FileExistsError:
                if not os.path.isdir(folder):
                    raise BadRequest(f"{url}: cannot write: a parent of this path is a file, not a directory",
                                     code="ENOTDIR") from None
    except BaseException:
        _remove_folders(made)
        raise
    return made


def _remove_folders(made: list[str]) -> None:
    for folder in reversed(made):
        try:
            os.rmdir(folder)
        except OSError:
            return  # not empty: another copy writes there


def _refuse_folder(url: ObjectURL, path: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise BadRequest(f"{url}: cannot write: it is a directory, not a file; name a file", code="EISDIR")


# --- reading --------------------------------------------------------------------------------------------------------
class SizedReader:
    """A local file's bytes, which must be the `size` bytes it had when it was HEADed: a file that grows or shrinks
    while it is copied fails the copy, naming it, instead of being copied torn. `on_read(n)` sees every chunk."""

    def __init__(self, f, url: ObjectURL, size: int):
        self._f, self.url, self.size, self._left = f, url, size, size
        self.on_read = None

    def read(self, n: int = -1) -> bytes:
        want = self._left if n is None or n < 0 else min(n, self._left)
        with os_errors(self.url, "read"):
            chunk = self._f.read(want) if want else b""
            if not chunk and self._left and want:
                raise PreconditionFailed(f"{self.url} changed while it was copied: it ended after "
                                         f"{self.size - self._left} of the {self.size} bytes it had when the copy "
                                         "started; nothing was written")
            if not want and n != 0 and self._f.read(1):
                raise PreconditionFailed(f"{self.url} changed while it was copied: it grew past the {self.size} "
                                         "bytes it had when the copy started; nothing was written")
        self._left -= len(chunk)
        if chunk and self.on_read:
            self.on_read(len(chunk))
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1 << 20):
            yield chunk

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
