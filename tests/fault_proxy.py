"""A fault-injecting HTTP proxy on loopback, put between the provider and a real server or an emulator (point a
profile's endpoint, a Swift storage_url or a service's instance URL at `proxy.url`).

    proxy = FaultProxy("http://127.0.0.1:19000", label="s3-copy")
    proxy.slow_down("PUT", "/bucket/key", times=2)           # 503 SlowDown (S3 XML) to the next 2 matching requests
    proxy.too_many("POST", "/snapshots", retry_after=1)      # 429 with Retry-After: 1
    proxy.error("GET", "/workRequests/", status=500)          # 500, not forwarded
    proxy.reset("PUT", "partNumber=2", when="before")         # the connection closes, unanswered, not forwarded
    proxy.reset("POST", "/copyObject", when="after")          # forwarded (the server acts), the answer is lost
    proxy.reset("GET", "/key", when="mid-body")               # half the answer's body, then a reset
    proxy.reset("PUT", "/key", when="upload")                 # half the request's body read, then a reset
    proxy.truncate("GET", "/key")                             # Content-Length says more than is sent, then FIN
    proxy.delay("HEAD", "/key", seconds=0.2)
    proxy.before("PUT", "partNumber=2", callback)             # runs callback(seen) before forwarding
    proxy.requests                                            # [Seen(method, path, query, headers, time, fault)]
    proxy.faults                                              # faults injected so far (callbacks not counted)
    proxy.close()

A rule matches on method (None: any), a substring of the path and, optionally, a substring of the query, and acts
on the first `times` requests it matches. Callbacks and delays run and the request goes on; the first matching
fault rule decides the request's fate. The Host header is forwarded as the client sent it, so SigV4 and OCI
signatures still verify upstream. Every loop is bounded (bodies by their length, connections by a socket timeout),
every thread is a daemon, and close() shuts the listening socket and every open connection.
"""
from __future__ import annotations

import http.client
import http.server
import socket
import struct
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}
UPSTREAM_TIMEOUT = 60.0   # seconds for the upstream to answer one request
IDLE_TIMEOUT = 15.0       # a kept-alive client connection idle this long is closed
MAX_DELAY = 30.0
MAX_CHUNKS = 1_000_000    # a chunked request body is read in at most this many chunks

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>")
INTERNAL = b"fault-proxy: injected internal error"

# (label, kind) -> faults injected in this process, over every proxy: tests/faults/conftest.py reports it.
TALLY: Counter[tuple[str, str]] = Counter()
_tally_lock = threading.Lock()

_RESET_WHEN = {"before": "reset", "after": "reset_after", "mid-body": "reset_mid_body", "upload": "reset_upload"}


@dataclass
class Seen:
    method: str
    path: str                 # without the query
    query: str
    headers: dict[str, str]
    time: float               # time.monotonic() when the request's head was read
    fault: str | None = None  # the fault injected into this request (a kind), if any
    incomplete: bool = False  # the client broke off before sending the whole body (it was not forwarded)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Rule:
    kind: str
    method: str | None
    path: str
    query: str | None
    times: int
    status: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    callback: Callable[[Seen], None] | None = None
    hits: int = 0

    def matches(self, seen: Seen) -> bool:
        return (self.hits < self.times and (self.method is None or self.method == seen.method)
                and self.path in seen.path and (self.query is None or self.query in seen.query))


