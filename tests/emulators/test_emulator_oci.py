"""The OCI Object Storage emulator, proven with the oci SDK (2.189.0) as its client, and with our own signer.

The SDK lives in its own venv (scripts/oci-oracle.sh), so each SDK scenario below is a script run by that venv's
python against the emulator: ObjectStorageClient(config, service_endpoint=emulator.endpoint) with retries and the
circuit breaker off, so every answer the script sees is the emulator's first. The script prints one JSON document,
asserted on here. The other tests sign with pulumi_objectcopy.signing.oci from this .venv and use the control API.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any

import pytest
import requests

from pulumi_objectcopy.signing.oci import ApiKey, sign
from tests.emulators.oci import ApiKeyPair, ControlError, OciEmulator, new_api_key, oci_python, start_oci

ASHBURN, FRANKFURT = "us-ashburn-1", "eu-frankfurt-1"
TERMINAL = ("COMPLETED", "FAILED", "CANCELED")

SDK_PRELUDE = r'''
import base64, hashlib, json, sys, time
from email.utils import formatdate
import oci
from oci._vendor import requests
from oci.object_storage import models

ARGS = json.loads(sys.argv[1])
NS, OUT = ARGS["namespace"], {}

def client(config=None):
    return oci.object_storage.ObjectStorageClient(
        config or ARGS["config"], service_endpoint=ARGS["endpoint"], retry_strategy=oci.retry.NoneRetryStrategy(),
        circuit_breaker_strategy=oci.circuit_breaker.NoCircuitBreakerStrategy())

def error(call):
    try:
        call()
    except oci.exceptions.ServiceError as e:
        return {"status": e.status, "code": e.code, "message": e.message}
    return None

def b64md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()

c = client()
'''

SDK_OBJECTS = r'''
B, name, body = ARGS["bucket"], "dir/a b+ü&=?.txt", b"hello world"
OUT["namespace"] = c.get_namespace().data
put = c.put_object(NS, B, name, body, content_type="text/plain", opc_meta={"colour": "blue"})
OUT["put"] = dict(put.headers)
OUT["head"] = dict(c.head_object(NS, B, name).headers)
OUT["get"] = c.get_object(NS, B, name).data.content.decode()
part = c.get_object(NS, B, name, range="bytes=6-")
OUT["range"] = [part.status, part.data.content.decode(), part.headers.get("content-range")]
etag = put.headers["etag"]
OUT["not_modified"] = error(lambda: c.get_object(NS, B, name, if_none_match=etag))
OUT["get_if_match_stale"] = error(lambda: c.get_object(NS, B, name, if_match="stale"))
OUT["create_only_exists"] = error(lambda: c.put_object(NS, B, name, b"x", if_none_match="*"))
OUT["overwrite_stale"] = error(lambda: c.put_object(NS, B, name, b"x", if_match="stale"))
OUT["overwrite_current"] = c.put_object(NS, B, name, b"v2", if_match=etag).status
OUT["bad_md5"] = error(lambda: c.put_object(NS, B, "md5", b"abc", content_md5=b64md5(b"abd")))
for i in range(5):
    c.put_object(NS, B, f"list/{i}", b"x" * i)
c.put_object(NS, B, "list/sub/deep", b"deep")
pages, start = [], None
while True:
    page = c.list_objects(NS, B, prefix="list/", start=start, limit=2, fields="name,size,etag,md5,timeModified").data
    pages.append([[o.name, o.size, o.md5, o.etag is not None, o.time_modified is not None] for o in page.objects])
    start = page.next_start_with
    if not start:
        break
OUT["pages"] = pages
listing = c.list_objects(NS, B, prefix="list/", delimiter="/").data
OUT["delimited"] = [[o.name for o in listing.objects], listing.prefixes, listing.objects[0].size]
OUT["delete_stale"] = error(lambda: c.delete_object(NS, B, "list/0", if_match="stale"))
OUT["delete"] = c.delete_object(NS, B, "list/0").status
OUT["head_deleted"] = error(lambda: c.head_object(NS, B, "list/0"))
OUT["no_bucket"] = error(lambda: c.get_object(NS, "no-such-bucket", "x"))
'''

SDK_COPY = r'''
S, D, V = ARGS["source_bucket"], ARGS["destination_bucket"], ARGS["versioned_bucket"]
src = c.put_object(NS, S, "src.bin", b"source data", content_type="application/x-test", opc_meta={"k": "v"})
def copy(**kw):
    details = dict(source_object_name="src.bin", destination_region=ARGS["frankfurt"], destination_namespace=NS,
                   destination_bucket=D, destination_object_name="dst.bin")
    details.update(kw)
    return c.copy_object(NS, S, models.CopyObjectDetails(**details))
def poll(wr_id, seen=None):
    while True:
        wr = c.get_work_request(wr_id).data
        if seen is not None:
            seen.append([wr.status, wr.percent_complete])
        if wr.status in ("COMPLETED", "FAILED"):
            return wr
        time.sleep(0.01)
resp, seen = copy(), []
wr_id = resp.headers["opc-work-request-id"]
wr = poll(wr_id, seen)
OUT["copy"] = {"status": resp.status, "seen": seen, "operation": wr.operation_type,
               "times": [wr.time_accepted is not None, wr.time_started is not None, wr.time_finished is not None],
               "resources": [[r.action_type, r.entity_type, r.identifier, r.metadata] for r in wr.resources]}
head = c.head_object(NS, D, "dst.bin").headers
OUT["copied"] = {"head": dict(head), "source_etag": src.headers["etag"],
                 "data": c.get_object(NS, D, "dst.bin").data.content.decode()}
# Replaced metadata and a storage tier, followed with the SDK's own waiter.
resp2 = copy(destination_object_name="dst2.bin", destination_object_metadata={"opc-meta-new": "x"},
             destination_object_storage_tier="InfrequentAccess", source_object_if_match_e_tag=src.headers["etag"])
done = oci.wait_until(c, c.get_work_request(resp2.headers["opc-work-request-id"]), "status", "COMPLETED",
                      max_wait_seconds=30)
OUT["waited"] = [done.data.status, done.data.percent_complete, dict(c.head_object(NS, D, "dst2.bin").headers)]
listed = c.list_work_requests(compartment_id="ocid1.compartment.oc1..anycompartment").data
OUT["listed"] = [w.id for w in listed]
OUT["ids"] = [wr_id, resp2.headers["opc-work-request-id"]]
OUT["source_stale"] = error(lambda: copy(source_object_if_match_e_tag="stale"))
OUT["source_missing"] = error(lambda: copy(source_object_name="nope"))
OUT["bad_region"] = error(lambda: copy(destination_region="mars-1"))
# Create-only onto an existing destination: accepted, then the work request fails with the reason.
r3 = copy(destination_object_if_none_match_e_tag="*")
w3 = poll(r3.headers["opc-work-request-id"])
errors = c.list_work_request_errors(w3.id).data
OUT["create_only"] = [w3.status, [[e.code, e.message] for e in errors]]
# A source version: the old one is copied even though the object was overwritten since.
v1 = c.put_object(NS, V, "doc", b"version one").headers["version-id"]
c.put_object(NS, V, "doc", b"version two")
r4 = c.copy_object(NS, V, models.CopyObjectDetails(
    source_object_name="doc", source_version_id=v1, destination_region=ARGS["ashburn"], destination_namespace=NS,
    destination_bucket=V, destination_object_name="doc-v1"))
poll(r4.headers["opc-work-request-id"])
OUT["version_copy"] = c.get_object(NS, V, "doc-v1").data.content.decode()
'''

SDK_MULTIPART = r'''
B, big = ARGS["bucket"], ARGS["min_part"]
part1, part2 = b"a" * big, b"tail"
up = c.create_multipart_upload(NS, B, models.CreateMultipartUploadDetails(
    object="big.bin", content_type="application/x-big", metadata={"opc-meta-part": "yes"})).data
p1 = c.upload_part(NS, B, "big.bin", up.upload_id, 1, part1)
p2 = c.upload_part(NS, B, "big.bin", up.upload_id, 2, part2)
OUT["part_headers"] = dict(p2.headers)
OUT["uploads"] = [u.upload_id for u in c.list_multipart_uploads(NS, B).data]
OUT["parts"] = [[p.part_number, p.size] for p in c.list_multipart_upload_parts(NS, B, "big.bin", up.upload_id).data]
commit = c.commit_multipart_upload(NS, B, "big.bin", up.upload_id, models.CommitMultipartUploadDetails(
    parts_to_commit=[models.CommitMultipartUploadPartDetails(part_num=n, etag=p.headers["etag"])
                     for n, p in ((1, p1), (2, p2))]))
OUT["commit"] = dict(commit.headers)
OUT["head"] = dict(c.head_object(NS, B, "big.bin").headers)
OUT["data_ok"] = c.get_object(NS, B, "big.bin").data.content == part1 + part2
OUT["upload_id"] = up.upload_id
small = c.create_multipart_upload(NS, B, models.CreateMultipartUploadDetails(object="small.bin")).data
e1 = c.upload_part(NS, B, "small.bin", small.upload_id, 1, b"short").headers["etag"]
e2 = c.upload_part(NS, B, "small.bin", small.upload_id, 2, b"last").headers["etag"]
OUT["too_small"] = error(lambda: c.commit_multipart_upload(NS, B, "small.bin", small.upload_id,
    models.CommitMultipartUploadDetails(parts_to_commit=[models.CommitMultipartUploadPartDetails(part_num=1, etag=e1),
                                        models.CommitMultipartUploadPartDetails(part_num=2, etag=e2)])))
OUT["abort"] = c.abort_multipart_upload(NS, B, "small.bin", small.upload_id).status
OUT["after_abort"] = [u.object for u in c.list_multipart_uploads(NS, B).data]
'''

SDK_REJECTIONS = r'''
good = ARGS["config"]
OUT["good"] = c.get_namespace().data
OUT["wrong_key"] = error(lambda: client({**good, "key_content": ARGS["other_private_pem"]}).get_namespace())
OUT["unknown_key_id"] = error(lambda: client({**good, "user": "ocid1.user.oc1..stranger"}).get_namespace())
signer = oci.signer.Signer(good["tenancy"], good["user"], good["fingerprint"], None,
                           private_key_content=good["key_content"])
def send(method, path, body=None, date=None, tamper=None, content_headers=True):
    req = requests.Request(method, ARGS["endpoint"] + path, data=body,
                           headers={"date": date or formatdate(usegmt=True)}).prepare()
    signer(req) if content_headers else signer.without_content_headers(req)
    if tamper:
        tamper(req)
    resp = requests.Session().send(req)
    return [resp.status_code, resp.json() if resp.content else None, "opc-request-id" in resp.headers]
OUT["signed_by_hand"] = send("GET", "/n/")
OUT["stale_date"] = send("GET", "/n/", date=formatdate(time.time() - 600, usegmt=True))
OUT["future_date"] = send("GET", "/n/", date=formatdate(time.time() + 600, usegmt=True))
def swap_date(req):
    req.headers["date"] = formatdate(time.time() + 1, usegmt=True)
OUT["date_changed_after_signing"] = send("GET", "/n/", tamper=swap_date)
copy_path = f"/n/{ARGS['namespace']}/b/{ARGS['bucket']}/actions/copyObject"
def swap_body(req):
    req.body = req.body.replace(b"src", b"dst")
OUT["body_changed_after_signing"] = send("POST", copy_path, body=b'{"sourceObjectName": "src"}', tamper=swap_body)
OUT["post_without_body_headers"] = send("POST", copy_path, body=b"{}", content_headers=False)
OUT["no_authorization"] = [requests.get(ARGS["endpoint"] + "/n/").status_code,
                           requests.get(ARGS["endpoint"] + "/n/").json()["code"]]
'''


def run_sdk(script: str, **args: Any) -> dict[str, Any]:
    proc = subprocess.run([oci_python(), "-c", SDK_PRELUDE + script + "\nprint(json.dumps(OUT))\n", json.dumps(args)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"SDK script failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def api_key() -> ApiKeyPair:
    return new_api_key()


@pytest.fixture(scope="module")
def emu(api_key: ApiKeyPair):
    try:
        oci_python()
    except (RuntimeError, subprocess.TimeoutExpired) as e:  # as tests/unit/test_oci_signer.py: fail unless allowed
        if os.environ.get("OBJECTCOPY_ALLOW_MISSING_ORACLES") == "1":
            pytest.skip(f"OCI SDK unavailable: {e}")
        raise
    emulator = start_oci({api_key.key_id: api_key.public_pem}, min_part_size=1 << 20)
    yield emulator
    emulator.stop()


def bucket(emu: OciEmulator, region: str = ASHBURN, **kw: Any) -> str:
    name = f"b-{uuid.uuid4().hex[:10]}"
    emu.create_bucket(name, region=region, **kw)
    return name


def sdk_args(emu: OciEmulator, key: ApiKeyPair, **extra: Any) -> dict[str, Any]:
    return {"endpoint": emu.endpoint, "namespace": emu.namespace, "config": key.sdk_config(), **extra}


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


# ================================================================================================ the SDK as client
def test_sdk_objects(emu: OciEmulator, api_key: ApiKeyPair) -> None:
    out = run_sdk(SDK_OBJECTS, **sdk_args(emu, api_key, bucket=bucket(emu)))
    assert out["namespace"] == "objectcopy"
    put, head = out["put"], out["head"]
    uuid.UUID(put["etag"])                                    # opaque, not the MD5
    assert put["opc-content-md5"] == b64md5(b"hello world") == head["content-md5"]
    assert head["etag"] == put["etag"] and head["version-id"] == put["version-id"]
    assert head["content-length"] == "11" and head["content-type"] == "text/plain"
    assert head["opc-meta-colour"] == "blue" and head["storage-tier"] == "Standard" and "last-modified" in head
    assert out["get"] == "hello world"
    assert out["range"] == [206, "world", "bytes 6-10/11"]
    assert out["not_modified"]["status"] == 304
    assert (out["get_if_match_stale"]["status"], out["get_if_match_stale"]["code"]) == (412, "IfMatchFailed")
    assert (out["create_only_exists"]["status"], out["create_only_exists"]["code"]) == (412, "IfNoneMatchFailed")
    assert (out["overwrite_stale"]["status"], out["overwrite_stale"]["code"]) == (412, "IfMatchFailed")
    assert out["overwrite_current"] == 200
    assert (out["bad_md5"]["status"], out["bad_md5"]["code"]) == (400, "UnmatchedContentMD5")
    names = [[row[0] for row in page] for page in out["pages"]]
    assert names == [["list/0", "list/1"], ["list/2", "list/3"], ["list/4", "list/sub/deep"]]
    assert out["pages"][0][1] == ["list/1", 1, b64md5(b"x"), True, True]
    # Without fields= a listing names objects only, as OCI's does.
    assert out["delimited"] == [["list/0", "list/1", "list/2", "list/3", "list/4"], ["list/sub/"], None]
    assert (out["delete_stale"]["status"], out["delete_stale"]["code"]) == (412, "IfMatchFailed")
    assert out["delete"] == 204 and out["head_deleted"]["status"] == 404
    assert (out["no_bucket"]["status"], out["no_bucket"]["code"]) == (404, "BucketNotFound")


def test_sdk_copy_object_is_an_asynchronous_work_request(emu: OciEmulator, api_key: ApiKeyPair) -> None:
    src, dst, versioned = bucket(emu), bucket(emu, FRANKFURT), bucket(emu, versioning=True)
    out = run_sdk(SDK_COPY, **sdk_args(emu, api_key, source_bucket=src, destination_bucket=dst,
                                       versioned_bucket=versioned, frankfurt=FRANKFURT, ashburn=ASHBURN))
    copy = out["copy"]
    assert copy["status"] == 202 and copy["operation"] == "COPY_OBJECT" and copy["times"] == [True, True, True]
    statuses = [s for s, _ in copy["seen"]]
    assert statuses[0] == "ACCEPTED" and "IN_PROGRESS" in statuses and statuses[-1] == "COMPLETED"
    percents = [p for _, p in copy["seen"]]
    assert percents == sorted(percents) and len(set(percents)) >= 4 and percents[-1] == 100.0  # progress reported
    (src_action, _, src_id, src_meta), (dst_action, _, dst_id, dst_meta) = copy["resources"]
    assert (src_action, dst_action) == ("READ", "WRITTEN")
    assert src_id == f"objectcopy/{src}/src.bin" and dst_id == f"objectcopy/{dst}/dst.bin"
    assert src_meta["REGION"] == ASHBURN and dst_meta == {"REGION": FRANKFURT, "NAMESPACE": "objectcopy",
                                                          "BUCKET": dst, "OBJECT": "dst.bin"}
    head = out["copied"]["head"]
    assert out["copied"]["data"] == "source data" and head["etag"] != out["copied"]["source_etag"]
    assert head["opc-meta-k"] == "v" and head["content-type"] == "application/x-test"   # metadata inherited
    assert head["content-md5"] == b64md5(b"source data")
    status, percent, head2 = out["waited"]
    assert (status, percent) == ("COMPLETED", 100.0)
    assert head2["opc-meta-new"] == "x" and "opc-meta-k" not in head2 and head2["storage-tier"] == "InfrequentAccess"
    assert set(out["ids"]) <= set(out["listed"])
    assert (out["source_stale"]["status"], out["source_stale"]["code"]) == (412, "IfMatchFailed")
    assert (out["source_missing"]["status"], out["source_missing"]["code"]) == (404, "ObjectNotFound")
    assert out["bad_region"]["status"] == 400
    assert out["create_only"][0] == "FAILED" and out["create_only"][1][0][0] == "IfNoneMatchFailed"
    assert out["version_copy"] == "version one"


def test_sdk_multipart_upload(emu: OciEmulator, api_key: ApiKeyPair) -> None:
    min_part = 1 << 20
    out = run_sdk(SDK_MULTIPART, **sdk_args(emu, api_key, bucket=bucket(emu), min_part=min_part))
    part1, part2 = b"a" * min_part, b"tail"
    assert out["part_headers"]["etag"] == hashlib.md5(part2).hexdigest()
    assert out["part_headers"]["opc-content-md5"] == b64md5(part2)
    assert out["uploads"] == [out["upload_id"]] and out["parts"] == [[1, min_part], [2, 4]]
    digest = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).digest()
    expected = f"{base64.b64encode(digest).decode()}-2"
    assert out["commit"]["opc-multipart-md5"] == expected == out["head"]["opc-multipart-md5"]
    assert "content-md5" not in out["head"] and out["head"]["opc-meta-part"] == "yes"
    assert out["head"]["content-type"] == "application/x-big" and out["data_ok"]
    assert out["head"]["content-length"] == str(min_part + 4)
    assert out["too_small"]["status"] == 400
    assert out["abort"] == 204 and out["after_abort"] == []


def test_sdk_signatures_that_do_not_match_are_rejected(emu: OciEmulator, api_key: ApiKeyPair) -> None:
    other = new_api_key()
    out = run_sdk(SDK_REJECTIONS, **sdk_args(emu, api_key, bucket=bucket(emu), other_private_pem=other.private_pem))
    assert out["good"] == "objectcopy" and out["signed_by_hand"] == [200, "objectcopy", True]
    for case in ("wrong_key", "unknown_key_id"):
        assert (out[case]["status"], out[case]["code"]) == (401, "NotAuthenticated"), case
    for case in ("stale_date", "future_date", "date_changed_after_signing", "body_changed_after_signing",
                 "post_without_body_headers"):
        status, body, has_request_id = out[case]
        assert (status, body["code"], has_request_id) == (401, "NotAuthenticated", True), case
    assert "5 minutes" in out["stale_date"][1]["message"]
    assert "x-content-sha256" in out["body_changed_after_signing"][1]["message"]
    assert out["no_authorization"] == [401, "NotAuthenticated"]


# ================================================================================== our signer and the control API
class Client:
    """Requests signed by pulumi_objectcopy.signing.oci, as the provider signs them."""

    def __init__(self, emu: OciEmulator, key: ApiKeyPair) -> None:
        self.emu, self.key = emu, ApiKey(key.tenancy, key.user, key.fingerprint, key.private_pem)
        self.session = requests.Session()

    def __call__(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                 *, body_headers: bool | None = None) -> requests.Response:
        url = self.emu.endpoint + path
        sent = dict(headers or {})
        sent.update(sign(method, url, sent, body, key=self.key, date=formatdate(usegmt=True),
                         with_body_headers=body_headers))
        return self.session.request(method, url, data=body, headers=sent, timeout=10)

    def copy(self, src_bucket: str, **details: str) -> requests.Response:
        payload = {"destinationRegion": ASHBURN, "destinationNamespace": self.emu.namespace, **details}
        return self("POST", f"/n/{self.emu.namespace}/b/{src_bucket}/actions/copyObject",
                    json.dumps(payload).encode(), {"content-type": "application/json"})

    def wait(self, work_request: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (wr := self("GET", f"/workRequests/{work_request}").json())["status"] not in TERMINAL:
            assert time.monotonic() < deadline, wr
            time.sleep(0.01)
        return wr


@pytest.fixture
def client(emu: OciEmulator, api_key: ApiKeyPair) -> Client:
    return Client(emu, api_key)


def test_our_signer_passes(client: Client, emu: OciEmulator) -> None:
    b = bucket(emu)
    path = f"/n/objectcopy/b/{b}/o/a%2Fb%20c"
    assert client("GET", "/n/").json() == "objectcopy"
    put = client("PUT", path, b"payload", {"opc-meta-x": "1", "content-type": "text/plain"}, body_headers=False)
    assert put.status_code == 200
    # A PUT may also sign its body headers; then the hash must match, which it does.
    assert client("PUT", path, b"payload", {"content-type": "text/plain"}, body_headers=True).status_code == 200
    assert client("HEAD", path).headers["content-md5"] == b64md5(b"payload")
    assert client("GET", path).content == b"payload"
    copied = client.copy(b, sourceObjectName="a/b c", destinationBucket=b, destinationObjectName="copy")
    assert copied.status_code == 202
    assert client.wait(copied.headers["opc-work-request-id"])["status"] == "COMPLETED"
    assert client("DELETE", path).status_code == 204
    stranger = Client(emu, new_api_key())
    denied = stranger("GET", "/n/")
    assert (denied.status_code, denied.json()["code"]) == (401, "NotAuthenticated") and denied.headers["opc-request-id"]


def test_racing_create_only_puts_have_one_winner(emu: OciEmulator, api_key: ApiKeyPair) -> None:
    b = bucket(emu)
    path = f"/n/objectcopy/b/{b}/o/race"

    def put(i: int) -> int:
        return Client(emu, api_key)("PUT", path, f"writer {i}".encode(), {"if-none-match": "*"},
                                    body_headers=False).status_code
    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(put, range(16)))
    assert statuses == [200] + [412] * 15
    assert emu.get_object(b, "race")["data"].startswith(b"writer ")


def test_held_copy_is_found_running_and_completes_when_released(client: Client, emu: OciEmulator) -> None:
    src, dst = bucket(emu), bucket(emu, FRANKFURT)
    emu.put_object(src, "big", b"x" * 1000)
    emu.hold_copies(at=50)
    try:
        resp = client.copy(src, sourceObjectName="big", destinationRegion=FRANKFURT, destinationBucket=dst,
                           destinationObjectName="big")
        wr_id = resp.headers["opc-work-request-id"]
        emu.wait_for(lambda w: w["id"] == wr_id and w["percentComplete"] == 50.0)
        time.sleep(0.1)  # held: no further progress
        # What a retried create does: list work requests and find the one running for this source and destination.
        listing = client("GET", "/workRequests?compartmentId=ocid1.tenancy.oc1..whatever").json()
        want = ({"REGION": ASHBURN, "NAMESPACE": "objectcopy", "BUCKET": src, "OBJECT": "big"},
                {"REGION": FRANKFURT, "NAMESPACE": "objectcopy", "BUCKET": dst, "OBJECT": "big"})
        running = [w for w in listing if w["status"] in ("ACCEPTED", "IN_PROGRESS") and
                   ({k: v for k, v in w["resources"][0]["metadata"].items() if k != "VERSION_ID"},
                    w["resources"][1]["metadata"]) == want]
        assert [w["id"] for w in running] == [wr_id] and running[0]["percentComplete"] == 50.0
        with pytest.raises(ControlError):
            emu.get_object(dst, "big")    # nothing written yet
    finally:
        emu.release_copies()
    assert client.wait(wr_id)["status"] == "COMPLETED"
    assert emu.get_object(dst, "big")["data"] == b"x" * 1000


def test_source_changed_during_copy_fails_the_work_request(client: Client, emu: OciEmulator) -> None:
    b = bucket(emu)
    emu.put_object(b, "src", b"first")
    emu.hold_copies(at=30)
    try:
        wr_id = client.copy(b, sourceObjectName="src", destinationBucket=b,
                            destinationObjectName="dst").headers["opc-work-request-id"]
        emu.wait_for(lambda w: w["id"] == wr_id and w["percentComplete"] == 30.0)
        emu.put_object(b, "src", b"second")
    finally:
        emu.release_copies()
    wr = client.wait(wr_id)
    errors = client("GET", f"/workRequests/{wr_id}/errors").json()
    assert wr["status"] == "FAILED" and wr["percentComplete"] < 100
    assert errors[0]["code"] == "IfMatchFailed" and "changed" in errors[0]["message"] and errors[0]["timestamp"]
    with pytest.raises(ControlError):
        emu.get_object(b, "dst")


def test_faults_cancel_and_wrong_destination_region(client: Client, emu: OciEmulator) -> None:
    b, frankfurt = bucket(emu), bucket(emu, FRANKFURT)
    emu.put_object(b, "src", b"data")
    emu.fail_next_copy("InternalServerError", "disk on fire")
    failed = client.wait(client.copy(b, sourceObjectName="src", destinationBucket=b,
                                     destinationObjectName="dst").headers["opc-work-request-id"])
    assert failed["status"] == "FAILED"
    assert emu.work_requests()[-1]["errors"][0]["message"] == "disk on fire"
    # The destination bucket lives in Frankfurt; naming Ashburn fails the work request.
    wrong = client.wait(client.copy(b, sourceObjectName="src", destinationBucket=frankfurt,
                                    destinationObjectName="dst").headers["opc-work-request-id"])
    assert wrong["status"] == "FAILED" and emu.work_requests()[-1]["errors"][0]["code"] == "BucketNotFound"
    emu.hold_copies(at=10)
    try:
        wr_id = client.copy(b, sourceObjectName="src", destinationBucket=b,
                            destinationObjectName="dst").headers["opc-work-request-id"]
        assert client("DELETE", f"/workRequests/{wr_id}").status_code == 202
    finally:
        emu.release_copies()
    assert client.wait(wr_id)["status"] == "CANCELED"
    emu.fail_next(1, status=503, code="ServiceUnavailable", match="GET /n/")
    first, second = client("GET", "/n/"), client("GET", "/n/")
    assert (first.status_code, first.json()["code"], second.status_code) == (503, "ServiceUnavailable", 200)
    logged = [r for r in emu.requests() if r["path"] == "/n/"]
    assert logged and {k.lower(): v for k, v in logged[-1]["headers"].items()}["authorization"].startswith("Signature")
