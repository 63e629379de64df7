"""Every client against a loopback server that answers with garbage: HTML error pages (500, 200, 403), an empty
200, truncated XML and JSON, the wrong format or content type, valid JSON of the wrong shape, a body cut short on
the wire. Each must end in one clear error: an ObjectCopyError whose one-line message names the operation and says
what was wrong; never a parser's or a dict's traceback type; never a write claimed that did not happen (a multipart
upload whose completion answered garbage is aborted, and the abort reaches the server)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pulumi_objectcopy import http, jobs, transfer
from pulumi_objectcopy.services import analytics, epm
from pulumi_objectcopy.stores import open_store, swift
from pulumi_objectcopy.stores.base import ObjectCopyError
from pulumi_objectcopy.urls import parse

from ..conftest import run_cli
from .garbage_server import GARBAGE, Answer, GarbageServer

ROOT = Path(__file__).resolve().parents[2]
TRACEBACK_TYPES = (KeyError, ValueError, AttributeError, IndexError, TypeError, LookupError, UnicodeError)
ETAG = '"0123456789abcdef0123456789abcdef"'
SIX_MIB = str(6 * 1024 * 1024)
OBJECT_HEADERS = {"ETag": ETAG, "Content-Length": "10", "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
                  "Content-Type": "application/octet-stream"}
XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}

# What each garbage must make the message say (any one of them): what the answer was.
SAYS = {
    "html-500": ("HTTP 500", "(500)"), "html-403": ("HTTP 403", "(403)"), "html-200": ("HTML",), "xhtml-200": ("HTML",),
    "empty-200": ("empty body",), "truncated-xml": ("truncated XML", "XML, not JSON"),
    "truncated-json": ("truncated JSON", "JSON, not XML"), "json-not-xml": ("JSON, not XML", "JSON object"),
    "xml-not-json": ("XML, not JSON", "XML <Result> document"), "text-200": ("text/plain",),
    "cut-short": ("cut short", "connection failed"), "json-array": ("JSON array",),
    "json-wrong-fields": ("JSON", "unknown job state"),
}
# ... and the HTML ones must say it was HTML, whatever the status.
HTML_KINDS = {"html-500", "html-200", "xhtml-200", "html-403"}
WRONG_SHAPE = {
    "json-array": Answer(200, b'["objects", "status"]', JSON),
    "json-wrong-fields": Answer(200, b'{"status": 7, "items": "none", "objects": 3, "links": "x", "name": 1}', JSON),
}
ALL = {**GARBAGE, **WRONG_SHAPE}
BODY_KINDS = sorted(ALL)
# A HEAD answer has no body: the status line and the headers are all the garbage there is.
HEAD_KINDS = ["html-500", "html-403", "html-200", "empty-200", "json-not-xml", "text-200"]


@pytest.fixture(scope="module")
def server():
    srv = GarbageServer()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def profiles(server, tmp_path_factory) -> Path:
    key = ROOT / "tests" / "fixtures" / "oci" / "draft-cavage-rsa1024.pem"
    path = tmp_path_factory.mktemp("garbage") / "profiles.toml"
    path.write_text(f"""
[profiles.gs3]
scheme = "s3"
endpoint = "{server.url}"
addressing = "path"
access_key_id_env = "OC_GARBAGE_ID"
secret_access_key_env = "OC_GARBAGE_SECRET"

[profiles.gcos]
scheme = "cos"
endpoint = "{server.url}"
region = "ap-guangzhou"
secret_id_env = "OC_GARBAGE_ID"
secret_key_env = "OC_GARBAGE_SECRET"

[profiles.goss]
scheme = "oss"
endpoint = "{server.url}"
region = "cn-hangzhou"
access_key_id_env = "OC_GARBAGE_ID"
access_key_secret_env = "OC_GARBAGE_SECRET"

[profiles.gapsara]
scheme = "oss"
api = "apsara"
endpoint = "{server.url}"
region = "cn-hangzhou"
access_key_id_env = "OC_GARBAGE_ID"
access_key_secret_env = "OC_GARBAGE_SECRET"

[profiles.gswift]
scheme = "swift"
auth_url = "{server.url}/auth/v1.0"
user = "test:tester"
key_env = "OC_GARBAGE_SECRET"

