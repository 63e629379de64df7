"""The source's bytes on their way through this process (streamed copies): read afresh for each attempt, hashed
and counted as they pass, so what arrived can be checked, and reported as they are read."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from types import TracebackType

from ..errors import StoreError
from ..stores.base import ObjectInfo, Readable, SourceConditions, Store

# progress(bytes done, bytes total, parts done, parts total)
Progress = Callable[[int, int, int, int], None]


class ReadProgress:
    """A Progress fed by the source's bytes as they are read (bytes a failed attempt read count once), with the
    parts counted as they complete: a live figure for streamed copies, whose parts are large."""

    def __init__(self, progress: Progress, total: int, parts_total: int):
        self.progress, self.total, self.parts_total = progress, total, parts_total
        self.bytes = self.parts_done = 0
        self._lock = threading.Lock()

    def read(self, n: int) -> None:
        with self._lock:
            self.bytes += n
            self.progress(min(self.bytes, self.total), self.total, self.parts_done, self.parts_total)

    def parts(self, _done: int, _total: int, parts_done: int, _parts_total: int) -> None:
        with self._lock:
            self.parts_done = parts_done
            self.progress(min(self.bytes, self.total), self.total, parts_done, self.parts_total)


class HashingReader:
    """Source bytes passing through on their way to a store, with their MD5 and count, to check what arrived."""

    def __init__(self, stream: Readable, on_read: Callable[[int], None] | None = None):
        self._stream = stream
        self.md5 = hashlib.md5()
        self.length = 0
        self.on_read = on_read

    def read(self, n: int = -1) -> bytes:
        chunk = self._stream.read(n)
        self.md5.update(chunk)
        self.length += len(chunk)
        if chunk and self.on_read:
            self.on_read(len(chunk))
        return chunk

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> HashingReader:  # noqa: PYI034 (typing.Self is 3.11)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


class Opener:
    """Opens the source (or a range of it) afresh for each attempt at sending it; the last reader holds what
    was actually sent."""

    def __init__(self, store: Store, src: ObjectInfo, pinned: SourceConditions,
                 byte_range: tuple[int, int] | None = None, reads: ReadProgress | None = None):
        self.store, self.src, self.pinned, self.byte_range, self.reads = store, src, pinned, byte_range, reads
        self.last: HashingReader | None = None

    def __call__(self) -> HashingReader:
        if self.last is not None and self.reads:  # read again from the start: the last attempt's bytes are undone
            self.reads.read(-self.last.length)
        self.last = HashingReader(self.store.open(self.src.url, conditions=self.pinned,
                                                  version_id=self.src.version_id, byte_range=self.byte_range),
                                  self.reads.read if self.reads else None)
        return self.last

    def sent(self) -> HashingReader:
        """The reader of the last attempt: what the store took."""
        if self.last is None:
            raise StoreError(f"the destination's store took none of {self.src.url}'s bytes")  # a store's bug
        return self.last
