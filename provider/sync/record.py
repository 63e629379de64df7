"""What a CopiedPrefix wrote: for each key (relative to the destination), a fingerprint of the ETag it wrote and of
the source ETag it copied. Destroy and prune delete only keys in the record whose destination still has the
written ETag; an update copies a key again only when its source's ETag is not the one recorded.

Kept in the state as one string, so it changes with the state, atomically, and no object beside the copies can be
lost or edited apart from it. Encoded to stay small at 100,000 keys (about 11 bytes a key, see the README):

    "ocr1:" + base64(zlib(varint count | keys, sorted and front-coded | written fingerprints | a bitmap of the
                          keys whose source fingerprint differs from the written one | those source fingerprints))

A fingerprint is the first 8 bytes of BLAKE2b over the ETag: two different ETags share one with odds of 1 in 2^64,
so a key is never taken for unchanged, nor an object someone else wrote for ours, by chance. Columns rather than
rows, so that zlib finds the keys' repetition and the bitmap's zeros; the fingerprints themselves do not compress.
"""
from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Iterator, Mapping, NamedTuple

MAGIC = "ocr1:"
FP = 8


def fingerprint(etag: str | None) -> bytes:
    return hashlib.blake2b((etag or "").encode("utf-8", "surrogatepass"), digest_size=FP).digest()


class Written(NamedTuple):
    """One key of the record: the fingerprint of the ETag written, and of the source ETag that was copied."""

    written: bytes
    source: bytes

    @classmethod
    def of(cls, written_etag: str | None, source_etag: str | None) -> "Written":
        return cls(fingerprint(written_etag), fingerprint(source_etag))

    def holds(self, etag: str | None) -> bool:
        """The destination still has what was written."""
        return fingerprint(etag) == self.written

    def copied(self, etag: str | None) -> bool:
        """The source still has what was copied."""
        return fingerprint(etag) == self.source


Record = dict[str, Written]


class RecordError(ValueError):
    pass


def encode(record: Mapping[str, Written]) -> str:
    keys = sorted(record)
    out = bytearray()
    _varint(out, len(keys))
    previous = b""
    for key in keys:
        raw = key.encode("utf-8", "surrogatepass")
        shared = _common_prefix(previous, raw)
        _varint(out, shared)
        _varint(out, len(raw) - shared)
        out += raw[shared:]
        previous = raw
    for key in keys:
        out += record[key].written
    bits = bytearray((len(keys) + 7) // 8)
    differing = []
    for i, key in enumerate(keys):
        w = record[key]
        if w.source != w.written:
            bits[i // 8] |= 1 << (i % 8)
            differing.append(w.source)
    out += bits
    for fp in differing:
        out += fp
    return MAGIC + base64.b64encode(zlib.compress(bytes(out), 9)).decode("ascii")


def decode(text: str | None) -> Record:
    if not text:
        return {}
    if not isinstance(text, str) or not text.startswith(MAGIC):
        raise RecordError(f"the record of written objects is not in a format this version reads "
                          f"(it starts {str(text)[:8]!r}, expected {MAGIC!r})")
    try:
        data = zlib.decompress(base64.b64decode(text[len(MAGIC):], validate=True))
        return _parse(data)
    except (ValueError, zlib.error, IndexError, UnicodeDecodeError) as e:
        raise RecordError(f"the record of written objects is damaged ({e})") from None


def _parse(data: bytes) -> Record:
    pos = 0
    count, pos = _read_varint(data, pos)
    keys, previous = [], b""
    for _ in range(count):
        shared, pos = _read_varint(data, pos)
        length, pos = _read_varint(data, pos)
        raw = previous[:shared] + data[pos:pos + length]
        pos += length
        keys.append(raw.decode("utf-8", "surrogatepass"))
        previous = raw
    written = []
    for _ in range(count):
        written.append(data[pos:pos + FP])
        pos += FP
    bits = bytes(data[pos:pos + (count + 7) // 8])
    pos += (count + 7) // 8
    record: Record = {}
    for i, key in enumerate(keys):
        source = written[i]
        if bits[i // 8] & (1 << (i % 8)):
            source = data[pos:pos + FP]
            pos += FP
        if len(written[i]) != FP or len(source) != FP:
            raise ValueError("truncated")
        record[key] = Written(written[i], source)
    if pos != len(data):
        raise ValueError(f"{len(data) - pos} bytes left over")
    return record


def keys_in(record: Mapping[str, Written]) -> Iterator[str]:
    return iter(sorted(record))


def _common_prefix(a: bytes, b: bytes) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search on slices: a few comparisons in C instead of a loop per byte
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _varint(out: bytearray, n: int) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        if byte < 0x80 and not shift:
            return byte, pos
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