[profiles.goci]
scheme = "oci"
endpoint = "{server.url}"
region = "us-ashburn-1"
user = "ocid1.user.oc1..garbage"
tenancy = "ocid1.tenancy.oc1..garbage"
key_file = "{key}"
""")
    return path


ENV = {"OC_GARBAGE_ID": "AKIDgarbage", "OC_GARBAGE_SECRET": "garbage-secret", "EPM_USERNAME": "epm.admin",
       "EPM_PASSWORD": "pw"}


@pytest.fixture(autouse=True)
def env(profiles, monkeypatch):
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(profiles))
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EPM_TOKEN", raising=False)
    for name in [n for n in os.environ if n.startswith("OCI_CLI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", str(profiles.parent / "no-oci-config"))
    # Retries as in production (5 tries), without the backoff sleeps: nothing here waits on a clock.
    monkeypatch.setattr(http, "_transport", http.Transport(sleep=lambda seconds: None))
    monkeypatch.setattr(swift, "_tokens", {})


class NotOurError(AssertionError):
    """A traceback type escaped instead of an ObjectCopyError."""


class UnclearError(AssertionError):
    """An ObjectCopyError, but its message does not name the operation or say what was wrong."""


def expect_clear_error(call, *, context: str | tuple[str, ...], kind: str,
                       also: tuple[str, ...] = ()) -> ObjectCopyError:
    with pytest.raises(Exception) as caught:
        call()
    error = caught.value
    if not isinstance(error, ObjectCopyError) or isinstance(error, TRACEBACK_TYPES):
        raise NotOurError(f"{type(error).__name__}: {error}") from error
    message = str(error)
    contexts = (context,) if isinstance(context, str) else context
    if "\n" in message or not any(c in message for c in contexts):
        raise UnclearError(f"does not name {contexts}: {message!r}")
    if not any(phrase in message for phrase in SAYS[kind] + also) or (kind in HTML_KINDS and "HTML" not in message):
        raise UnclearError(f"does not say what was wrong with the {kind} answer: {message!r}")
    return error


# --- the S3 family: S3, COS, OSS -----------------------------------------------------------------------------
S3_FAMILY = {"s3": "s3://gs3@bucket", "cos": "cos://gcos@bucket-1250000000", "oss": "oss://goss@bucket"}


@pytest.mark.parametrize("kind", HEAD_KINDS)
@pytest.mark.parametrize("scheme", sorted(S3_FAMILY))
def test_s3_family_head(server, scheme, kind):
    server.reset(ALL[kind])
    url = parse(f"{S3_FAMILY[scheme]}/dir/key.bin")
    expect_clear_error(lambda: open_store(url).head(url), context=f"HEAD {url}", kind=kind,
                       also=("without an ETag",))


@pytest.mark.parametrize("kind", BODY_KINDS)
@pytest.mark.parametrize("scheme", sorted(S3_FAMILY))
def test_s3_family_listing(server, scheme, kind):
    server.reset(ALL[kind])
    prefix = parse(f"{S3_FAMILY[scheme]}/dir/", allow_prefix=True)
    expect_clear_error(lambda: list(open_store(prefix).list(prefix)), context=f"list {prefix}", kind=kind,
                       also=("XML <", "JSON, not XML"))


@pytest.mark.parametrize("kind", BODY_KINDS)
@pytest.mark.parametrize("scheme", sorted(S3_FAMILY))
def test_s3_family_copy_answered_garbage(server, scheme, kind):
    """CopyObject whose answer is garbage (a 200 with an HTML page included): an error, and nothing claimed."""
    server.reset(ALL[kind])
    server.on("HEAD", "/src.bin", answer=Answer(200, headers=OBJECT_HEADERS))
    src, dst = parse(f"{S3_FAMILY[scheme]}/src.bin"), parse(f"{S3_FAMILY[scheme]}/dst.bin")
    expect_clear_error(lambda: transfer.copy_object(src, dst), context=f"copy {src} to {dst}", kind=kind,
                       also=("XML <", "JSON, not XML"))
    writes = [s for s in server.requests() if s.method != "HEAD"]
    assert writes and {(s.method, s.decoded_path) for s in writes} == {("PUT", writes[0].decoded_path)}
    assert writes[0].decoded_path.endswith("/dst.bin")  # only the copy itself (and its retries) was sent


@pytest.mark.parametrize("kind", BODY_KINDS)
@pytest.mark.parametrize("scheme", sorted(S3_FAMILY))
def test_s3_family_complete_multipart_answered_garbage(server, scheme, kind):
    """CompleteMultipartUpload answering garbage: an error, and the upload is aborted (the abort reaches us)."""
    server.reset(ALL[kind])
    server.on("HEAD", "/src.bin", answer=Answer(200, headers={**OBJECT_HEADERS, "Content-Length": SIX_MIB}))
    server.on("GET", query="tagging", answer=Answer(200, b"<Tagging><TagSet/></Tagging>", XML))
    server.on("POST", query="uploads", answer=Answer(200, b"<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k"
                                                          b"</Key><UploadId>UP-1</UploadId>"
                                                          b"</InitiateMultipartUploadResult>", XML))
    server.on("PUT", query="partNumber", answer=Answer(200, f"<CopyPartResult><ETag>{ETAG}</ETag><LastModified>"
                                                             "2024-01-01T00:00:00.000Z</LastModified>"
                                                             "</CopyPartResult>".encode(), XML))
    server.on("DELETE", query="uploadId=UP-1", answer=Answer(204))
    src, dst = parse(f"{S3_FAMILY[scheme]}/src.bin"), parse(f"{S3_FAMILY[scheme]}/dst.bin")
    expect_clear_error(lambda: transfer.copy_object(src, dst, config=transfer.TransferConfig(multipart_threshold=1)),
                       context=f"complete multipart upload to {dst}", kind=kind, also=("XML <", "JSON, not XML"))
    completes = server.requests("POST", query="uploadId=UP-1")
    aborts = server.requests("DELETE", query="uploadId=UP-1")
    assert completes and aborts, [(s.method, s.path, s.query) for s in server.requests()]
    assert server.seen.index(aborts[0]) > server.seen.index(completes[-1])


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_oss_apsara_copy_answered_garbage(server, kind):
    """Apsara Stack's CopyObject answers JSON: garbage there is no copy either."""
    server.reset(ALL[kind])
    server.on("HEAD", "/src.bin", answer=Answer(200, headers=OBJECT_HEADERS))
    src, dst = parse("oss://gapsara@bucket/src.bin"), parse("oss://gapsara@bucket/dst.bin")
    expect_clear_error(lambda: transfer.copy_object(src, dst), context=f"copy {src} to {dst}", kind=kind,
                       also=("without an ETag", "resultCode"))
    assert [s.method for s in server.requests() if s.method != "HEAD"] in (["POST"], ["POST"] * 5)


