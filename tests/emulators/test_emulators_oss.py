"""The OSS emulator proven with oss2 and alibabacloud-oss-v2 as clients (see test_emulators.py for COS and
for how each SDK is pointed at the emulator in path-style and virtual-hosted style)."""
from __future__ import annotations

import io
import time
from email.utils import formatdate
from http.client import parse_headers
from unittest import mock

import pytest

from tests.emulators import Emulator, start_oss
from tests.emulators.store import md5_hex, multipart_etag

oss2 = pytest.importorskip("oss2")
oss = pytest.importorskip("alibabacloud_oss_v2")

AK, SK = "LTAIemulator", "oss-secret"
TMP_AK, TMP_SK, TOKEN = "STS.emulator", "oss-temp-secret", "oss-session-token"
B, VB, REGION = "examplebucket", "versionedbucket", "cn-hangzhou"
VHOST = f"http://oss-{REGION}.aliyuncs.com"


@pytest.fixture
def emu():
    emulator = start_oss({AK: SK, TMP_AK: TMP_SK}, tokens={TMP_AK: TOKEN}, region=REGION)
    emulator.store.create_bucket(B)
    emulator.store.create_bucket(VB, versioning=True)
    yield emulator
    emulator.stop()


def bucket(emu: Emulator, style: str = "path", auth=None, name: str = B, region: str = REGION):
    """oss2: an IP endpoint means path-style; virtual-hosted keeps the real endpoint, emulator as proxy."""
    auth = auth or oss2.AuthV4(AK, SK)
    if style == "path":
        return oss2.Bucket(auth, emu.endpoint, name, region=region)
    return oss2.Bucket(auth, VHOST, name, region=region, proxies={"http": emu.endpoint})


def client(emu: Emulator, style: str = "path", version: str = "v4", token: str | None = None,
           ak: str = AK, sk: str = SK):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ak, sk, token)
    cfg.region, cfg.signature_version, cfg.retry_max_attempts = REGION, version, 1
    if style == "path":
        cfg.endpoint = emu.endpoint
    else:  # the SDK's str form of proxy_host ({'http://': ...}) is not matched by requests; the dict form is
        cfg.endpoint, cfg.disable_ssl, cfg.proxy_host = f"oss-{REGION}.aliyuncs.com", True, {"http": emu.endpoint}
    return oss.Client(cfg)


def oss2_error(call) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as info:
        call()
    return info.value


def v2_error(call):
    with pytest.raises(oss.exceptions.OperationError) as info:
        call()
    return info.value.unwrap()


@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize("auth", [oss2.Auth, oss2.AuthV4], ids=["v1", "v4"])
def test_oss2_put_get_head_list_delete(emu, style, auth):
    b = bucket(emu, style, auth(AK, SK))
    key = "dir/a b+ü&=?.txt"
    put = b.put_object(key, b"hello world", headers={"x-oss-meta-colour": "blue", "Content-Type": "text/plain"})
    # OSS spells ETags in upper case; oss2 also checked our x-oss-hash-crc64ecma against its own
    assert put.etag == md5_hex(b"hello world").upper()
    sent = emu.requests[-1]
    assert (sent.host, sent.path.startswith(f"/{B}/")) == ((f"{B}.oss-{REGION}.aliyuncs.com", False)
                                                          if style == "virtual" else (f"127.0.0.1:{emu.port}", True))
    head = b.head_object(key)
    assert head.headers["x-oss-meta-colour"] == "blue" and head.content_type == "text/plain"
    assert head.headers["x-oss-object-type"] == "Normal" and head.headers["x-oss-storage-class"] == "Standard"
    assert b.get_object(key, byte_range=(6, None)).read() == b"world"
    assert oss2_error(lambda: b.get_object(key, headers={"If-None-Match": f'"{put.etag}"'})).status == 304
    assert oss2_error(lambda: b.get_object(key, headers={"If-Match": '"0"'})).code == "PreconditionFailed"
    assert b.get_object(key, byte_range=(50, None)).read() == b"hello world"  # OSS: whole object, 200
    err = oss2_error(lambda: b.get_object(key, byte_range=(50, None), headers={"x-oss-range-behavior": "standard"}))
    assert err.status == 416
    for name in ("dir/b", "dir/c", "other"):
        b.put_object(name, b"x")
    page = b.list_objects(prefix="dir/", max_keys=2)
    assert [o.key for o in page.object_list] == [key, "dir/b"] and page.is_truncated
    assert [o.key for o in b.list_objects(prefix="dir/", marker=page.next_marker).object_list] == ["dir/c"]
    assert b.delete_object(key).status == 204
    assert oss2_error(lambda: b.get_object(key)).code == "NoSuchKey"


