"""One conformance suite, run against every store on its real server: MinIO (S3), Swift's s3api (S3), Swift, local
files. Setup and checks go through the vendor's client; the code under test is our store and transfer layers.
A store's gap is a named skip with its reason (see Backend.gaps in conftest)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import (AccessDenied, NotFound, PreconditionFailed, SourceConditions,
                                           UsageError, WriteOptions)
from pulumi_objectcopy.urls import parse

from ..conftest import BACKEND_NAMES

TRICKY_KEYS = {
    "space": "a b/c d.txt",
    "unicode": "ünïcødé/ファイル.bin",
    "plus": "a+b/c++.txt",
    "percent": "100%/a%20b%2F.txt",
    "question": "what?/is=this&that.txt",
    "hash": "tag#1/#x.txt",
    "tilde": "~home/~x.txt",
    "leading-slash": "/leading/slash.txt",
}


def _copy(backend, src_key, dst_key, **kw):
    return transfer.copy_object(parse(backend.url(src_key)), parse(backend.url(dst_key)), **kw)


def test_head_reports_size_etag_type_and_metadata(backend, key_prefix):
    data = b"hello conformance\n"
    etag = backend.put(key_prefix + "obj.txt", data, meta={"owner": "team-a"}, content_type="text/plain")
    url = parse(backend.url(key_prefix + "obj.txt"))
    info = open_store(url).head(url)
    assert (info.size, info.etag, info.md5) == (len(data), etag, hashlib.md5(data).hexdigest())  # OCI: content-md5
    assert info.last_modified is not None
    if backend.scheme != "file":
        assert info.content_type == "text/plain"
        assert info.metadata == {"owner": "team-a"}


def test_head_of_missing_object_is_not_found(backend, key_prefix):
    url = parse(backend.url(key_prefix + "missing.bin"))
    with pytest.raises(NotFound):
        open_store(url).head(url)


def test_copy_inside_store_is_server_side_and_keeps_metadata(backend, key_prefix):
    data = b"x" * 1000
    backend.put(key_prefix + "src.bin", data, meta={"color": "blue"}, content_type="application/x-test")
    result = _copy(backend, key_prefix + "src.bin", key_prefix + "dst.bin")
    assert result.method == "server-side"
    assert backend.get(key_prefix + "dst.bin") == data
    head = backend.head(key_prefix + "dst.bin")
    assert head["etag"] == result.destination.etag
    assert head["md5"] == result.destination.md5 == hashlib.md5(data).hexdigest()
    if backend.scheme != "file":
        assert head["meta"] == {"color": "blue"}
        assert head["content_type"] == "application/x-test"


@pytest.mark.parametrize("case", list(TRICKY_KEYS))
def test_copy_keys_that_need_encoding(backend, key_prefix, case):
    backend.skip_gap(case)
    src, dst = key_prefix + "src/" + TRICKY_KEYS[case], key_prefix + "dst/" + TRICKY_KEYS[case]
    backend.put(src, case.encode())
    result = _copy(backend, src, dst)
    assert backend.get(dst) == case.encode()
    assert result.destination.md5 == hashlib.md5(case.encode()).hexdigest()
    url = parse(backend.url(dst))
    assert open_store(url).head(url).size == len(case)


def test_copy_empty_object(backend, key_prefix):
    backend.put(key_prefix + "empty", b"")
    result = _copy(backend, key_prefix + "empty", key_prefix + "empty-copy")
    assert backend.get(key_prefix + "empty-copy") == b""
    assert result.destination.size == 0


def test_copy_of_missing_source_writes_nothing(backend, key_prefix):
    with pytest.raises(NotFound):
        _copy(backend, key_prefix + "nope", key_prefix + "dst")
    assert not backend.exists(key_prefix + "dst")


def test_copy_onto_itself_without_replace_is_a_usage_error(backend, key_prefix):
    backend.put(key_prefix + "self", b"same")
    with pytest.raises(UsageError, match="REPLACE"):
        _copy(backend, key_prefix + "self", key_prefix + "self")


# --- conditions -------------------------------------------------------------------------------------------------
PAST = datetime(2001, 1, 1, tzinfo=timezone.utc)
FUTURE = datetime.now(timezone.utc) + timedelta(days=3650)


@pytest.mark.parametrize("name,value,ok", [
    ("if_match", "ETAG", True), ("if_match", "0123456789abcdef0123456789abcdef", False),
    ("if_none_match", "0123456789abcdef0123456789abcdef", True), ("if_none_match", "ETAG", False),
    ("if_unmodified_since", FUTURE, True), ("if_unmodified_since", PAST, False),
    ("if_modified_since", PAST, True), ("if_modified_since", FUTURE, False),
])
def test_source_condition_met_or_failed(backend, key_prefix, name, value, ok):
    etag = backend.put(key_prefix + "src", b"conditional")
    conditions = SourceConditions(**{name: etag if value == "ETAG" else value})
    if ok:
        _copy(backend, key_prefix + "src", key_prefix + "dst", conditions=conditions)
        assert backend.get(key_prefix + "dst") == b"conditional"
    else:
        with pytest.raises(PreconditionFailed, match=name.replace("_", "-")):
            _copy(backend, key_prefix + "src", key_prefix + "dst", conditions=conditions)
        assert not backend.exists(key_prefix + "dst")


@pytest.mark.parametrize("name", ["if_match", "if_none_match", "if_modified_since", "if_unmodified_since"])
def test_server_enforces_the_conditions_it_claims(backend, key_prefix, name):
    """The pin must hold even when the source changes after our HEAD: call the store's copy with the HEAD of an
    older version, as a race would leave it."""
    store_url = parse(backend.url(key_prefix + "src"))
    store = open_store(store_url)
    if name not in store.capabilities.copy_conditions:
        pytest.skip(f"{backend.name} does not enforce {name} on copies; transfer checks it with a HEAD")
    old_etag = backend.put(key_prefix + "src", b"version one")
    old = store.head(store_url)
    backend.put(key_prefix + "src", b"version two, changed under the copy")
    failing = {"if_match": old_etag, "if_none_match": store.head(store_url).etag,
               "if_modified_since": FUTURE, "if_unmodified_since": PAST}[name]
    with pytest.raises(PreconditionFailed):
        store.copy(old, parse(backend.url(key_prefix + "dst")), conditions=SourceConditions(**{name: failing}),
                   options=WriteOptions())
    assert not backend.exists(key_prefix + "dst")


# --- metadata ----------------------------------------------------------------------------------------------------
def test_metadata_replace_sets_exactly_what_was_given(backend, key_prefix):
    backend.skip_gap("content-type")
    backend.put(key_prefix + "src", b"m", meta={"old": "1", "keep": "no"}, content_type="text/plain")
    _copy(backend, key_prefix + "src", key_prefix + "dst",
          options=WriteOptions(metadata_directive="REPLACE", metadata={"new": "2"}, content_type="text/csv"))
    head = backend.head(key_prefix + "dst")
    assert head["meta"] == {"new": "2"}
    assert head["content_type"] == "text/csv"


def test_metadata_copy_with_extra_metadata_merges(backend, key_prefix):
    backend.put(key_prefix + "src", b"m", meta={"old": "1"}, content_type="text/plain")
    _copy(backend, key_prefix + "src", key_prefix + "dst", options=WriteOptions(metadata={"new": "2"}))
    head = backend.head(key_prefix + "dst")
    expected = {"new": "2"} if backend.scheme == "file" else {"old": "1", "new": "2"}
    assert head["meta"] == expected


def test_replace_in_place_rewrites_metadata(backend, key_prefix):
    backend.put(key_prefix + "obj", b"in place", meta={"v": "1"})
    _copy(backend, key_prefix + "obj", key_prefix + "obj",
          options=WriteOptions(metadata_directive="REPLACE", metadata={"v": "2"}))
    assert backend.head(key_prefix + "obj")["meta"] == {"v": "2"}
    assert backend.get(key_prefix + "obj") == b"in place"


# --- overwrite ---------------------------------------------------------------------------------------------------
def test_no_overwrite_leaves_an_existing_destination(backend, key_prefix):
    backend.put(key_prefix + "src", b"new")
    backend.put(key_prefix + "dst", b"precious")
    with pytest.raises(PreconditionFailed, match="already exists"):
        _copy(backend, key_prefix + "src", key_prefix + "dst", options=WriteOptions(overwrite=False))
    assert backend.get(key_prefix + "dst") == b"precious"


def test_no_overwrite_copies_where_nothing_exists(backend, key_prefix):
    backend.put(key_prefix + "src", b"new")
    _copy(backend, key_prefix + "src", key_prefix + "dst", options=WriteOptions(overwrite=False))
    assert backend.get(key_prefix + "dst") == b"new"


# --- list and delete ---------------------------------------------------------------------------------------------
def test_list_prefix(backend, key_prefix):
    for name in ("a.txt", "b/c.txt", "b/d.txt"):
        backend.put(key_prefix + name, name.encode())
    prefix = parse(backend.url(key_prefix + "b/"), allow_prefix=True)
    found = sorted(str(info.url) for info in open_store(prefix).list(prefix))
    assert found == [backend.url(key_prefix + "b/c.txt"), backend.url(key_prefix + "b/d.txt")]


def test_delete_if_match(backend, key_prefix):
    etag = backend.put(key_prefix + "obj", b"bye")
    url = parse(backend.url(key_prefix + "obj"))
    store = open_store(url)
    with pytest.raises(PreconditionFailed):
        store.delete(url, if_match="0123456789abcdef0123456789abcdef")
    assert backend.exists(key_prefix + "obj")
    store.delete(url, if_match=etag)
    assert not backend.exists(key_prefix + "obj")


# --- failures ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,bad_profile", [("minio", "badminio"), ("swift", "badswift"), ("cos", "badcos"),
                                              ("oss", "badoss")])
def test_wrong_credentials_are_access_denied(backends, key_prefix, name, bad_profile):
    backend = backends(name)
    backend.put(key_prefix + "obj", b"x")
    url = parse(f"{backend.scheme}://{bad_profile}@{backend.bucket}/{key_prefix}obj")
    with pytest.raises(AccessDenied) as e:
        open_store(url).head(url)
    assert "not-the-secret" not in str(e.value)


def test_missing_destination_bucket_fails_without_writing(backend, key_prefix):
    if backend.scheme == "file":
        pytest.skip("local files: a missing folder is created, as cp does")
    backend.put(key_prefix + "src", b"x")
    namespace = backend.bucket.split("/")[0] + "/" if backend.scheme == "oci" else ""
    dst = parse(f"{backend.scheme}://{backend.profile}@{namespace}no-such-bucket-oc/{key_prefix}dst")
    with pytest.raises(NotFound):
        transfer.copy_object(parse(backend.url(key_prefix + "src")), dst)


# --- across stores -------------------------------------------------------------------------------------------------
PAIRS = [(a, b) for a in BACKEND_NAMES for b in BACKEND_NAMES if a != b]


@pytest.mark.parametrize("src_name,dst_name", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_copy_across_stores_streams_and_keeps_content(backends, key_prefix, src_name, dst_name):
    src, dst = backends(src_name), backends(dst_name)
    data = hashlib.sha256(key_prefix.encode()).digest() * 40_000  # 1.28 MB
    src.put(key_prefix + "from.bin", data, meta={"origin": src_name}, content_type="application/x-seed")
    result = transfer.copy_object(parse(src.url(key_prefix + "from.bin")), parse(dst.url(key_prefix + "to.bin")))
    assert result.method == "streamed"  # different endpoints or APIs: no server can copy between them
    assert dst.get(key_prefix + "to.bin") == data
    head = dst.head(key_prefix + "to.bin")
    assert head["md5"] == hashlib.md5(data).hexdigest()
    if src.scheme != "file":  # plain files carry no metadata of their own
        assert head["meta"] == {"origin": src_name}
        if dst.scheme != "file":
            assert head["content_type"] == "application/x-seed"


# --- multipart sources ----------------------------------------------------------------------------------------------
def _multipart_put(backend, key: str, parts: list[bytes]) -> str:
    c = backend.client
    upload = c.create_multipart_upload(Bucket=backend.bucket, Key=key, Metadata={"made": "multipart"})
    done = [{"PartNumber": n, "ETag": c.upload_part(Bucket=backend.bucket, Key=key, PartNumber=n, Body=body,
                                                    UploadId=upload["UploadId"])["ETag"]}
            for n, body in enumerate(parts, 1)]
    r = c.complete_multipart_upload(Bucket=backend.bucket, Key=key, UploadId=upload["UploadId"],
                                    MultipartUpload={"Parts": done})
    return r["ETag"].strip('"')


@pytest.mark.parametrize("name", ["minio", "swift-s3"])
def test_copy_of_a_multipart_source_is_pinned(backends, key_prefix, name):
    """A `-N` ETag is pinned with if-match where the server compares it (MinIO), and with if-unmodified-since on
    the HEADed Last-Modified where it does not (Swift's s3api always answers 412 to if-match on `-N`)."""
    backend = backends(name)
    parts = [b"a" * (5 * 1024 * 1024), b"tail"]
    etag = _multipart_put(backend, key_prefix + "mpu", parts)
    assert etag.endswith("-2")
    result = _copy(backend, key_prefix + "mpu", key_prefix + "mpu-copy")
    assert result.method == "server-side" and result.source.composite == "multipart"
    assert backend.get(key_prefix + "mpu-copy") == b"".join(parts)
    assert backend.head(key_prefix + "mpu-copy")["meta"] == {"made": "multipart"}


def test_multipart_source_changed_under_the_copy_fails_on_minio(backends, key_prefix):
    backend = backends("minio")
    _multipart_put(backend, key_prefix + "mpu", [b"a" * (5 * 1024 * 1024), b"one"])
    url = parse(backend.url(key_prefix + "mpu"))
    store = open_store(url)
    old = store.head(url)
    _multipart_put(backend, key_prefix + "mpu", [b"b" * (5 * 1024 * 1024), b"two"])
    with pytest.raises(PreconditionFailed):
        store.copy(old, parse(backend.url(key_prefix + "dst")), conditions=SourceConditions(if_match=old.etag),
                   options=WriteOptions())
    assert not backend.exists(key_prefix + "dst")


@pytest.mark.parametrize("dst_name", [n for n in BACKEND_NAMES if n != "local"])
def test_streamed_write_with_no_overwrite_leaves_an_existing_destination(backends, key_prefix, dst_name):
    src, dst = backends("local"), backends(dst_name)
    src.put(key_prefix + "src", b"new bytes")
    dst.put(key_prefix + "dst", b"precious")
    with pytest.raises(PreconditionFailed, match="already exists"):
        transfer.copy_object(parse(src.url(key_prefix + "src")), parse(dst.url(key_prefix + "dst")),
                             options=WriteOptions(overwrite=False))
    assert dst.get(key_prefix + "dst") == b"precious"
    # the store's own guard, without transfer's HEAD in front of it
    url = parse(dst.url(key_prefix + "dst"))
    store = open_store(url)
    if store.capabilities.dest_if_none_match_on_write:
        with pytest.raises(PreconditionFailed):
            store.write(url, b"new bytes", 9, options=WriteOptions(overwrite=False))
        assert dst.get(key_prefix + "dst") == b"precious"


# --- Swift static large objects -------------------------------------------------------------------------------------
def _slo(swift, name: str, segments: list[bytes]) -> str:
    import json as _json
    manifest = []
    for i, seg in enumerate(segments):
        etag = swift.put(f"{name}-segments/{i:04d}", seg)
        manifest.append({"path": f"/{swift.bucket}/{name}-segments/{i:04d}", "etag": etag, "size_bytes": len(seg)})
    swift.client.put_object(swift.bucket, name, _json.dumps(manifest), query_string="multipart-manifest=put")
    return swift.head(name)["etag"]


@pytest.mark.parametrize("dst_name", ["swift", "minio"])
def test_copy_of_an_slo_source(backends, key_prefix, dst_name):
    """An SLO's ETag is the MD5 of its segments' MD5s, quoted: it pins the copy, but is no content MD5."""
    swift, dst = backends("swift"), backends(dst_name)
    segments = [b"first segment " * 1000, b"second " * 3000, b"tail"]
    slo_etag = _slo(swift, key_prefix + "big", segments)
    result = transfer.copy_object(parse(swift.url(key_prefix + "big")), parse(dst.url(key_prefix + "copy")))
    assert result.source.composite == "slo" and result.source.etag == slo_etag and result.source.md5 is None
    assert result.method == ("server-side" if dst_name == "swift" else "streamed")
    assert dst.get(key_prefix + "copy") == b"".join(segments)
    assert dst.head(key_prefix + "copy")["md5"] == hashlib.md5(b"".join(segments)).hexdigest()


def test_oss_signature_v1_where_a_profile_asks(backends, key_prefix):
    oss = backends("oss")
    oss.put(key_prefix + "src", b"signed with V1", meta={"v": "1"})
    src = parse(f"oss://ossv1@{oss.bucket}/{key_prefix}src")
    result = transfer.copy_object(src, parse(f"oss://ossv1@{oss.bucket}/{key_prefix}dst"))
    assert result.method == "server-side" and oss.get(key_prefix + "dst") == b"signed with V1"
    assert oss.head(key_prefix + "dst")["meta"] == {"v": "1"}
