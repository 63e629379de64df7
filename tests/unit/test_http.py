"""The one HTTP layer, against a real HTTP server on loopback that answers from a script."""
import http.server
import threading
from datetime import datetime, timezone

import pytest

from pulumi_objectcopy.http import RetryPolicy, Request, Transport, parse_retry_after, redact_headers, redact_url
from pulumi_objectcopy.stores import s3
from pulumi_objectcopy.stores.base import AccessDenied, NotFound, PreconditionFailed, Throttled, Transient

ERROR = b"<?xml version='1.0'?><Error><Code>%s</Code><Message>%s</Message><RequestId>r1</RequestId></Error>"


class Script(http.server.BaseHTTPRequestHandler):
    replies: list = []
    seen: list = []

    def _answer(self):
        Script.seen.append((self.command, self.path, dict(self.headers)))
        status, headers, body = Script.replies.pop(0)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Script)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Script.replies, Script.seen = [], []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def transport(sleeps):
    return Transport(policy=RetryPolicy(max_attempts=4, base=0.5, cap=8), sleep=sleeps.append)


def test_retries_503_slowdown_then_succeeds_honouring_retry_after(server):
    Script.replies = [(503, {"Retry-After": "3"}, ERROR % (b"SlowDown", b"Please reduce your request rate.")),
                      (500, {}, ERROR % (b"InternalError", b"oops")),
                      (200, {}, b"ok")]
    sleeps = []
    resp = transport(sleeps).send(Request("GET", server + "/b/k"), parse_error=s3.parse_error)
    assert resp.content == b"ok"
    assert len(Script.seen) == 3
    assert sleeps[0] == 3.0           # Retry-After wins over a smaller jitter
    assert 0 <= sleeps[1] <= 1.0      # full jitter: U(0, base * 2**1)


def test_gives_up_after_bounded_tries(server):
    Script.replies = [(503, {}, ERROR % (b"SlowDown", b"slow"))] * 4
    sleeps = []
    with pytest.raises(Throttled, match="SlowDown"):
        transport(sleeps).send(Request("GET", server + "/b/k", context="GET s3://b/k"), parse_error=s3.parse_error)
    assert len(Script.seen) == 4 and len(sleeps) == 3


def test_error_inside_a_200_is_an_error_and_retried_when_transient(server):
    Script.replies = [(200, {}, ERROR % (b"InternalError", b"copy failed midway")),
                      (200, {}, b"<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>")]
    resp = transport([]).send(Request("PUT", server + "/b/k"),
                              parse_error=lambda r: s3.parse_error(r, error_in_200=True))
    assert b"CopyObjectResult" in resp.content and len(Script.seen) == 2


@pytest.mark.parametrize("status,code,kind", [
    (404, b"NoSuchKey", NotFound), (403, b"SignatureDoesNotMatch", AccessDenied),
    (412, b"PreconditionFailed", PreconditionFailed), (404, b"NoSuchBucket", NotFound),
])
def test_vendor_codes_map_to_one_error_type_without_retry(server, status, code, kind):
    Script.replies = [(status, {}, ERROR % (code, b"msg"))]
    with pytest.raises(kind) as e:
        transport([]).send(Request("GET", server + "/b/k", context="GET s3://b/k"), parse_error=s3.parse_error)
    assert len(Script.seen) == 1
    assert str(e.value).startswith(f"GET s3://b/k: {code.decode()} ({status}): msg")


def test_connection_refused_is_transient_and_retried():
    sleeps = []
    with pytest.raises(Transient, match="connection failed"):
        transport(sleeps).send(Request("GET", "http://127.0.0.1:9/x"), parse_error=s3.parse_error)
    assert len(sleeps) == 3


def test_one_shot_stream_body_is_not_retried(server):
    Script.replies = [(500, {}, ERROR % (b"InternalError", b"x"))]
    body = iter([b"data"])
    with pytest.raises(Transient):
        transport([]).send(Request("PUT", server + "/b/k", {"Content-Length": "4"}, body),
                           parse_error=s3.parse_error)
    assert len(Script.seen) == 1


def test_retry_after_parsing():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", now) == 10.0
    assert parse_retry_after("soon", now) is None


def test_redaction():
    headers = redact_headers({"Authorization": "AWS4-HMAC-SHA256 sig", "X-Auth-Token": "tok", "Range": "bytes=0-1"})
    assert headers == {"Authorization": "<redacted>", "X-Auth-Token": "<redacted>", "Range": "bytes=0-1"}
    assert redact_url("https://h/k?X-Amz-Signature=abc&x=1") == "https://h/k?X-Amz-Signature=<redacted>&x=1"