@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize("version", ["v1", "v4"])
def test_oss_v2_sdk_basic_and_copy(emu, style, version):
    c = client(emu, style, version)
    c.put_object(oss.PutObjectRequest(bucket=B, key="src obj", body=b"payload", metadata={"a": "1"}))
    assert c.head_object(oss.HeadObjectRequest(bucket=B, key="src obj")).etag == f'"{md5_hex(b"payload").upper()}"'
    listed = c.list_objects_v2(oss.ListObjectsV2Request(bucket=B, prefix="src"))
    assert [o.key for o in listed.contents] == ["src obj"]
    c.copy_object(oss.CopyObjectRequest(bucket=B, key="dst", source_key="src obj", metadata_directive="REPLACE",
                                        metadata={"b": "2"}))
    assert emu.store.get(B, "dst").metadata == {"b": "2"}
    assert c.get_object(oss.GetObjectRequest(bucket=B, key="dst")).body.read() == b"payload"


def test_oss_copy_directives_encryption_acl_class_overwrite(emu):
    b = bucket(emu)
    b.put_object("src", b"data", headers={"x-oss-meta-a": "1", "x-oss-tagging": "t=1",
                                          "x-oss-server-side-encryption": "AES256"})
    b.copy_object(B, "src", "plain")
    plain = emu.store.get(B, "plain")
    # COPY / Copy by default; encryption is never inherited (the seed), the class is the default one.
    assert (plain.metadata, plain.tags, plain.sse, plain.storage_class) == ({"a": "1"}, {"t": "1"}, None, "Standard")
    headers = {"x-oss-metadata-directive": "REPLACE", "x-oss-meta-b": "2", "x-oss-tagging-directive": "Replace",
               "x-oss-tagging": "k=v&x=", "x-oss-server-side-encryption": "KMS",
               "x-oss-server-side-encryption-key-id": "key-1", "x-oss-object-acl": "private",
               "x-oss-storage-class": "IA"}
    result = b.copy_object(B, "src", "replaced", headers=headers)
    assert result.headers["x-oss-server-side-encryption"] == "KMS"
    assert b.get_object_tagging("replaced").tag_set.tagging_rule == {"k": "v", "x": ""}
    head = b.head_object("replaced").headers
    assert (head["x-oss-meta-b"], head["x-oss-storage-class"], head["x-oss-server-side-encryption-key-id"]) == \
        ("2", "IA", "key-1")
    assert "x-oss-meta-a" not in head and emu.store.get(B, "replaced").acl == "private"
    err = oss2_error(lambda: b.copy_object(B, "src", "plain", headers={"x-oss-forbid-overwrite": "true"}))
    assert (err.status, err.code) == (409, "FileAlreadyExists")
    bad = {"x-oss-server-side-encryption": "AES128"}
    assert oss2_error(lambda: b.copy_object(B, "src", "z", headers=bad)).code == "InvalidEncryptionAlgorithmError"
    bad = {"x-oss-metadata-directive": "Replace"}
    assert oss2_error(lambda: b.copy_object(B, "src", "z", headers=bad)).code == "InvalidArgument"
    assert not emu.store.exists(B, "z")
    v = bucket(emu, name=VB)
    first = v.put_object("k", b"one").versionid
    v.put_object("k", b"two")
    result = v.copy_object(VB, "k", "old", params={"versionId": first})
    assert result.headers["x-oss-copy-source-version-id"] == first and result.versionid
    assert emu.store.get(VB, "old").data == b"one"


def _conditions(emu) -> dict[str, tuple[str, str]]:
    obj = emu.store.put(B, "src", b"source data", last_modified=int(time.time()) - 3600)
    lm, other = obj.last_modified, '"0123456789ABCDEF0123456789ABCDEF"'
    return {  # header suffix: (value that holds, value that fails)
        "if-match": (f'"{obj.etag}"', other), "if-none-match": (other, f'"{obj.etag}"'),
        "if-modified-since": (formatdate(lm - 60, usegmt=True), formatdate(lm + 60, usegmt=True)),
        "if-unmodified-since": (formatdate(lm + 60, usegmt=True), formatdate(lm - 60, usegmt=True)),
    }


