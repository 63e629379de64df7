"""A multipart copy carries what a single copy carries (the README's promise), on every store and every path: after
each copy the destination is read with the vendor's own client, and its content type, content headers, user
metadata and tags must be the source's. A store's genuine gap is a named skip with its reason."""
from __future__ import annotations

import hashlib
import json

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import MiB
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse

CONTENT_TYPE = "application/x-carried"
HEADERS = {"Cache-Control": "max-age=300", "Content-Disposition": 'attachment; filename="carried.bin"',
           "Content-Encoding": "compress"}  # a coding no HTTP client here decodes on the way in
METADATA = {"team": "blue", "carried": "yes"}
TAGS = {"origin": "golden", "env": "test"}
SMALL = b"carried bytes " * 100
BIG = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(170_000))[:5 * MiB + 1000]  # 2 parts
PARTS = TransferConfig(multipart_threshold=1 * MiB, part_size=5 * MiB, concurrency=2)

PATHS = ["server-side", "server-side-multipart", "streamed", "streamed-multipart", "server-side-manifest"]
TAGLESS = {"swift": "Swift has no object tags", "swift-s3": "Swift's s3api answers 501 to object tagging",
           "oci": "OCI Object Storage has no object tags", "local": "local files have no tags"}
NO_PART_COPY = {"local": "a local file is copied in one pass; there are no part copies inside a file system",
                "oci": "OCI has no part copy: CopyObject copies any size in the service"}


def put_source(backend, key: str, data: bytes) -> None:
    """The source, with every attribute set through the vendor's client."""
    backend.put_carrying(key, data, content_type=CONTENT_TYPE, headers=HEADERS, metadata=METADATA,
                         tags=None if backend.name in TAGLESS else TAGS)


def read_back(backend, key: str) -> dict:
    """{'content_type', 'headers', 'metadata', 'tags'} as the vendor's client reports them."""
    return backend.read_carried(key, list(HEADERS))


def _slo_source(swift, key: str) -> None:
    """A Swift static large object with every attribute on its manifest, made with swiftclient."""
    segments = [BIG[:5 * MiB], BIG[5 * MiB:]]
    manifest = []
    for n, seg in enumerate(segments):
        etag = swift.client.put_object(swift.bucket, f"{key}-segments/{n:04d}", seg)
        manifest.append({"path": f"/{swift.bucket}/{key}-segments/{n:04d}", "etag": etag, "size_bytes": len(seg)})
    swift.client.put_object(swift.bucket, key, json.dumps(manifest), query_string="multipart-manifest=put",
                            content_type=CONTENT_TYPE,
                            headers={**HEADERS, **{f"X-Object-Meta-{k}": v for k, v in METADATA.items()}})


def _copy_by(path: str, backends, dst, key_prefix: str):
    """Make the source for `path` and copy it to dst along that path; the result, checked to be that path."""
    if path == "server-side-manifest":
        if dst.name != "swift":
            pytest.skip(f"{dst.name}: only a Swift static large object has a manifest to copy")
        _slo_source(dst, key_prefix + "src")
        src, config, data = dst, TransferConfig(manifest_copy=True), BIG
    else:
        if path == "server-side-multipart" and dst.name in NO_PART_COPY:
            pytest.skip(f"{dst.name}: {NO_PART_COPY[dst.name]}")
        src = dst if path.startswith("server-side") else backends("cos" if dst.name == "oss" else "oss")
        config, data = (PARTS, BIG) if path.endswith("multipart") else (TransferConfig(), SMALL)
        put_source(src, key_prefix + "src", data)
    result = transfer.copy_object(parse(src.url(key_prefix + "src")), parse(dst.url(key_prefix + "dst")),
                                  config=config)
    assert result.method == path
    assert dst.get(key_prefix + "dst") == data
    return result


@pytest.mark.parametrize("path", PATHS)
def test_copy_carries_content_headers_and_metadata(backends, backend, key_prefix, path):
    _copy_by(path, backends, backend, key_prefix)
    got = read_back(backend, key_prefix + "dst")
    assert (got["content_type"], got["headers"], got["metadata"]) == (CONTENT_TYPE, HEADERS, METADATA)


@pytest.mark.parametrize("path", PATHS)
def test_copy_carries_tags(backends, backend, key_prefix, path):
    if backend.name in TAGLESS:
        pytest.skip(f"{backend.name}: {TAGLESS[backend.name]}")
    _copy_by(path, backends, backend, key_prefix)
    assert read_back(backend, key_prefix + "dst")["tags"] == TAGS
