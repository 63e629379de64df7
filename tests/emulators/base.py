"""HTTP plumbing shared by the emulators: a threaded server on 127.0.0.1:0, request parsing (origin-form
and the absolute-form an HTTP proxy receives), the request log, fault switches and the pre-request hook.
The dialects (cos_server, oss_server) subclass `Handler` and implement `route` and `error`.
"""
from __future__ import annotations

import collections
import http.client
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from requests.structures import CaseInsensitiveDict

from .store import Store, StoreError


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str                        # the request target's path and query, as sent
    headers: Mapping[str, str]       # as sent; case-insensitive lookup, items() keep the original case
    host: str = ""
    body: bytes = b""


@dataclass
class Fault:
    """A canned answer. `copy_only` faults wait for the next copy (CopyObject / UploadPartCopy); with
    status 200 they answer 200 + an <Error> body, the "copy failed after the 200" case."""
    status: int = 503
    code: str = "SlowDown"
    message: str = "Please reduce your request rate."
    copy_only: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    target: str                      # path?query as sent (absolute-form reduced to this)
    raw_path: str                    # percent-encoded path
    raw_query: str
    host: str
    headers: Any                     # http.client.HTTPMessage: case-insensitive get/get_all
    body: bytes
    params: dict[str, str] = field(default_factory=dict)   # form-decoded; a bare 'uploads' maps to ''

    def header(self, name: str) -> str | None:
        values = self.headers.get_all(name)
        return None if values is None else ",".join(values)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops a keep-alive connection is normal (SDK sessions do it); anything else is a bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Emulator:
    """A running emulator: `endpoint`, `port`, `store`, `requests` (log), `faults`, `before_request`.

    Per request: record it, call `before_request`, authenticate, then serve the first queued fault (a
    copy-only fault at the head of the queue waits for a copy), else the operation. A request that fails
    authentication therefore does not consume a fault."""

    def __init__(self, handler: type[Handler], store: Store, credentials: Mapping[str, str],
                 tokens: Mapping[str, str] | None, region: str) -> None:
        self.store = store
        self.credentials = dict(credentials)           # AK -> SK
        self.tokens = dict(tokens or {})               # AK -> session token (temporary keys only)
        self.region = region
        self.requests: list[RecordedRequest] = []
        self.faults: collections.deque[Fault] = collections.deque()
        # Called with (emulator, RecordedRequest) before each request is handled, e.g. to change an
        # object between a client's HEAD and its copy.
        self.before_request: Callable[[Emulator, RecordedRequest], None] | None = None
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.emulator = self  # type: ignore[attr-defined]
        self.port: int = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{handler.__name__}:{self.port}", daemon=True)
        self._thread.start()

    def fail_next(self, count: int = 1, **fault: Any) -> None:
        """Answer the next `count` requests with Fault(**fault) (default 503 SlowDown)."""
        with self._lock:
            self.faults.extend(Fault(**fault) for _ in range(count))

    def fail_next_copy(self, code: str = "InternalError", message: str = "We encountered an internal error. "
                       "Please try again.", status: int = 200) -> None:
        """Make the next copy answer `status` (default 200) with an <Error> body, writing nothing."""
        with self._lock:
            self.faults.append(Fault(status=status, code=code, message=message, copy_only=True))

    def take_fault(self, is_copy: bool) -> Fault | None:
        with self._lock:
            if self.faults and (is_copy or not self.faults[0].copy_only):
                return self.faults.popleft()
            return None

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def replay(self, rec: RecordedRequest, **changes: str) -> tuple[int, bytes]:
        """Send a recorded request again, byte for byte except for `changes` (header name -> value): the way
        to tamper with a request an SDK signed."""
        headers = {k: v for k, v in rec.headers.items() if k.lower() not in {c.lower() for c in changes}}
        headers.update(changes)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(rec.method, rec.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders(rec.body or None)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def last(self, method: str) -> RecordedRequest:
        return [r for r in self.requests if r.method == method][-1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def iso_date(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def xml(root: str, children: list[tuple[str, Any]] | dict[str, Any]) -> bytes:
    """Render a flat-or-nested element list; values that are lists of pairs become child elements."""
    def render(items: list[tuple[str, Any]] | dict[str, Any]) -> str:
        pairs = items.items() if isinstance(items, dict) else items
        out = []
        for name, value in pairs:
            if value is None:
                continue
            inner = render(value) if isinstance(value, (list, dict)) else escape(str(value))
            out.append(f"<{name}>{inner}</{name}>")
        return "".join(out)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{render(children)}</{root}>'.encode()


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """(first, last) for a single 'bytes=a-b' / 'bytes=a-' / 'bytes=-n', clamped to the object; None when
    the syntax is not one of those (HTTP: ignore the header); RangeNotSatisfiable when it names no byte."""
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_s, dash, last_s = spec.strip().partition("-")
    if not dash or not (first_s.isdigit() or last_s.isdigit()) or (first_s and not first_s.isdigit()) \
            or (last_s and not last_s.isdigit()):
        return None
    if not first_s:
        n = int(last_s)
        if not n or not size:
            raise RangeNotSatisfiable(value)
        return max(size - n, 0), size - 1
    first = int(first_s)
    last = int(last_s) if last_s else size - 1
    if last_s and first > last:
        return None
    if first >= size:
        raise RangeNotSatisfiable(value)
    return first, min(last, size - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"    # keep-alive, as the SDKs' pooled sessions expect
    server_version = "emulator"
    sys_version = ""                 # send_response's Server header: just the vendor's server name
    request_id_header = "x-request-id"
    timeout = 30                     # close idle keep-alive connections, so no handler thread outlives a test run

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without this, Nagle waits on the client's delayed ACK (~45 ms
        # on every GET with a body).
        import socket
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        body = self._read_body()
        target = self.path
        host = self.headers.get("Host", "")
        if "://" in target.split("?", 1)[0]:
            # Absolute-form: the client used this emulator as its HTTP proxy, so virtual-hosted names
            # (bucket.oss-cn-hangzhou.aliyuncs.com) reach 127.0.0.1 unchanged in the Host header.
            parts = urlsplit(target)
            host = host or parts.netloc
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        raw_path, _, raw_query = target.partition("?")
        req = Request(self.command, target, raw_path or "/", raw_query, host, self.headers, body,
                      dict(parse_qsl(raw_query, keep_blank_values=True)))
        entry = RecordedRequest(self.command, target, CaseInsensitiveDict(self.headers.items()), host, body)
        self.emulator.record(entry)
        self.request_id = uuid.uuid4().hex[:24].upper()
        try:
            if self.emulator.before_request is not None:
                self.emulator.before_request(self.emulator, entry)
            self.route(req)
        except StoreError as e:
            self.error(req, e)
        except Exception as e:  # noqa: BLE001 - an emulator bug must reach the client as a 500, not a hang
            self.error(req, StoreError("InternalError", 500, f"emulator error: {type(e).__name__}: {e}"))

    # -- for the dialects -------------------------------------------------------------------------
    def route(self, req: Request) -> None:
        raise NotImplementedError

    def error(self, req: Request, err: StoreError, status: int | None = None,
              headers: dict[str, str] | None = None) -> None:
        """Render `err` in the dialect's error format (`status` overrides err.status, e.g. 200 + <Error>)."""
        raise NotImplementedError

    def send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None, *,
             head: bool = False, length: int | None = None) -> None:
        """Write a response. `head`: headers only, with Content-Length `length` (the object's size)."""
        self.send_response(status)
        all_headers = {self.request_id_header: self.request_id}  # send_response already adds Date and Server
        all_headers.update(headers or {})
        if status not in (204, 304):
            all_headers.setdefault("Content-Length", str(len(body) if length is None else length))
        for name, value in all_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body and not head and status not in (204, 304):
            self.wfile.write(body)

