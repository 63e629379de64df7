"""A pass-through HTTP proxy on loopback (also usable as HTTP_PROXY: absolute-URI requests are forwarded as is)
that records every request, put in front of a real server to assert what a client sent (e.g. that a no-op
`pulumi up` made no copy request). The Host header is forwarded as the client sent it,
so SigV4 signatures still verify upstream."""
from __future__ import annotations

import http.server
import threading

import requests

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class CountingProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, str, dict]] = []
        self.bytes_in = 0
        # intercept(method, path, headers) runs before a request is forwarded: it may change the world (e.g. the
        # source object, between two requests) and returns (status, body) to answer instead, or None to pass on.
        self.intercept = lambda method, path, headers: None
        lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                with lock:
                    proxy.requests.append((self.command, self.path, headers))
                    proxy.bytes_in += length
                fault = proxy.intercept(self.command, self.path, headers)
                if fault:
                    status, payload = fault
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                target = self.path if self.path.startswith("http") else proxy.upstream + self.path
                resp = requests.request(self.command, target, headers=headers, data=body,
                                        allow_redirects=False, stream=True, proxies={"http": None})
                data = resp.raw.read(decode_content=False) if self.command != "HEAD" else b""
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", resp.headers.get("Content-Length", str(len(data)))
                                 if self.command == "HEAD" else str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_COPY = _forward

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def methods(self) -> list[str]:
        return [m for m, _, _ in self.requests]

    def copies(self) -> list[str]:
        """Requests that write: a PUT (copy or upload), a POST or a DELETE."""
        return [f"{m} {p}" for m, p, _ in self.requests if m in ("PUT", "POST", "DELETE", "COPY")]

    def reset(self) -> None:
        self.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
