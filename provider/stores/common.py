"""Small pieces the HTTP stores share: dates, content headers, and stream adapters for requests."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Iterable, Iterator, Mapping

import requests
import urllib3

from ..http import redact_url
from .base import SourceInterrupted

CONTENT_HEADERS = ("Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires")
CHUNK = 1024 * 1024


def content_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in CONTENT_HEADERS if headers.get(name)}


def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def parse_user_date(text: str) -> datetime:
    """A date as a user writes it: ISO 8601 (`2026-10-21T07:28:00Z`) or RFC 1123 (`Wed, 21 Oct 2026 07:28:00
    GMT`); no zone means UTC. Raises ValueError, also for a date that has no UTC equivalent (year 1 east of UTC)."""
    if not isinstance(text, str) or "\x00" in text:
        raise ValueError(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            raise ValueError(text) from None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    try:
        when.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(text) from None
    return when


def list_page_size(profile) -> int | None:
    """A profile's `list_page_size`: objects per listing request (default: the server's, 1,000 on S3). Small
    pages make a listing of a few objects take several requests, as a large prefix does."""
    value = profile.get("list_page_size") if profile is not None else None
    if value is None:
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if size < 1:
        from .base import ConfigError
        raise ConfigError(f"profile {profile.name!r}: list_page_size must be a whole number of 1 or more, "
                          f"not {value!r}")
    return size


def parse_iso_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Whole seconds, as HEAD's Last-Modified has them, so the same object reads the same from every call
    parsed = parsed.replace(microsecond=0)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class StreamingBody:
    """An object's bytes as a file-like stream over a response; close() returns the connection to the pool."""

    def __init__(self, resp: requests.Response, context: str = ""):
        self._resp = resp
        self.headers = resp.headers
        self._context = context or f"GET {redact_url(resp.url or '')}"
        self._read = 0

    def read(self, n: int = -1) -> bytes:
        try:
            chunk = self._resp.raw.read(None if n < 0 else n, decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise SourceInterrupted(f"{self._context}: the object's bytes stopped after {self._read}: "
                                    f"{type(e).__name__}: {str(e)[:200]}") from None
        self._read += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self._resp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def request_body(body, size: int):
    """What the HTTP layer sends for an object's bytes: bytes as they are; an opener (a zero-argument callable that
    opens the source afresh) as a factory, so every retry, and a re-login after a 401, can send it again; a bare
    stream once."""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if callable(body):
        return lambda: SizedStream(body(), size)
    return SizedStream(body, size)


def open_body(body):
    """The readable stream behind a body given to a store's write (for stores that read it themselves)."""
    return body() if callable(body) else body


class SizedStream:
    """A body of known length for requests: with __len__ it sends Content-Length instead of chunked encoding,
    which S3 rejects. Fails loudly if the source yields more or fewer bytes than promised."""

    def __init__(self, body, size: int):
        self._body = body
        self._size = size

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close:
            close()

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        source: Iterable[bytes] = iter(lambda: self._body.read(CHUNK), b"") if hasattr(self._body, "read") \
            else self._body
        for chunk in source:
            sent += len(chunk)
            if sent > self._size:
                raise IOError(f"source produced more than the expected {self._size} bytes")
            yield chunk
        if sent != self._size:
            raise IOError(f"source ended after {sent} of {self._size} bytes")