@pytest.mark.parametrize("condition,status", [("if-match", 412), ("if-none-match", 304),
                                              ("if-modified-since", 304), ("if-unmodified-since", 412)])
def test_oss_copy_conditions(emu, condition, status):
    b = bucket(emu)
    holds, fails = _conditions(emu)[condition]
    name = f"x-oss-copy-source-{condition}"
    assert oss2_error(lambda: b.copy_object(B, "src", "dst", headers={name: fails})).status == status
    assert not emu.store.exists(B, "dst")
    upload = b.init_multipart_upload("mp").upload_id
    err = oss2_error(lambda: b.upload_part_copy(B, "src", None, "mp", upload, 1, headers={name: fails}))
    assert err.status == status
    b.copy_object(B, "src", "dst", headers={name: holds})
    assert emu.store.get(B, "dst").data == b"source data"


def test_oss_multipart_part_copy_complete_abort(emu):
    b = bucket(emu, auth=oss2.Auth(AK, SK))  # V1: sub-resources (uploads, uploadId, partNumber) are signed
    kib = 1024
    source = bytes(range(256)) * (250 * kib // 256)
    emu.store.put(B, "big", source)
    upload = b.init_multipart_upload("joined").upload_id
    assert [u.upload_id for u in b.list_multipart_uploads().upload_list] == [upload]
    e1 = b.upload_part("joined", upload, 1, source[:100 * kib]).etag
    e2 = b.upload_part_copy(B, "big", (100 * kib, 200 * kib - 1), "joined", upload, 2).etag
    e3 = b.upload_part_copy(B, "big", (200 * kib, len(source) - 1), "joined", upload, 3).etag
    err = oss2_error(lambda: b.upload_part_copy(B, "big", (0, len(source)), "joined", upload, 4))
    assert (err.status, err.code) == (400, "InvalidArgument")  # range beyond the source
    parts = [oss2.models.PartInfo(n, e) for n, e in ((1, e1), (2, e2), (3, e3))]
    wrong = [parts[0], oss2.models.PartInfo(2, "00000000000000000000000000000000"), parts[2]]
    assert oss2_error(lambda: b.complete_multipart_upload("joined", upload, wrong)).code == "InvalidPart"
    done = b.complete_multipart_upload("joined", upload, parts)
    chunks = (source[:100 * kib], source[100 * kib:200 * kib], source[200 * kib:])
    assert done.etag == multipart_etag(md5_hex(p) for p in chunks).upper()
    assert b.get_object("joined").read() == source
    assert b.head_object("joined").headers["x-oss-object-type"] == "Multipart"
    upload = b.init_multipart_upload("small").upload_id
    small = [oss2.models.PartInfo(n, b.upload_part("small", upload, n, b"tiny").etag) for n in (1, 2)]
    assert oss2_error(lambda: b.complete_multipart_upload("small", upload, small)).code == "EntityTooSmall"
    assert b.abort_multipart_upload("small", upload).status == 204
    assert oss2_error(lambda: b.upload_part("small", upload, 3, b"x")).code == "NoSuchUpload"
    c = client(emu, "virtual", "v4")  # the v2 SDK's multipart calls, signed V4, with versioning on
    up = c.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=VB, key="v")).upload_id
    part = c.upload_part_copy(oss.UploadPartCopyRequest(bucket=VB, key="v", part_number=1, upload_id=up,
                                                        source_bucket=B, source_key="big", source_range="bytes=0-9"))
    done = c.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=VB, key="v", upload_id=up, complete_multipart_upload=oss.CompleteMultipartUpload(
            parts=[oss.UploadPart(part_number=1, etag=part.etag)])))
    assert done.version_id and emu.store.get(VB, "v").data == source[:10]