# --- Swift ---------------------------------------------------------------------------------------------------
def swift_logged_in(server):
    server.on("GET", "/auth/v1.0", answer=Answer(200, headers={"X-Storage-Url": f"{server.url}/v1/AUTH_test",
                                                               "X-Auth-Token": "AUTH_tk"}))


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_swift_auth_answered_garbage(server, kind):
    server.reset(ALL[kind])
    url = parse("swift://gswift@container/dir/key.bin")
    expect_clear_error(lambda: open_store(url).head(url), context="Swift tempauth", kind=kind,
                       also=("without a storage URL or token",))


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_swift_listing(server, kind):
    server.reset(ALL[kind])
    swift_logged_in(server)
    prefix = parse("swift://gswift@container/dir/", allow_prefix=True)
    expect_clear_error(lambda: list(open_store(prefix).list(prefix)), context=f"list {prefix}", kind=kind,
                       also=("JSON object", "listing entry without a name"))


@pytest.mark.parametrize("kind", HEAD_KINDS)
def test_swift_head(server, kind):
    server.reset(ALL[kind])
    swift_logged_in(server)
    url = parse("swift://gswift@container/dir/key.bin")
    expect_clear_error(lambda: open_store(url).head(url), context=f"HEAD {url}", kind=kind,
                       also=("without an ETag",))


# --- OCI -----------------------------------------------------------------------------------------------------
OCI = "oci://goci@ns/bucket"


@pytest.mark.parametrize("kind", HEAD_KINDS)
def test_oci_head(server, kind):
    server.reset(ALL[kind])
    url = parse(f"{OCI}/dir/key.bin")
    expect_clear_error(lambda: open_store(url).head(url), context=f"HEAD {url}", kind=kind,
                       also=("without an ETag",))


