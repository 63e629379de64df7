"""Multipart paths on every store, made cheap with small limits: server-side part copies (S3 UploadPartCopy, Swift
segments copied with a Range into an SLO), streamed parts between stores, and failures in the middle that must leave
no upload and no destination object behind."""
from __future__ import annotations

import hashlib
import json

import pytest

from pulumi_objectcopy import profiles, transfer
from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import AccessDenied, MiB, PreconditionFailed, WriteOptions
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse

from ..conftest import BACKEND_NAMES
from ..counting_proxy import CountingProxy

SMALL = TransferConfig(multipart_threshold=1, part_size=5 * MiB, concurrency=3)
DATA = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(400_000))[:12 * MiB + 17]  # 3 parts


def _uploads_left(backend, key_prefix: str) -> list:
    return backend.uploads_left(key_prefix)


@pytest.mark.parametrize("name", ["minio", "swift-s3", "swift", "cos", "oss"])
def test_server_side_multipart_keeps_content_and_metadata(backends, key_prefix, name):
    backend = backends(name)
    backend.put(key_prefix + "big", DATA, meta={"tier": "gold"}, content_type="application/x-dump")
    result = transfer.copy_object(parse(backend.url(key_prefix + "big")), parse(backend.url(key_prefix + "copy")),
                                  config=SMALL)
    assert result.method == "server-side-multipart"
    assert backend.get(key_prefix + "copy") == DATA
    head = backend.head(key_prefix + "copy")
    assert head["meta"] == {"tier": "gold"} and head["content_type"] == "application/x-dump"
    assert head["size"] == len(DATA) == result.destination.size


def test_multipart_copy_carries_tags(backends, key_prefix):
    minio = backends("minio")
    minio.client.put_object(Bucket=minio.bucket, Key=key_prefix + "big", Body=DATA, Tagging="origin=golden")
    transfer.copy_object(parse(minio.url(key_prefix + "big")), parse(minio.url(key_prefix + "copy")), config=SMALL)
    tags = minio.client.get_object_tagging(Bucket=minio.bucket, Key=key_prefix + "copy")["TagSet"]
    assert tags == [{"Key": "origin", "Value": "golden"}]


PAIRS = [(a, b) for a in BACKEND_NAMES for b in BACKEND_NAMES if a != b]


