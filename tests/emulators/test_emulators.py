"""The COS and OSS emulators, proven with the vendors' own SDKs as clients (COS here, OSS in
test_emulators_oss.py): every request is built and signed by cos-python-sdk-v5, oss2 or alibabacloud-oss-v2
(or replayed byte for byte from one they built), so a green run means the emulators accept exactly what the
SDKs send and answer in a shape the SDKs parse.

Addressing: the COS SDK's IP/Port options connect to 127.0.0.1 and send (and sign) the virtual-hosted
Host `<bucket>.cos.<region>.myqcloud.com`. The OSS SDKs use path-style for an IP endpoint
(http://127.0.0.1:port/<bucket>/<key>); for virtual-hosted style they keep the real endpoint and use the
emulator as their HTTP proxy (oss2 `proxies=`, alibabacloud_oss_v2 `proxy_host={'http': ...}`), so the
request reaches the emulator in absolute form with Host `<bucket>.oss-cn-hangzhou.aliyuncs.com`.
"""
from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from tests.emulators import Emulator, RecordedRequest, start_cos
from tests.emulators.store import md5_hex, multipart_etag

qcloud_cos = pytest.importorskip("qcloud_cos")
from qcloud_cos import CosConfig, CosS3Client, CosServiceError  # noqa: E402

COS_AK, COS_SK = "AKIDemulatorPermanent", "cos-secret"
COS_TMP_AK, COS_TMP_SK, COS_TOKEN = "AKIDemulatorTemporary", "cos-temp-secret", "cos-session-token"
CB, CVB = "examplebucket-1250000000", "versioned-1250000000"


# ==================================================================================================== COS
@pytest.fixture
def cos():
    emu = start_cos({COS_AK: COS_SK, COS_TMP_AK: COS_TMP_SK}, tokens={COS_TMP_AK: COS_TOKEN})
    emu.store.create_bucket(CB)
    emu.store.create_bucket(CVB, versioning=True)
    yield emu
    emu.stop()


def cos_client(emu: Emulator, secret_id: str = COS_AK, secret_key: str = COS_SK, token: str | None = None):
    conf = CosConfig(Region="ap-guangzhou", SecretId=secret_id, SecretKey=secret_key, Token=token,
                     Scheme="http", IP="127.0.0.1", Port=emu.port)
    return CosS3Client(conf, retry=0)  # no retries: fault tests count requests


def cos_error(call) -> CosServiceError:
    with pytest.raises(CosServiceError) as info:
        call()
    return info.value