def test_oss_fault_switches_and_hook(emu):
    b = bucket(emu)
    b.put_object("src", b"data")
    emu.fail_next(1, status=503, code="SlowDown")
    err = oss2_error(lambda: b.get_object("src"))
    assert (err.status, err.code) == (503, "SlowDown")
    emu.fail_next_copy()
    result = b.copy_object(B, "src", "dst")  # oss2 does not read the body of a 200 copy...
    assert result.status == 200 and b"<Code>InternalError</Code>" in result.resp.read()
    assert not emu.store.exists(B, "dst")  # ...which said the copy failed
    etag = b.head_object("src").etag

    def change_source(emulator, request):
        if request.method == "PUT":
            emulator.store.put(B, "src", b"changed")
    emu.before_request = change_source
    err = oss2_error(lambda: b.copy_object(B, "src", "dst", headers={"x-oss-copy-source-if-match": etag}))
    assert err.status == 412 and not emu.store.exists(B, "dst")


@pytest.mark.parametrize("auth", [oss2.Auth, oss2.AuthV4], ids=["v1", "v4"])
def test_oss_signature_checks(emu, auth):
    b = bucket(emu, auth=auth(AK, SK))
    b.put_object("k", b"original", headers={"x-oss-meta-m": "1"})
    rec = emu.last("PUT")
    assert emu.replay(rec)[0] == 200
    status, body = emu.replay(rec, **{"x-oss-meta-m": "2"})  # a signed header changed after signing
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body and b"<EC>0002-00000040</EC>" in body
    assert emu.store.get(B, "k").metadata == {"m": "1"}
    err = oss2_error(lambda: bucket(emu, auth=auth(AK, "wrong")).get_object("k"))
    assert (err.status, err.code, err.ec) == (403, "SignatureDoesNotMatch", "0002-00000040")
    assert oss2_error(lambda: bucket(emu, auth=auth("LTAIunknown", SK)).get_object("k")).code == "InvalidAccessKeyId"
    version = "v4" if auth is oss2.AuthV4 else None
    sts = oss2.StsAuth(TMP_AK, TMP_SK, TOKEN, **({"auth_version": version} if version else {}))
    assert bucket(emu, auth=sts).get_object("k").read() == b"original"
    err = oss2_error(lambda: bucket(emu, auth=auth(TMP_AK, TMP_SK)).get_object("k"))  # token left out
    assert (err.status, err.code, err.ec) == (403, "InvalidAccessKeyId", "0002-00000003")
    wrong = oss2.StsAuth(TMP_AK, TMP_SK, "other", **({"auth_version": version} if version else {}))
    assert oss2_error(lambda: bucket(emu, auth=wrong).get_object("k")).code == "InvalidSecurityToken"


def test_oss_signature_details(emu):
    emu.store.put(B, "k", b"v")
    # V4 AdditionalHeaders are honoured: with 'range' signed, a different Range fails. alibabacloud_oss_v2
    # 1.4.1 never passes Config.additional_headers to its signer, so oss2's signer is asked directly.
    class RangeSigned(oss2.AuthV4):
        def _sign_request(self, req, bucket_name, key, in_additional_headers=None):
            super()._sign_request(req, bucket_name, key, in_additional_headers=["range"])
    bucket(emu, auth=RangeSigned(AK, SK)).get_object("k", byte_range=(0, 0))
    rec = emu.last("GET")
    assert "AdditionalHeaders=range" in rec.headers["Authorization"]
    assert emu.replay(rec)[0] == 206 and emu.replay(rec, Range="bytes=0-1")[0] == 403
    # The v2 SDK's V1 signer sends the token as an unsigned 'security-token' header; accepted.
    v1 = client(emu, version="v1", ak=TMP_AK, sk=TMP_SK, token=TOKEN)
    assert v1.get_object(oss.GetObjectRequest(bucket=B, key="k")).body.read() == b"v"
    assert v2_error(lambda: client(emu, ak=TMP_AK, sk=TMP_SK).head_object(
        oss.HeadObjectRequest(bucket=B, key="k"))).status_code == 403
    with mock.patch("oss2.auth.utils.http_date", return_value=formatdate(time.time() - 3600, usegmt=True)):
        err = oss2_error(lambda: bucket(emu, auth=oss2.Auth(AK, SK)).get_object("k"))
    assert (err.status, err.code) == (403, "RequestTimeTooSkewed")
    err = oss2_error(lambda: bucket(emu, region="cn-shanghai").get_object("k"))  # V4 scope names another region
    assert (err.status, err.code) == (400, "InvalidArgument")


