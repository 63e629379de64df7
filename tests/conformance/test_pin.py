"""The pinned source ETag on a copy in parts: a server that ignores it (moto and Ceph ignore
x-amz-copy-source-if-match on UploadPartCopy) must not let a source overwritten mid-copy complete as old parts
followed by new ones. Reproduced with a proxy in front of MinIO that strips the conditions and signs the request
again (with botocore, the vendor's signer); the HEAD before completion is what catches it. And each store's claim
(Capabilities.pin_enforced) of enforcing the pin itself is checked against its server."""
from __future__ import annotations

import json

import pytest

from pulumi_objectcopy import profiles, transfer
from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import MiB, Part, PreconditionFailed, SourceConditions, WriteOptions
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse

from ..conftest import BACKEND_NAMES, MINIO_ENDPOINT
from ..counting_proxy import CountingProxy
from .test_multipart import DATA, _uploads_left

ONE_AT_A_TIME = TransferConfig(multipart_threshold=1, part_size=5 * MiB, concurrency=1)  # 3 parts, in order


def _resign(method: str, path: str, headers: dict) -> None:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    for name in [k for k in headers if k.lower() in ("authorization", "x-amz-date")]:
        del headers[name]
    host = next(v for k, v in headers.items() if k.lower() == "host")
    request = AWSRequest(method=method, url=f"http://{host}{path}", headers=dict(headers))
    S3SigV4Auth(Credentials("minioadmin", "minioadmin"), "s3", "us-east-1").add_auth(request)
    headers.clear()
    headers.update(request.headers.items())


@pytest.fixture
def careless(backends):
    """MinIO as a server that ignores every condition on the source: profile `careless`."""
    backends("minio")
    proxy = CountingProxy(MINIO_ENDPOINT)
    profiles.set_stack_config({"objectcopy:profiles": json.dumps({"careless": {
        "scheme": "s3", "endpoint": proxy.url, "provider": "minio",
        "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_env": "OC_TEST_MINIO_SECRET"}})})
    yield proxy
    profiles.set_stack_config({})
    proxy.close()


def _part_2(method: str, path: str, headers: dict) -> bool:
    return (method == "PUT" and "partNumber=2&" in path) or \
        (method == "GET" and any(k.lower() == "range" and v.startswith(f"bytes={5 * MiB}-")
                                 for k, v in headers.items()))


@pytest.mark.parametrize("dst_name", ["minio", "local"], ids=["server-side-multipart", "streamed-multipart"])
def test_a_source_changed_mid_copy_behind_a_careless_server_is_not_assembled(backends, careless, key_prefix,
                                                                              dst_name):
    minio, dst = backends("minio"), backends(dst_name)
    minio.put(key_prefix + "big", DATA)
    changed = []

    def ignore_conditions_and_overwrite_before_part_2(method, path, headers):
        conditions = [k for k in headers if k.lower().startswith(("x-amz-copy-source-if-", "if-"))]
        if conditions:
            for name in conditions:
                del headers[name]
            _resign(method, path, headers)
        if _part_2(method, path, headers) and not changed:
            changed.append(minio.put(key_prefix + "big", DATA[::-1]))

    careless.intercept = ignore_conditions_and_overwrite_before_part_2
    src = parse(f"s3://careless@{minio.bucket}/{key_prefix}big")
    target = parse(f"s3://careless@{minio.bucket}/{key_prefix}copy") if dst is minio else parse(
        dst.url(key_prefix + "copy"))
    with pytest.raises(PreconditionFailed, match="changed during the copy in parts"):
        transfer.copy_object(src, target, config=ONE_AT_A_TIME)
    assert changed and not dst.exists(key_prefix + "copy")
    assert _uploads_left(dst, key_prefix) == []
    stripped = [h for m, p, h in careless.requests if "partNumber=2&" in p or m == "GET"]
    assert stripped and not any(k.lower().startswith("x-amz-copy-source-if-") for h in stripped for k in h)


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_a_store_enforces_the_pin_where_it_says_it_does(backends, key_prefix, name):
    """A part copy (UploadPartCopy, a Swift segment copy) and a ranged read of a source that no longer has the
    pinned ETag are refused by the server itself, wherever the store's capabilities say so."""
    backend = backends(name)
    url = parse(backend.url(key_prefix + "src"))
    store = open_store(url)
    claimed = store.capabilities.pin_enforced
    if not claimed & {"part_copy", "read"}:
        pytest.skip(f"{name} enforces no pin itself: a file is checked when it is opened, and the HEAD before "
                    "completing a copy in parts covers the rest")
    backend.put(key_prefix + "src", b"version one")
    old = store.head(url)
    backend.put(key_prefix + "src", b"version two, changed under the copy")
    pinned = SourceConditions(if_match=old.etag)
    if "read" in claimed:
        with pytest.raises(PreconditionFailed):
            store.open(url, conditions=pinned, byte_range=(0, 4)).close()
    if "part_copy" in claimed:
        dst = parse(backend.url(key_prefix + "dst"))
        upload = store.start_upload(dst, options=WriteOptions(), source=None)
        try:
            with pytest.raises(PreconditionFailed):
                store.copy_part(upload, Part(1, 0, 4), old, conditions=pinned)
        finally:
            store.abort_upload(upload)