def test_cos_put_get_head_list_delete(cos):
    c = cos_client(cos)
    key = "dir/a b+ü&=?.txt"
    put = c.put_object(Bucket=CB, Key=key, Body=b"hello world", ContentType="text/plain",
                       Metadata={"x-cos-meta-colour": "blue"})
    assert put["ETag"] == f'"{md5_hex(b"hello world")}"'
    assert cos.requests[-1].host == f"{CB}.cos.ap-guangzhou.myqcloud.com"  # virtual-hosted, and signed
    head = c.head_object(Bucket=CB, Key=key)
    assert head["x-cos-meta-colour"] == "blue" and head["Content-Type"] == "text/plain"
    assert head["Content-Length"] == "11" and head["Last-Modified"].endswith("GMT")
    assert c.get_object(Bucket=CB, Key=key, Range="bytes=6-").get("Body").get_raw_stream().read() == b"world"
    assert cos_error(lambda: c.get_object(Bucket=CB, Key=key, Range="bytes=50-")).get_status_code() == 416
    for name in ("dir/b", "dir/c", "other"):
        c.put_object(Bucket=CB, Key=name, Body=b"x")
    page = c.list_objects(Bucket=CB, Prefix="dir/", MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == [key, "dir/b"] and page["IsTruncated"] == "true"
    rest = c.list_objects(Bucket=CB, Prefix="dir/", Marker=page["NextMarker"])
    assert [o["Key"] for o in rest["Contents"]] == ["dir/c"] and rest["IsTruncated"] == "false"
    c.delete_object(Bucket=CB, Key=key)
    assert cos_error(lambda: c.head_object(Bucket=CB, Key=key)).get_status_code() == 404
    assert cos_error(lambda: c.get_object(Bucket=CB, Key=key)).get_error_code() == "NoSuchKey"


def test_cos_copy_metadata_directive_and_versions(cos):
    c = cos_client(cos)
    c.put_object(Bucket=CVB, Key="src", Body=b"v1", Metadata={"x-cos-meta-a": "1"}, ContentType="text/plain")
    v1 = cos.store.get(CVB, "src").version_id
    c.put_object(Bucket=CVB, Key="src", Body=b"v2", Metadata={"x-cos-meta-a": "2"})
    src = {"Bucket": CVB, "Key": "src", "Region": "ap-guangzhou"}
    copied = c.copy_object(Bucket=CVB, Key="copy", CopySource=src, CopyStatus="Copy")
    assert copied["ETag"] == f'"{md5_hex(b"v2")}"' and copied["x-cos-version-id"]
    assert copied["x-cos-copy-source-version-id"] == cos.store.get(CVB, "src").version_id
    assert cos.store.get(CVB, "copy").metadata == {"a": "2"}
    c.copy_object(Bucket=CB, Key="old", CopySource={**src, "VersionId": v1}, CopyStatus="Replaced",
                  Metadata={"x-cos-meta-b": "new"}, ContentType="application/json")
    old = cos.store.get(CB, "old")
    assert (old.data, old.metadata, old.content_type) == (b"v1", {"b": "new"}, "application/json")
    with pytest.raises(qcloud_cos.CosClientError):  # the SDK itself refuses other directive spellings
        c.copy_object(Bucket=CB, Key="x", CopySource=src, CopyStatus="REPLACE")
    rec = cos.last("PUT")
    assert cos.replay(rec, **{"x-cos-metadata-directive": "REPLACE"})[0] == 403  # signed header changed


def _cos_conditions(cos) -> dict[str, tuple[str, str]]:
    obj = cos.store.put(CB, "src", b"source data", last_modified=int(time.time()) - 3600)
    lm = obj.last_modified
    return {  # SDK argument: (value that holds, value that fails)
        "CopySourceIfMatch": (f'"{obj.etag}"', '"0123456789abcdef0123456789abcdef"'),
        "CopySourceIfNoneMatch": ('"0123456789abcdef0123456789abcdef"', f'"{obj.etag}"'),
        "CopySourceIfModifiedSince": (formatdate(lm - 60, usegmt=True), formatdate(lm + 60, usegmt=True)),
        "CopySourceIfUnmodifiedSince": (formatdate(lm + 60, usegmt=True), formatdate(lm - 60, usegmt=True)),
    }


@pytest.mark.parametrize("condition", ["CopySourceIfMatch", "CopySourceIfNoneMatch", "CopySourceIfModifiedSince",
                                       "CopySourceIfUnmodifiedSince"])
def test_cos_copy_conditions(cos, condition):
    c = cos_client(cos)
    holds, fails = _cos_conditions(cos)[condition]
    src = {"Bucket": CB, "Key": "src", "Region": "ap-guangzhou"}
    err = cos_error(lambda: c.copy_object(Bucket=CB, Key="dst", CopySource=src, **{condition: fails}))
    assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed")
    assert not cos.store.exists(CB, "dst")  # nothing written on failure
    upload = c.create_multipart_upload(Bucket=CB, Key="mp")["UploadId"]
    err = cos_error(lambda: c.upload_part_copy(Bucket=CB, Key="mp", PartNumber=1, UploadId=upload, CopySource=src,
                                               **{condition: fails}))
    assert err.get_status_code() == 412
    c.copy_object(Bucket=CB, Key="dst", CopySource=src, **{condition: holds})
    assert cos.store.get(CB, "dst").data == b"source data"


def test_cos_multipart_part_copy_complete_abort(cos):
    c = cos_client(cos)
    mib = 1 << 20
    source = bytes(range(256)) * (mib * 5 // 2 // 256)  # 2.5 MiB
    cos.store.put(CB, "big", source)
    src = {"Bucket": CB, "Key": "big", "Region": "ap-guangzhou"}
    upload = c.create_multipart_upload(Bucket=CB, Key="joined")["UploadId"]
    assert [u["UploadId"] for u in c.list_multipart_uploads(Bucket=CB)["Upload"]] == [upload]
    e1 = c.upload_part(Bucket=CB, Key="joined", Body=source[:mib], PartNumber=1, UploadId=upload)["ETag"]
    e2 = c.upload_part_copy(Bucket=CB, Key="joined", PartNumber=2, UploadId=upload, CopySource=src,
                            CopySourceRange=f"bytes={mib}-{2 * mib - 1}")["ETag"]
    e3 = c.upload_part_copy(Bucket=CB, Key="joined", PartNumber=3, UploadId=upload, CopySource=src,
                            CopySourceRange=f"bytes={2 * mib}-{len(source) - 1}")["ETag"]
    parts = [{"PartNumber": n, "ETag": e} for n, e in ((1, e1), (2, e2), (3, e3))]
    wrong = [parts[0], {"PartNumber": 2, "ETag": '"00000000000000000000000000000000"'}, parts[2]]
    err = cos_error(lambda: c.complete_multipart_upload(Bucket=CB, Key="joined", UploadId=upload,
                                                        MultipartUpload={"Part": wrong}))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidPart")
    done = c.complete_multipart_upload(Bucket=CB, Key="joined", UploadId=upload, MultipartUpload={"Part": parts})
    pieces = (source[:mib], source[mib:2 * mib], source[2 * mib:])
    assert done["ETag"] == f'"{multipart_etag(md5_hex(p) for p in pieces)}"'
    assert cos.store.get(CB, "joined").data == source
    # Parts below 1 MB are refused at Complete unless last; Abort answers 204 and forgets the upload.
    upload = c.create_multipart_upload(Bucket=CB, Key="small")["UploadId"]
    small = [{"PartNumber": n, "ETag": c.upload_part(Bucket=CB, Key="small", Body=b"tiny", PartNumber=n,
                                                     UploadId=upload)["ETag"]} for n in (1, 2)]
    err = cos_error(lambda: c.complete_multipart_upload(Bucket=CB, Key="small", UploadId=upload,
                                                        MultipartUpload={"Part": small}))
    assert err.get_error_code() == "EntityTooSmall"
    c.abort_multipart_upload(Bucket=CB, Key="small", UploadId=upload)
    assert cos.requests[-1].method == "DELETE" and "Upload" not in c.list_multipart_uploads(Bucket=CB)
    assert cos_error(lambda: c.upload_part(Bucket=CB, Key="small", Body=b"x", PartNumber=3, UploadId=upload)
                     ).get_error_code() == "NoSuchUpload"


def test_cos_fault_switches_and_hook(cos):
    c = cos_client(cos)
    c.put_object(Bucket=CB, Key="src", Body=b"data")
    src = {"Bucket": CB, "Key": "src", "Region": "ap-guangzhou"}
    cos.fail_next(1, status=503, code="SlowDown")
    err = cos_error(lambda: c.head_object(Bucket=CB, Key="src"))
    assert err.get_status_code() == 503
    cos.fail_next_copy()  # 200 + <Error><Code>InternalError</Code>: the SDK sees no ETag and raises
    err = cos_error(lambda: c.copy_object(Bucket=CB, Key="dst", CopySource=src))
    assert (err.get_status_code(), err.get_error_code()) == (200, "InternalError")
    assert not cos.store.exists(CB, "dst")
    etag = c.head_object(Bucket=CB, Key="src")["ETag"]

    def change_source(emu, request):  # the object changes between the client's HEAD and its copy
        if request.method == "PUT":
            emu.store.put(CB, "src", b"changed")
    cos.before_request = change_source
    err = cos_error(lambda: c.copy_object(Bucket=CB, Key="dst", CopySource=src, CopySourceIfMatch=etag))
    assert err.get_status_code() == 412 and not cos.store.exists(CB, "dst")


def test_cos_signature_checks(cos):
    c = cos_client(cos)
    c.put_object(Bucket=CB, Key="k", Body=b"original", Metadata={"x-cos-meta-m": "1"})
    rec = cos.last("PUT")
    assert cos.replay(rec)[0] == 200  # the untouched replay is valid...
    status, body = cos.replay(rec, **{"x-cos-meta-m": "2"})  # ...a signed header changed after signing is not
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body and b"<TraceId>" in body
    assert cos.store.get(CB, "k").metadata == {"m": "1"}
    err = cos_error(lambda: cos_client(cos, secret_key="wrong").head_object(Bucket=CB, Key="k"))
    assert err.get_status_code() == 403
    err = cos_error(lambda: cos_client(cos, secret_key="wrong").get_object(Bucket=CB, Key="k"))
    assert (err.get_status_code(), err.get_error_code()) == (403, "SignatureDoesNotMatch")
    err = cos_error(lambda: cos_client(cos, secret_id="AKIDunknown").get_object(Bucket=CB, Key="k"))
    assert err.get_error_code() == "InvalidAccessKeyId"
    # A temporary key is valid only with its token (the SDK signs x-cos-security-token as an x-cos-* header).
    assert cos_client(cos, COS_TMP_AK, COS_TMP_SK, COS_TOKEN).get_object(Bucket=CB, Key="k")["ETag"]
    for token in (None, "other-token"):
        client = cos_client(cos, COS_TMP_AK, COS_TMP_SK, token)
        err = cos_error(lambda: client.get_object(Bucket=CB, Key="k"))  # noqa: B023 - called at once
        assert (err.get_status_code(), err.get_error_code()) == (403, "InvalidAccessKeyId")
    host = f"{CB}.cos.ap-guangzhou.myqcloud.com"
    expired = c.get_auth(Method="GET", Bucket=CB, Key="k", Expired=-3600, Headers={"Host": host})
    rec = RecordedRequest("GET", "/k", {"Host": host, "Authorization": expired}, host)
    status, body = cos.replay(rec)
    assert status == 403 and b"Request has expired" in body


def test_cos_verifier_reproduces_published_vector():
    """The server's use of the SDK signer, fed the doc's explicit header list (which includes `date`, a header
    the SDK itself never signs), reproduces the published signature (cloud.tencent.com/document/product/436/7778)."""
    from tests.emulators.cos_server import sdk_signature
    headers = {"content-length": "13", "content-md5": "mQ/fVh815F3k6TAUm8m0eg==", "content-type": "text/plain",
               "date": "Thu, 16 May 2019 06:45:51 GMT", "host": "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
               "x-cos-acl": "private", "x-cos-grant-read": 'uin="100000000011"'}
    sig = sdk_signature("AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q", "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", "PUT",
                        "/exampleobject(腾讯云)", {}, headers, "1557989151;1557996351")
    assert sig == "3b8851a11a569213c17ba8fa7dcf2abec6935172"