@pytest.mark.parametrize("src_name,dst_name", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_streamed_multipart_between_stores(backends, key_prefix, src_name, dst_name):
    src, dst = backends(src_name), backends(dst_name)
    src.put(key_prefix + "big", DATA, meta={"origin": src_name}, content_type="application/x-dump")
    result = transfer.copy_object(parse(src.url(key_prefix + "big")), parse(dst.url(key_prefix + "copy")),
                                  config=SMALL)
    assert result.method == "streamed-multipart"
    assert dst.get(key_prefix + "copy") == DATA
    if src.scheme != "file":
        assert dst.head(key_prefix + "copy")["meta"] == {"origin": src_name}
    assert _uploads_left(dst, key_prefix) == [] or dst.scheme == "swift"  # Swift keeps its segments: the SLO uses them


@pytest.fixture
def faulty(backends):
    """MinIO and Swift behind one counting proxy each, named by the profiles `faulty-s3` and `faulty-swift`."""
    backends("minio"), backends("swift")
    s3_proxy, swift_proxy = CountingProxy("http://127.0.0.1:19000"), CountingProxy("http://127.0.0.1:18080")
    profiles.set_stack_config({"objectcopy:profiles": json.dumps({
        "faulty-s3": {"scheme": "s3", "endpoint": s3_proxy.url, "provider": "minio",
                      "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_env": "OC_TEST_MINIO_SECRET"},
        "faulty-swift": {"scheme": "swift", "auth_url": "http://127.0.0.1:18080/auth/v1.0", "user": "test:tester",
                         "key_env": "OC_TEST_SWIFT_KEY", "storage_url": swift_proxy.url + "/v1/AUTH_test"}})})
    yield {"s3": s3_proxy, "swift": swift_proxy}
    profiles.set_stack_config({})
    s3_proxy.close()
    swift_proxy.close()


def _second_part(method: str, path: str, headers: dict) -> bool:
    """The request for part 2 of SMALL: a part copy or upload, a Swift segment, or a ranged GET of the source."""
    return (method == "PUT" and ("partNumber=2&" in path or path.endswith("/00000002"))) or \
        (method == "GET" and headers.get("Range", "").startswith(f"bytes={5 * MiB}-"))


@pytest.mark.parametrize("src_name,dst_name", [("minio", "minio"), ("swift", "swift"), ("minio", "local"),
                                               ("swift", "minio")])
def test_source_changed_under_a_multipart_copy_leaves_nothing(backends, faulty, key_prefix, src_name, dst_name):
    src, dst = backends(src_name), backends(dst_name)
    src.put(key_prefix + "big", DATA)
    scheme = src.scheme
    changed = []

    def overwrite_source_before_part_2(method, path, headers):
        if _second_part(method, path, headers) and not changed:
            changed.append(src.put(key_prefix + "big", DATA[::-1]))

    faulty[scheme].intercept = overwrite_source_before_part_2
    src_url = f"{scheme}://faulty-{scheme}@{src.bucket}/{key_prefix}big"
    dst_url = (f"{scheme}://faulty-{scheme}@{src.bucket}/{key_prefix}copy" if src is dst
               else dst.url(key_prefix + "copy"))
    with pytest.raises(PreconditionFailed):
        transfer.copy_object(parse(src_url), parse(dst_url), config=SMALL)
    assert changed and not dst.exists(key_prefix + "copy")
    assert _uploads_left(dst, key_prefix) == []


@pytest.mark.parametrize("multipart_config", [None, SMALL], ids=["single", "parts"])
def test_a_streamed_write_is_sent_again_after_a_503(backends, faulty, key_prefix, multipart_config):
    """The source is opened afresh for each attempt, so a throttled PUT is retried, not failed."""
    local, minio = backends("local"), backends("minio")
    local.put(key_prefix + "big", DATA)
    throttled = []

    def slow_down_once(method, path, headers):
        if method == "PUT" and not throttled:
            throttled.append(path)
            return 503, b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>"
        return None

    faulty["s3"].intercept = slow_down_once
    result = transfer.copy_object(parse(local.url(key_prefix + "big")),
                                  parse(f"s3://faulty-s3@{minio.bucket}/{key_prefix}copy"),
                                  config=multipart_config or TransferConfig())
    assert throttled and result.method == ("streamed-multipart" if multipart_config else "streamed")
    assert minio.get(key_prefix + "copy") == DATA


def test_a_failed_part_aborts_the_upload(backends, faulty, key_prefix):
    minio = backends("minio")
    minio.put(key_prefix + "big", DATA)
    denied = b"<Error><Code>AccessDenied</Code><Message>injected</Message></Error>"
    faulty["s3"].intercept = lambda method, path, headers: (403, denied) if _second_part(method, path, headers) \
        else None
    with pytest.raises(AccessDenied, match="part 2"):
        transfer.copy_object(parse(f"s3://faulty-s3@{minio.bucket}/{key_prefix}big"),
                             parse(f"s3://faulty-s3@{minio.bucket}/{key_prefix}copy"), config=SMALL)
    assert [m for m, p, _ in faulty["s3"].requests if m == "DELETE" and "uploadId=" in p]  # the abort was sent
    assert not minio.exists(key_prefix + "copy")
    assert _uploads_left(minio, key_prefix) == []


def test_the_leftover_check_sees_an_orphan_upload(backends, key_prefix):
    minio = backends("minio")
    upload = minio.client.create_multipart_upload(Bucket=minio.bucket, Key=key_prefix + "orphan")["UploadId"]
    assert [u["UploadId"] for u in _uploads_left(minio, key_prefix)] == [upload]
    minio.client.abort_multipart_upload(Bucket=minio.bucket, Key=key_prefix + "orphan", UploadId=upload)


def test_deleting_a_swift_large_object_deletes_its_segments(backends, key_prefix):
    swift = backends("swift")
    swift.put(key_prefix + "big", DATA)
    transfer.copy_object(parse(swift.url(key_prefix + "big")), parse(swift.url(key_prefix + "copy")), config=SMALL)
    assert swift.client.head_object(swift.bucket, key_prefix + "copy").get("x-static-large-object") == "True"
    assert len(_uploads_left(swift, key_prefix)) == 3
    url = parse(swift.url(key_prefix + "copy"))
    open_store(url).delete(url)
    assert not swift.exists(key_prefix + "copy") and _uploads_left(swift, key_prefix) == []
    assert swift.get(key_prefix + "big") == DATA


def test_no_overwrite_on_the_multipart_path(backends, key_prefix):
    minio = backends("minio")
    minio.put(key_prefix + "big", DATA)
    minio.put(key_prefix + "copy", b"precious")
    with pytest.raises(PreconditionFailed, match="already exists"):
        transfer.copy_object(parse(minio.url(key_prefix + "big")), parse(minio.url(key_prefix + "copy")),
                             options=WriteOptions(overwrite=False), config=SMALL)
    assert minio.get(key_prefix + "copy") == b"precious"


def test_swift_manifest_copy_shares_the_segments(backends, key_prefix):
    swift = backends("swift")
    swift.put(key_prefix + "big", DATA)
    transfer.copy_object(parse(swift.url(key_prefix + "big")), parse(swift.url(key_prefix + "slo")), config=SMALL)
    result = transfer.copy_object(parse(swift.url(key_prefix + "slo")), parse(swift.url(key_prefix + "manifest")),
                                  config=TransferConfig(manifest_copy=True))
    assert result.method == "server-side-manifest" and result.destination.etag == result.source.etag
    assert swift.get(key_prefix + "manifest") == DATA
    url = parse(swift.url(key_prefix + "manifest"))
    open_store(url).delete(url)  # a manifest copy owns no segments: the original still reads whole
    assert swift.get(key_prefix + "slo") == DATA
    with pytest.raises(Exception, match="manifest copy needs a Swift static large object"):
        transfer.copy_object(parse(swift.url(key_prefix + "big")), parse(swift.url(key_prefix + "x")),
                             config=TransferConfig(manifest_copy=True))