@pytest.mark.parametrize("scheme,headers", [
    ("oci", {"Content-Length": "lots"}), ("oci", {"content-md5": "not base64!"}), ("oci", {"Content-Length": "-3"}),
    ("s3", {"Content-Length": "lots"}), ("cos", {"Content-Length": "1e3"}), ("oss", {"Content-Length": "-3"}),
    ("swift", {"Content-Length": "lots"}),
])
def test_head_with_garbage_headers(server, scheme, headers):
    server.reset(GARBAGE["html-500"])
    swift_logged_in(server)
    server.on("HEAD", answer=Answer(200, headers={**OBJECT_HEADERS, **headers}))
    url = parse({"oci": OCI, "swift": "swift://gswift@container", **S3_FAMILY}[scheme] + "/k.bin")
    with pytest.raises(ObjectCopyError, match=rf"^HEAD {url}: answered ") as caught:
        open_store(url).head(url)
    assert not isinstance(caught.value, TRACEBACK_TYPES)


def oci_source(server):
    server.on("HEAD", "/o/src.bin", answer=Answer(200, headers={**OBJECT_HEADERS,
                                                                "content-md5": "ASNFZ4mrze8BI0VniavN7w=="}))


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_oci_copy_post_answered_garbage(server, kind):
    server.reset(ALL[kind])
    oci_source(server)
    server.on("GET", "/workRequests", answer=Answer(200, b"[]", JSON))
    server.on("GET", "/n/ns/b/bucket", answer=Answer(200, b'{"compartmentId": "ocid1.compartment.oc1..x"}', JSON))
    src, dst = parse(f"{OCI}/src.bin"), parse(f"{OCI}/dst.bin")
    expect_clear_error(lambda: transfer.copy_object(src, dst), context=f"copy {src} to {dst}", kind=kind,
                       also=("without an opc-work-request-id",))
    assert not any(s.path.endswith("/o/dst.bin") for s in server.requests("HEAD"))  # nothing taken as copied


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_oci_running_copy_lookup_answered_garbage(server, kind):
    """The look-up for a copy already running is best effort: a garbage answer there means 'none found', and the
    copy goes on (here to a work request that completes); an error status stops the copy with a clear error."""
    server.reset(ALL[kind])
    oci_source(server)
    server.on("POST", "/actions/copyObject", answer=Answer(202, headers={"opc-work-request-id": "wr-1"}))
    server.on("GET", "/workRequests/wr-1", answer=Answer(200, b'{"status": "COMPLETED", "percentComplete": 100}',
                                                         JSON))
    server.on("HEAD", "/o/dst.bin", answer=Answer(200, headers=OBJECT_HEADERS))
    src, dst = parse(f"{OCI}/src.bin"), parse(f"{OCI}/dst.bin")
    if ALL[kind].status >= 400 or ALL[kind].promised_length:
        expect_clear_error(lambda: transfer.copy_object(src, dst), context="GET bucket ns/bucket", kind=kind)
        assert not server.requests("POST")  # no copy started while the service is failing
    else:
        assert transfer.copy_object(src, dst).destination.etag == ETAG.strip('"')


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_oci_work_request_answered_garbage(server, kind):
    server.reset(ALL[kind])
    oci_source(server)
    server.on("GET", "/n/ns/b/bucket", answer=Answer(200, b'{"compartmentId": "ocid1.compartment.oc1..x"}', JSON))
    server.on("GET", "/workRequests/wr-1", answer=ALL[kind])
    server.on("GET", "/workRequests", answer=Answer(200, b"[]", JSON))
    server.on("POST", "/actions/copyObject", answer=Answer(202, headers={"opc-work-request-id": "wr-1"}))
    src, dst = parse(f"{OCI}/src.bin"), parse(f"{OCI}/dst.bin")
    expect_clear_error(lambda: transfer.copy_object(src, dst), context="poll work request wr-1", kind=kind,
                       also=("unknown job state",))


# --- services: Oracle Analytics and EPM ----------------------------------------------------------------------
FAST = jobs.Backoff(first=0, cap=0, jitter=0)
SNAPSHOT = {"type": "REGISTER", "name": "golden", "storage": {"type": "OCI_NATIVE", "bucket": "b"},
            "bar": {"uri": "file:///golden/v42.bar", "password": "GoodPassw0rd"}}
