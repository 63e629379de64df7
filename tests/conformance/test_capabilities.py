"""What a store says it can do is what it does: every capability it claims is an operation it implements; a server
that does not copy inside itself (501 NotImplemented to CopyObject or UploadPartCopy, as some S3-compatibles answer)
is streamed through instead of failing, with nothing left behind; and a Swift manifest copy with overwrite off keeps
an existing destination."""
from __future__ import annotations

import json

import pytest

from pulumi_objectcopy import profiles, transfer
from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import PreconditionFailed, WriteOptions, unkept_claims
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse

from ..conftest import MINIO_ENDPOINT
from ..counting_proxy import CountingProxy
from .test_multipart import DATA, SMALL

NOT_IMPLEMENTED = (501, b"<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality "
                        + b"that is not implemented</Message></Error>")


def test_a_store_implements_what_it_claims(backend, key_prefix):
    store = open_store(parse(backend.url(key_prefix + "x")))
    assert unkept_claims(store, store.capabilities) == []


@pytest.fixture
def copyless(backends):
    """MinIO as a server without server-side copies: profile `copyless`, which answers 501 to any request that
    names a copy source."""
    backends("minio")
    proxy = CountingProxy(MINIO_ENDPOINT)
    proxy.intercept = lambda method, path, headers: NOT_IMPLEMENTED if any(
        k.lower() == "x-amz-copy-source" for k in headers) else None
    profiles.set_stack_config({"objectcopy:profiles": json.dumps({"copyless": {
        "scheme": "s3", "endpoint": proxy.url, "provider": "other",
        "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_env": "OC_TEST_MINIO_SECRET"}})})
    yield proxy
    profiles.set_stack_config({})
    proxy.close()


@pytest.mark.parametrize("config,method", [(TransferConfig(), "streamed"), (SMALL, "streamed-multipart")])
def test_a_server_that_cannot_copy_inside_itself_is_streamed_through(backends, copyless, key_prefix, config, method):
    minio = backends("minio")
    minio.put(key_prefix + "src", DATA, meta={"tier": "gold"}, content_type="application/x-dump")
    url = f"s3://copyless@{minio.bucket}/{key_prefix}"
    result = transfer.copy_object(parse(url + "src"), parse(url + "dst"), config=config)
    assert result.method == method
    assert minio.get(key_prefix + "dst") == DATA
    head = minio.head(key_prefix + "dst")
    assert head["meta"] == {"tier": "gold"} and head["content_type"] == "application/x-dump"
    refused = [p for m, p, h in copyless.requests if any(k.lower() == "x-amz-copy-source" for k in h)]
    assert refused and minio.uploads_left(key_prefix) == []  # the refused part copies' upload was aborted


def test_a_swift_manifest_copy_with_overwrite_off_keeps_the_destination(backends, key_prefix):
    swift = backends("swift")
    swift.put(key_prefix + "big", DATA)
    transfer.copy_object(parse(swift.url(key_prefix + "big")), parse(swift.url(key_prefix + "slo")), config=SMALL)
    swift.put(key_prefix + "manifest", b"precious")
    with pytest.raises(PreconditionFailed, match="already exists"):
        transfer.copy_object(parse(swift.url(key_prefix + "slo")), parse(swift.url(key_prefix + "manifest")),
                             options=WriteOptions(overwrite=False), config=TransferConfig(manifest_copy=True))
    assert swift.get(key_prefix + "manifest") == b"precious"
