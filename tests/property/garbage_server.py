"""A tiny loopback HTTP server that answers every request with garbage, except where a test says otherwise.

`rules` are tried in order: (method, path fragment, query fragment) -> Answer; the first match answers, else the
default answer does. Every request is recorded (method, path, query, headers, body), so a test can check what
reached the server (an abort, no second write). Answers are canned: nothing here sleeps or waits on a clock.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    # Promise this many bytes in Content-Length, send `body`, close: an answer cut short on the wire.
    promised_length: int | None = None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str            # as sent, percent-encoded
    query: str
    headers: dict
    body: bytes

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)


HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>\n<meta charset=utf-8>\n</head>"
             b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center>\n"
             b"<p>The upstream server did not answer.<br>Try again later.</body></html>\n")
XHTML_PAGE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
              b"<title>Access denied</title></head><body><p>Blocked by the corporate proxy.</p></body></html>")

# The garbage, by name. Each is what a proxy, a gateway or a broken server really sends.
GARBAGE = {
    "html-500": Answer(500, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"}),
    "html-200": Answer(200, HTML_PAGE, {"Content-Type": "text/html"}),
    "xhtml-200": Answer(200, XHTML_PAGE, {"Content-Type": "application/xhtml+xml"}),  # well-formed XML, not ours
    "html-403": Answer(403, HTML_PAGE.replace(b"502 Bad Gateway", b"403 Forbidden"), {"Content-Type": "text/html"}),
    "empty-200": Answer(200, b"", {}),
    "truncated-xml": Answer(200, b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazon'
                                 b'aws.com/doc/2006-03-01/"><Name>b</Name><Contents><Key>a</Key><Si',
                            {"Content-Type": "application/xml"}),
    "truncated-json": Answer(200, b'{"objects": [{"name": "a", "bytes": 1, "hash": "d41d8cd98f00b204e98',
                             {"Content-Type": "application/json"}),
    "json-not-xml": Answer(200, b'{"status": "ok", "items": []}', {"Content-Type": "application/json"}),
    "xml-not-json": Answer(200, b'<?xml version="1.0"?><Result><Status>ok</Status></Result>',
                           {"Content-Type": "application/xml"}),
    "text-200": Answer(200, b"OK\n", {"Content-Type": "text/plain"}),
    "cut-short": Answer(200, b'<?xml version="1.0"?><ListBucketResult><Contents><Key>a', {"Content-Type":
                        "application/xml"}, promised_length=4096),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle and delayed ACKs stall each answer 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # The raw request target: http.server collapses a leading '//' in self.path, and urlsplit would take
        # '//name' for a host.
        target = self.requestline.split(" ")[1]
        path, _, query = target.partition("?")
        seen = Seen(self.command, path, query, dict(self.headers.items()), body)
        owner = self.server.owner
        with owner.lock:
            owner.seen.append(seen)
        answer = owner.answer_for(seen)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        promised = answer.promised_length if answer.promised_length is not None else len(answer.body)
        if not any(name.lower() == "content-length" for name in answer.headers):  # a HEAD states the object's
            self.send_header("Content-Length", str(promised))
        if answer.promised_length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        self.wfile.flush()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_COPY = _answer

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 16 parts connect at once: the default backlog of 5 drops SYNs (a 1 s retry each)
    owner: "GarbageServer"


class GarbageServer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.rules: list[tuple[str | None, str, str, Answer]] = []
        self.default = GARBAGE["html-200"]
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def reset(self, default: Answer) -> None:
        with self.lock:
            self.seen, self.rules, self.default = [], [], default

    def on(self, method: str | None, path: str = "", query: str = "", answer: Answer = Answer()) -> None:
        """Answer requests whose method matches (None: any), whose decoded path contains `path` and whose query
        contains `query` with `answer`; earlier rules win."""
        with self.lock:
            self.rules.append((method, path, query, answer))

    def answer_for(self, seen: Seen) -> Answer:
        with self.lock:
            for method, path, query, answer in self.rules:
                if (method is None or method == seen.method) and path in seen.decoded_path and query in seen.query:
                    return answer
            return self.default

    def requests(self, method: str | None = None, query: str = "") -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if (method is None or s.method == method) and query in s.query]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