def test_oss_v1_verifier_reproduces_doc_vector():
    """oss2's signer as the server uses it reproduces the OSS documentation's V1 example."""
    from tests.emulators.base import Request
    from tests.emulators.oss_server import v1_signature
    raw = (b"Content-MD5: ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\r\nContent-Type: text/html\r\n"
           b"Date: Thu, 17 Nov 2005 18:49:58 GMT\r\nX-OSS-Meta-Author: foo@bar.com\r\n"
           b"X-OSS-Magic: abracadabra\r\nHost: oss-example.oss-cn-hangzhou.aliyuncs.com\r\n\r\n")
    req = Request("PUT", "/nelson", "/nelson", "", "oss-example.oss-cn-hangzhou.aliyuncs.com",
                  parse_headers(io.BytesIO(raw)), b"")
    sig = v1_signature("44CF9590006BF252F707", "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", "", req,
                       "oss-example", "nelson")
    assert sig == "26NBxoKdsyly4EDv6inkoDft/yA="


def test_oss_spells_every_etag_in_upper_case(emu):
    """Alibaba's pages show upper-case hex in every ETag: PutObject, UploadPart (`7265F4D2...`), CopyObject,
    UploadPartCopy, CompleteMultipartUpload (`...-3`), HEAD, GET and the listings. Read here with oss2."""
    b = bucket(emu)
    data = bytes(range(256)) * 800
    upper = md5_hex(data).upper()
    assert b.put_object("src", data).etag == upper
    assert b.head_object("src").etag == upper and b.get_object("src").etag == upper
    assert [o.etag for o in b.list_objects(prefix="src").object_list] == [upper]
    assert [o.etag for o in b.list_objects_v2(prefix="src").object_list] == [upper]
    assert b.copy_object(B, "src", "copy").etag == upper
    upload = b.init_multipart_upload("mp").upload_id
    first = b.upload_part("mp", upload, 1, data[:102400]).etag
    second = b.upload_part_copy(B, "src", (102400, len(data) - 1), "mp", upload, 2).etag
    assert (first, second) == (md5_hex(data[:102400]).upper(), md5_hex(data[102400:]).upper())
    done = b.complete_multipart_upload("mp", upload, [oss2.models.PartInfo(1, first), oss2.models.PartInfo(2, second)])
    assert done.etag == multipart_etag([first, second]).upper() and done.etag.endswith("-2")
    assert b.head_object("mp").etag == done.etag


@pytest.mark.parametrize("status", ["Enabled", "Suspended"])
def test_forbid_overwrite_does_not_hold_once_a_bucket_has_versioning(emu, status):
    """CopyObject and PutObject: x-oss-forbid-overwrite "does not take effect when versioning is enabled or
    suspended". The versioning API as oss2 and the v2 SDK call it."""
    b = bucket(emu)
    assert b.get_bucket_versioning().status is None  # never versioned: no <Status>
    b.put_object("src", b"new")
    b.put_object("dst", b"precious")
    assert oss2_error(lambda: b.put_object("dst", b"x", headers={"x-oss-forbid-overwrite": "true"})).status == 409
    b.put_bucket_versioning(oss2.models.BucketVersioningConfig("Enabled"))
    if status == "Suspended":
        c = client(emu)
        c.put_bucket_versioning(oss.PutBucketVersioningRequest(
            bucket=B, versioning_configuration=oss.VersioningConfiguration(status="Suspended")))
        got = c.get_bucket_versioning(oss.GetBucketVersioningRequest(bucket=B))
        assert got.version_status == "Suspended"
    assert b.get_bucket_versioning().status == status
    b.copy_object(B, "src", "dst", headers={"x-oss-forbid-overwrite": "true"})
    assert b.get_object("dst").read() == b"new"
    b.put_object("dst", b"newer", headers={"x-oss-forbid-overwrite": "true"})
    assert b.get_object("dst").read() == b"newer"
    bad = _put_versioning_raw(emu, b"<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>")
    assert bad.status == 400 and bad.code == "MalformedXML"


def _put_versioning_raw(emu, body: bytes):
    return oss2_error(lambda: bucket(emu)._Bucket__do_bucket("PUT", data=body, params={"versioning": ""}))
