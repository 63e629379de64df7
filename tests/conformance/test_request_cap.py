"""The process-wide cap on requests in flight (http.py, OBJECTCOPY_MAX_REQUESTS): hundreds of copies started at once
in one process, multipart ones included, against MinIO behind a proxy that counts the requests in flight at every
moment. The cap must be reached (so it is what limits) and never exceeded.

The proxy holds the first requests until the client has `cap` of them out at once, then waits a further moment for
one more to arrive (which a broken cap would send), and only then lets everything through; afterwards it keeps
counting. A request counts from its arrival until just before its answer is sent, so the proxy's count is never
above the client's own (the client frees its slot only once it has the answer).
"""
from __future__ import annotations

import hashlib
import http.server
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pulumi_objectcopy import http as oc_http
from pulumi_objectcopy import transfer
from pulumi_objectcopy.urls import parse

from ..conftest import MINIO_ENDPOINT
from ..counting_proxy import HOP

CAP = 8
SMALL, LARGE = 300, 4         # copies started at once
MiB = 1 << 20
PART = 5 * MiB
LARGE_SIZE = 3 * PART - 1    # three parts each
GATE_TIMEOUT = 60.0          # seconds the first requests wait for the client to reach the cap
EXCESS_WINDOW = 1.0          # then, seconds given to a broken cap to send one request too many


class InFlightProxy:
    def __init__(self, upstream: str, cap: int):
        self.upstream, self.cap = upstream.rstrip("/"), cap
        self.cond = threading.Condition()
        self.in_flight = self.max_in_flight = self.total = 0
        self.methods: list[str] = []
        self.opened = False
        local = threading.local()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                proxy._enter(f"{self.command} {self.path}")
                try:
                    session = getattr(local, "session", None)
                    if session is None:
                        session = local.session = requests.Session()
                    resp = session.request(self.command, proxy.upstream + self.path, headers=headers, data=body,
                                           allow_redirects=False, stream=True)
                    data = resp.raw.read(decode_content=False) if self.command != "HEAD" else b""
                finally:
                    proxy._leave()  # before the answer goes out: the client still holds its slot until then
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", resp.headers.get("Content-Length", "0")
                                 if self.command == "HEAD" else str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 512  # every client thread keeps a connection of its own
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _enter(self, what: str) -> None:
        with self.cond:
            self.in_flight += 1
            self.total += 1
            self.methods.append(what)
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.cond.notify_all()
            if not self.opened:
                self.cond.wait_for(lambda: self.opened or self.in_flight >= self.cap, timeout=GATE_TIMEOUT)
                if not self.opened and self.in_flight >= self.cap:
                    self.cond.wait_for(lambda: self.opened or self.in_flight > self.cap, timeout=EXCESS_WINDOW)
                self.opened = True
                self.cond.notify_all()

    def _leave(self) -> None:
        with self.cond:
            self.in_flight -= 1

    def close(self) -> None:
        with self.cond:
            self.opened = True
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capped(backends, tmp_path, monkeypatch):
    """A fresh process-wide transport built with OBJECTCOPY_MAX_REQUESTS=CAP, and a profile through the proxy."""
    minio = backends("minio")
    proxy = InFlightProxy(MINIO_ENDPOINT, CAP)
    profiles = tmp_path / "profiles.toml"
    profiles.write_text(f"""
[profiles.capped]
scheme = "s3"
endpoint = "{proxy.url}"
provider = "minio"
addressing = "path"
access_key_id_env = "OC_TEST_MINIO_KEY"
secret_access_key_env = "OC_TEST_MINIO_SECRET"
""")
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(profiles))
    monkeypatch.setenv("OBJECTCOPY_MAX_REQUESTS", str(CAP))
    monkeypatch.setattr(oc_http, "_transport", None)  # built again, from the variable; the old one comes back after
    yield minio, proxy
    proxy.close()


def test_hundreds_of_copies_at_once_reach_the_cap_and_never_exceed_it(capped, key_prefix):
    minio, proxy = capped
    url = lambda key: parse(f"s3://capped@{minio.bucket}/{key_prefix}{key}")  # noqa: E731
    small = os.urandom(1024)
    large = os.urandom(LARGE_SIZE)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: minio.put(f"{key_prefix}small-{i}", small), range(SMALL)))
    for i in range(LARGE):
        minio.put(f"{key_prefix}large-{i}", large)
    jobs = [(f"small-{i}", f"copy-small-{i}", transfer.TransferConfig()) for i in range(SMALL)]
    jobs += [(f"large-{i}", f"copy-large-{i}", transfer.TransferConfig(multipart_threshold=PART, part_size=PART,
                                                                       concurrency=3)) for i in range(LARGE)]
    start = threading.Barrier(len(jobs))

    def copy(job):
        src, dst, config = job
        start.wait(60)  # every copy begins at the same moment
        return transfer.copy_object(url(src), url(dst), config=config)

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(copy, jobs))

    assert proxy.max_in_flight == CAP, f"at most {proxy.max_in_flight} requests were in flight at once, cap {CAP}"
    parts = [m for m in proxy.methods if m.startswith("PUT") and "partNumber=" in m]
    assert len(parts) == 3 * LARGE and [r.method for r in results].count("server-side-multipart") == LARGE
    assert proxy.total >= 2 * SMALL + 5 * LARGE  # a HEAD and a copy each, and start, parts, complete
    md5 = hashlib.md5(large).hexdigest()
    assert all(hashlib.md5(minio.get(f"{key_prefix}copy-large-{i}")).hexdigest() == md5 for i in range(LARGE))
    assert minio.get(f"{key_prefix}copy-small-{SMALL - 1}") == small