SERVICE_BUGS: dict = {}  # none left: the services read answers through http.json_body too


def service_case(op, kind):
    bug = SERVICE_BUGS.get((op, kind))
    marks = [pytest.mark.xfail(strict=True, raises=bug[0], reason=f"services bug: {bug[1]}")] if bug else []
    return pytest.param(kind, marks=marks, id=kind)


@pytest.mark.parametrize("kind", [service_case("analytics create", k) for k in BODY_KINDS])
def test_analytics_create_snapshot_answered_garbage(server, kind):
    server.reset(ALL[kind])
    client = analytics.AnalyticsClient(server.url, token=lambda: "tok", backoff=FAST)
    expect_clear_error(lambda: client.create_snapshot(SNAPSHOT), context="REGISTER snapshot 'golden'", kind=kind,
                       also=("no work request",))


@pytest.mark.parametrize("kind", [service_case("analytics wait", k) for k in BODY_KINDS])
def test_analytics_work_request_answered_garbage(server, kind):
    server.reset(ALL[kind])
    client = analytics.AnalyticsClient(server.url, token=lambda: "tok", backoff=FAST)
    expect_clear_error(lambda: client.wait("wr-1", "register golden", timeout=5), kind=kind,
                       context=("work request wr-1", "register golden"), also=("unknown job state",))


@pytest.mark.parametrize("kind", [service_case("epm copyto", k) for k in BODY_KINDS])
def test_epm_copyto_answered_garbage(server, kind):
    server.reset(ALL[kind])
    client = epm.EpmClient(server.url, backoff=FAST)
    expect_clear_error(lambda: client.copy_to_object_store(
        file_path="Artifact Snapshot", url="https://objectstorage.us-ashburn-1.oraclecloud.com/n/ns/b/b",
        tenancy="ocid1.tenancy.oc1..t", user="ocid1.user.oc1..u", fingerprint="aa:bb",
        private_key_pem="-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----"),
        context="copy 'Artifact Snapshot' to https://objectstorage", kind=kind,
        also=("linked no job status", "EPM status"))


@pytest.mark.parametrize("kind", [service_case("epm wait", k) for k in BODY_KINDS])
def test_epm_job_status_answered_garbage(server, kind):
    server.reset(ALL[kind])
    client = epm.EpmClient(server.url, backoff=FAST)
    expect_clear_error(lambda: client.wait("42", "copy to object store", timeout=5), context="EPM job 42", kind=kind,
                       also=("failed",))


# --- through the CLI -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,kind,code,says", [
    (["head", "s3://gs3@bucket/k.bin"], "html-200", 1, "HEAD s3://gs3@bucket/k.bin: answered HTTP 200 without an "
                                                       "ETag"),
    (["cp", "s3://gs3@bucket/src.bin", "s3://gs3@bucket/dst.bin"], "html-403", 1,
     "HEAD s3://gs3@bucket/src.bin: HTTP 403"),
    (["ls", "swift://gswift@container/dir/"], "truncated-json", 1, "answered HTTP 200 with"),
    (["head", "swift://gswift@container/a/../etc"], "html-200", 2, "has a '..' path segment"),
])
def test_cli_one_line_errors(server, profiles, args, kind, code, says):
    server.reset(ALL[kind])
    if args[1].startswith("swift"):
        swift_logged_in(server)
    proc = run_cli(*args, env={"OBJECTCOPY_PROFILES": str(profiles), **ENV})
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("objectcopy: error: ") and says in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_cli_copy_answered_html_claims_nothing(server, profiles):
    server.reset(ALL["html-200"])
    server.on("HEAD", "/src.bin", answer=Answer(200, headers=OBJECT_HEADERS))
    proc = run_cli("cp", "s3://gs3@bucket/src.bin", "s3://gs3@bucket/dst.bin", "--json",
                   env={"OBJECTCOPY_PROFILES": str(profiles), **ENV})
    assert proc.returncode == 1 and proc.stderr == "", (proc.stdout, proc.stderr)
    error = json.loads(proc.stdout)["error"]  # under --json, the failure is JSON on stdout, and claims no copy
    assert (error["code"], error["exit_code"]) == ("BadAnswer", 1)
    assert "copy s3://gs3@bucket/src.bin to s3://gs3@bucket/dst.bin: answered HTTP 200 with an HTML page" \
        in error["message"]
