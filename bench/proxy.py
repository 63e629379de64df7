"""A counting proxy for the benchmark: tests/counting_proxy.py's interface, but bodies are streamed.

The test proxy reads each request and response body whole into memory. That is fine for the test suite, but if a
benchmark copy ever goes through it as a stream (e.g. a 10 GiB object that our code fails to copy server-side),
the benchmark process would hold gigabytes. This subclass forwards bodies in fixed chunks and also counts response
bytes, so "bytes through the client" is both directions.
"""
from __future__ import annotations

import http.server
import socket
import sys
import threading
from pathlib import Path
from typing import BinaryIO

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.counting_proxy import HOP, CountingProxy  # noqa: E402

CHUNK = 1 << 20


class _Body:
    """The request body as a sized file-like object: requests then sends Content-Length (which SigV4 signed)
    instead of switching to chunked encoding, as it would for a generator, and reads it in blocks."""

    def __init__(self, rfile: BinaryIO, length: int):
        self.rfile, self.left = rfile, length

    def __len__(self) -> int:
        return self.left

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self.rfile.read(n) if n > 0 else b""
        self.left -= len(data)
        return data


class StreamingCountingProxy(CountingProxy):
    """Same attributes as CountingProxy (`requests`, `bytes_in`, `methods()`, `copies()`), plus `bytes_out`
    (response body bytes sent back to the client)."""

    # The base __init__ builds its own handler and starts serving; we need a different handler, so it is not
    # called. Everything the base's methods read (requests, server) is set up here.
    def __init__(self, upstream: str):  # noqa: D401 - deliberately not calling super().__init__
        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, str, dict]] = []
        self.bytes_in = 0
        self.bytes_out = 0
        lock = threading.Lock()
        proxy = self
        # One pooled session per handler thread: a fresh TCP connection per request would cost more than the
        # S3 requests being measured.
        local = threading.local()

        def session() -> requests.Session:
            s = getattr(local, "s", None)
            if s is None:
                s = local.s = requests.Session()
                s.trust_env = False
            return s

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                # Expect: 100-continue was answered by this server already; SigV4 never signs it.
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "expect"}
                with lock:
                    proxy.requests.append((self.command, self.path, headers))
                    proxy.bytes_in += length
                target = self.path if self.path.startswith("http") else proxy.upstream + self.path
                body = _Body(self.rfile, length) if length else None
                resp = session().request(self.command, target, headers=headers, data=body,
                                         allow_redirects=False, stream=True)
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                upstream_len = resp.headers.get("Content-Length")
                if self.command == "HEAD":
                    self.send_header("Content-Length", upstream_len or "0")
                    self.end_headers()
                    resp.close()
                    return
                if upstream_len is not None:
                    self.send_header("Content-Length", upstream_len)
                    self.end_headers()
                    sent = 0
                    for chunk in resp.raw.stream(CHUNK, decode_content=False):
                        self.wfile.write(chunk)
                        sent += len(chunk)
                else:
                    # Unknown length (chunked upstream): buffer it; only small XML answers come this way.
                    data = resp.raw.read(decode_content=False)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    sent = len(data)
                with lock:
                    proxy.bytes_out += sent

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_COPY = _forward

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def server_bind(self) -> None:
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().server_bind()

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        self.requests.clear()
        self.bytes_in = 0
        self.bytes_out = 0

    def stats(self) -> dict:
        counts: dict[str, int] = {}
        for m, _, _ in self.requests:
            counts[m] = counts.get(m, 0) + 1
        listings = sum(1 for m, p, _ in self.requests if m == "GET" and ("list-type=" in p or "prefix=" in p))
        return {"requests": len(self.requests), "by_method": counts, "listings": listings,
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}