class FaultProxy:
    def __init__(self, upstream: str, *, label: str = "unlabelled"):
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the fault proxy forwards only to a loopback http:// upstream, not {upstream}")
        self.upstream = (parts.hostname, parts.port or 80)
        self.label = label
        self.requests: list[Seen] = []
        self.rules: list[Rule] = []
        self.faults = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fault-proxy:{self.port}", daemon=True)
        self._thread.start()

    # --- rules ----------------------------------------------------------------------------------------------------
    def _add(self, kind: str, method: str | None, path: str, query: str | None, times: int, **kw) -> Rule:
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = Rule(kind, method.upper() if method else None, path, query, times, **kw)
        with self._lock:
            self.rules.append(rule)
        return rule

    def reset(self, method: str | None, path: str = "", *, query: str | None = None, times: int = 1,
              when: str = "before") -> Rule:
        """before: the request is read, not forwarded, and the connection reset; after: forwarded (the server
        acts) and the answer lost; mid-body: half the answer's body, then a reset; upload: half the request's
        body read, then a reset."""
        return self._add(_RESET_WHEN[when], method, path, query, times)

    def error(self, method: str | None, path: str = "", *, status: int = 500, body: bytes = INTERNAL,
              headers: dict[str, str] | None = None, query: str | None = None, times: int = 1) -> Rule:
        """Answer `status` with `body` instead of forwarding."""
        return self._add("status", method, path, query, times, status=status, body=body,
                         headers={"Content-Type": "text/plain", **(headers or {})})

    def slow_down(self, method: str | None, path: str = "", *, query: str | None = None, times: int = 1) -> Rule:
        """S3's throttle: 503 with <Code>SlowDown</Code>."""
        return self.error(method, path, status=503, body=SLOW_DOWN, headers={"Content-Type": "application/xml"},
                          query=query, times=times)

    def too_many(self, method: str | None, path: str = "", *, retry_after: float = 1, query: str | None = None,
                 times: int = 1) -> Rule:
        """429 Too Many Requests with a Retry-After in seconds."""
        value = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        return self.error(method, path, status=429, body=b'{"code": "TooManyRequests", "message": "slow down"}',
                          headers={"Content-Type": "application/json", "Retry-After": value}, query=query,
                          times=times)

    def truncate(self, method: str | None, path: str = "", *, query: str | None = None, times: int = 1) -> Rule:
        """Forward, then send the answer's headers (the full Content-Length) and half its body, then close."""
        return self._add("truncate", method, path, query, times)

    def delay(self, method: str | None, path: str = "", *, seconds: float, query: str | None = None,
              times: int = 1) -> Rule:
        return self._add("delay", method, path, query, times, seconds=min(max(seconds, 0.0), MAX_DELAY))

    def before(self, method: str | None, path: str, callback: Callable[[Seen], None], *, query: str | None = None,
               times: int = 1) -> Rule:
        """Run callback(seen) before forwarding the matching request (e.g. to change a source between requests)."""
        return self._add("callback", method, path, query, times, callback=callback)

    def clear(self) -> None:
        """Forget the rules (the request log stays)."""
        with self._lock:
            self.rules.clear()

    # --- what was seen ----------------------------------------------------------------------------------------------
    def seen(self, method: str | None = None, path: str = "", query: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.requests if (method is None or s.method == method) and path in s.path
                    and (query is None or query in s.query)]

    def _decide(self, seen: Seen) -> tuple[list[Rule], Rule | None]:
        """The callbacks and delays to run, and the fault (if any), for one request; counted as taken."""
        side, fault = [], None
        with self._lock:
            self.requests.append(seen)
            for rule in self.rules:
                if not rule.matches(seen):
                    continue
                if rule.kind in ("callback", "delay"):
                    rule.hits += 1
                    side.append(rule)
                elif fault is None:
                    rule.hits += 1
                    fault = rule
            for rule in side + ([fault] if fault else []):
                if rule.kind != "callback":
                    self.faults += 1
                with _tally_lock:
                    TALLY[(self.label, rule.kind)] += 1
            if fault is not None:
                seen.fault = fault.kind
        return side, fault

    # --- lifetime ---------------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:  # kept-alive client connections: end them so their handler threads return now
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (it gave up waiting, or a test reset it): nothing to report
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    owner: FaultProxy

    def setup(self):
        super().setup()
        with self.owner._lock:
            self.owner._open.add(self.connection)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        with self.owner._lock:
            self.owner._open.discard(self.connection)

    def log_message(self, *args):
        pass

    # --- reading the request ----------------------------------------------------------------------------------------
    def _read_body(self, limit: int | None = None) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            for _ in range(MAX_CHUNKS):
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    for _ in range(64):  # trailers, up to the blank line
                        if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                            break
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(8)
            raise ConnectionError("chunked body too long")
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length if limit is None else min(length, limit))

    # --- ending a connection ----------------------------------------------------------------------------------------
    def _reset(self) -> None:
        """Close with a TCP reset: no answer, no FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()        # the socket's last file reference: close() below really closes it
            self.connection.close()
        except OSError:
            pass

    def _half_answer(self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes, *,
                     reset: bool) -> None:
        declared = len(data) if len(data) > 1 else len(data) + 16
        self.send_response_only(status, reason)
        for k, v in headers:
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.wfile.flush()
        if reset:
            self._reset()
            return
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_WR)  # a clean FIN, short of the declared length
        except OSError:
            pass

    # --- the request ----------------------------------------------------------------------------------------------
    def _handle(self) -> None:
        proxy = self.owner
        path, _, query = self.path.partition("?")
        headers = {k: v for k, v in self.headers.items()}
        seen = Seen(self.command, path, query, headers, time.monotonic())
        side, fault = proxy._decide(seen)
        kind = fault.kind if fault else None
        if kind == "reset_upload":
            self._read_body(limit=max(0, int(self.headers.get("Content-Length") or 0) // 2))
            self._reset()
            return
        body = self._read_body()
        if len(body) < int(self.headers.get("Content-Length") or 0):
            # The client broke off mid-upload: forwarding the part that came would write a short object upstream.
            seen.incomplete = True
            self.close_connection = True
            return
        for rule in side:
            if rule.kind == "delay":
                time.sleep(rule.seconds)
            elif rule.callback is not None:
                rule.callback(seen)
        if kind == "reset":
            self._reset()
            return
        if kind == "status":
            self.send_response_only(fault.status)
            for k, v in fault.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(fault.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(fault.body)
            return
        try:
            status, reason, resp_headers, data = self._forward(body)
        except OSError as e:
            message = f"fault-proxy: upstream failed: {e}".encode()
            self.send_response_only(502)
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        if kind == "reset_after":
            self._reset()
            return
        if kind in ("truncate", "reset_mid_body") and self.command != "HEAD":
            self._half_answer(status, reason, resp_headers, data, reset=kind == "reset_mid_body")
            return
        self.send_response_only(status, reason)
        for k, v in resp_headers:
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        if self.command == "HEAD":
            length = next((v for k, v in resp_headers if k.lower() == "content-length"), None)
            if length is not None:
                self.send_header("Content-Length", length)
        elif status not in (204, 304) or data:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        host, port = self.owner.upstream
        conn = http.client.HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            sent_length = False
            for k, v in self.headers.items():
                if k.lower() in HOP:
                    continue
                if k.lower() == "content-length":
                    v, sent_length = str(len(body)), True
                conn.putheader(k, v)  # Host included, as the client sent it: signatures cover it
            if body and not sent_length:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_COPY = do_PATCH = do_OPTIONS = _handle
