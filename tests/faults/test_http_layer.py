"""The HTTP layer's rule for requests that are not idempotent, on its own: a POST is sent again after a failure only
when it surely never reached the server (no connection could be made), or when the caller marks it safe to send
twice; a lost answer to any other POST is AnswerLost, after one try."""
from __future__ import annotations

import http.server
import socket
import threading

import pytest

from pulumi_objectcopy.http import Request, Transport
from pulumi_objectcopy.stores import s3
from pulumi_objectcopy.stores.base import AnswerLost, Throttled, Transient

from .conftest import FAST_RETRIES

LABEL = "0 http layer"


class Count(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list = []
    arrived = threading.Event()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Count.hits.append((self.command, self.path))
        Count.arrived.set()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Count)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    Count.hits, Count.arrived = [], threading.Event()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def send(url: str, **kw):
    return Transport(policy=FAST_RETRIES).send(Request("POST", url, body=b"{}", context="start the job", **kw),
                                               parse_error=s3.parse_error)


@pytest.mark.parametrize("when", ["after", "mid-body"])
def test_a_post_whose_answer_is_lost_is_not_sent_again(upstream, proxies, when):
    proxy = proxies(upstream, LABEL)
    proxy.reset("POST", "/job", when=when)
    with pytest.raises(AnswerLost, match="start the job: the connection failed after the request was sent"):
        send(proxy.url + "/job")
    assert Count.hits == [("POST", "/job")]  # the server acted once, and only once


def test_a_post_marked_idempotent_is_sent_again(upstream, proxies):
    proxy = proxies(upstream, LABEL)
    proxy.reset("POST", "/job", when="after")
    assert send(proxy.url + "/job", idempotent=True).content == b"ok"
    assert Count.hits == [("POST", "/job")] * 2


def test_a_post_that_could_not_connect_is_sent_again():
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = []
    transport = Transport(policy=FAST_RETRIES, sleep=sleeps.append)
    with pytest.raises(Transient, match="connection failed") as e:
        transport.send(Request("POST", f"http://127.0.0.1:{port}/job", body=b"{}", context="start the job"),
                       parse_error=s3.parse_error)
    assert not isinstance(e.value, AnswerLost) and len(sleeps) == FAST_RETRIES.max_attempts - 1


def test_a_429_is_a_throttle_whatever_code_the_parser_gives(upstream, proxies):
    proxy = proxies(upstream, LABEL)
    proxy.too_many("POST", "/job", retry_after=0, times=99)
    with pytest.raises(Throttled):
        Transport(policy=FAST_RETRIES).send(Request("POST", proxy.url + "/job", body=b"{}", context="job"),
                                            parse_error=lambda r: ("InvalidRequest", "x", None)
                                            if r.status_code >= 400 else None)
    assert len(proxy.seen("POST")) == FAST_RETRIES.max_attempts and Count.hits == []


def test_a_post_that_timed_out_waiting_for_its_answer_is_not_sent_again(upstream, proxies):
    """The server is slow: the client stops waiting (read timeout) while the request goes on to the server."""
    proxy = proxies(upstream, LABEL)
    proxy.delay("POST", "/job", seconds=0.5)
    with pytest.raises(AnswerLost, match="timed out"):
        send(proxy.url + "/job", timeout=(2.0, 0.1))
    assert Count.arrived.wait(5)  # the delayed request did reach the server
    assert Count.hits == [("POST", "/job")] and len(proxy.seen("POST")) == 1


def test_a_get_that_timed_out_is_sent_again(upstream, proxies):
    proxy = proxies(upstream, LABEL)
    proxy.delay("GET", "/status", seconds=0.5)
    resp = Transport(policy=FAST_RETRIES).send(Request("GET", proxy.url + "/status", timeout=(2.0, 0.2)),
                                               parse_error=s3.parse_error)
    assert resp.content == b"ok" and len(proxy.seen("GET")) == 2


def test_a_gateway_timeout_on_a_post_is_a_lost_answer(upstream, proxies):
    """504: a gateway passed the request on and stopped waiting; the server may be acting on it."""
    proxy = proxies(upstream, LABEL)
    proxy.error("POST", "/job", status=504, times=99)
    with pytest.raises(AnswerLost, match="HTTP 504"):
        send(proxy.url + "/job")
    assert len(proxy.seen("POST")) == 1
    proxy.error("GET", "/status", status=504)
    assert Transport(policy=FAST_RETRIES).send(Request("GET", proxy.url + "/status"),
                                               parse_error=s3.parse_error).content == b"ok"
    assert len(proxy.seen("GET")) == 2
