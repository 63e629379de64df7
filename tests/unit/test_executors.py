"""Each copy method run end to end on `mem://` and `file://`, without a server: what arrives, what it carries, the
progress reported, the pin, the destination kept when overwrite is off, the fallback to a streamed copy when the
store refuses a server-side one, and nothing left behind on a failure or an interrupt."""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores import memory
from pulumi_objectcopy.stores.base import (BadRequest, CannotCopyHere, MiB, NotFound, ObjectInfo, Part,
                                           PreconditionFailed, SourceConditions, Upload, WriteOptions)
from pulumi_objectcopy.stores.local import LocalStore
from pulumi_objectcopy.stores.memory import MemoryStore
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse

DATA = bytes(range(256)) * (48 * 1024 + 3)  # 12 MiB and a little: 3 parts of 5 MiB
PARTS = TransferConfig(multipart_threshold=1, part_size=5 * MiB, concurrency=1)  # in order, one at a time
TAGS, META = {"origin": "golden"}, {"team": "blue"}


@pytest.fixture
def bucket() -> str:
    name = f"b-{uuid.uuid4().hex[:8]}"
    memory.create_bucket(name)
    return name


def put(bucket: str, key: str, data: bytes = DATA) -> str:
    memory.put_object(bucket, key, data, content_type="application/x-seed", metadata=META,
                      headers={"Cache-Control": "max-age=60"}, tags=TAGS)
    return f"mem://{bucket}/{key}"


def copied(bucket: str, key: str) -> memory.StoredObject:
    obj = memory.stored(bucket, key)
    assert obj is not None, f"mem://{bucket}/{key} was not written"
    return obj


def carried(obj: memory.StoredObject) -> tuple:
    return obj.content_type, dict(obj.metadata), dict(obj.headers), dict(obj.tags)


SOURCE_ATTRIBUTES = ("application/x-seed", META, {"Cache-Control": "max-age=60"}, TAGS)


@pytest.mark.parametrize("config,method,parts", [(TransferConfig(), "server-side", 1),
                                                 (PARTS, "server-side-multipart", 3)])
def test_a_copy_inside_the_store_carries_everything(bucket, config, method, parts):
    seen = []
    result = transfer.copy_object(parse(put(bucket, "src")), parse(f"mem://{bucket}/dst"), config=config,
                                  progress=lambda *p: seen.append(p))
    assert (result.method, result.parts) == (method, parts)
    obj = copied(bucket, "dst")
    assert obj.data == DATA and carried(obj) == SOURCE_ATTRIBUTES  # parts send the tags a copy keeps itself
    assert seen[0] == (0, len(DATA), 0, parts) and seen[-1] == (len(DATA), len(DATA), parts, parts)
    assert [done for done, *_ in seen] == sorted(done for done, *_ in seen)
    assert memory.uploads(bucket) == []


@pytest.mark.parametrize("config,method,parts", [(TransferConfig(), "streamed", 1),
                                                 (PARTS, "streamed-multipart", 3)])
def test_a_streamed_copy_between_memory_and_files(bucket, tmp_path, config, method, parts):
    there = parse(f"file://{tmp_path}/copy.bin")
    out = transfer.copy_object(parse(put(bucket, "src")), there, config=config)
    assert (out.method, out.parts) == (method, parts) and (tmp_path / "copy.bin").read_bytes() == DATA
    assert out.destination.content_type == "application/x-seed" and dict(out.destination.metadata) == META
    seen = []
    back = transfer.copy_object(there, parse(f"mem://{bucket}/back"), config=config,
                                progress=lambda *p: seen.append(p))
    assert (back.method, back.parts) == (method, parts)
    obj = copied(bucket, "back")
    assert obj.data == DATA and dict(obj.metadata) == META and dict(obj.tags) == {}  # a file has no tags
    assert seen[-1][:2] == (len(DATA), len(DATA)) and memory.uploads(bucket) == []


def test_an_empty_object(bucket, tmp_path):
    put(bucket, "empty", b"")
    for config in (TransferConfig(), PARTS):
        for dst in (f"mem://{bucket}/empty-copy", f"file://{tmp_path}/empty"):
            transfer.copy_object(parse(f"mem://{bucket}/empty"), parse(dst), config=config)
    assert copied(bucket, "empty-copy").data == b"" and (tmp_path / "empty").read_bytes() == b""


@pytest.mark.parametrize("config", [TransferConfig(), PARTS], ids=["single", "parts"])
def test_overwrite_off_keeps_the_destination(bucket, tmp_path, config):
    src = put(bucket, "src")
    memory.put_object(bucket, "dst", b"precious")
    (tmp_path / "dst").write_bytes(b"precious")
    for dst in (f"mem://{bucket}/dst", f"file://{tmp_path}/dst"):
        with pytest.raises(PreconditionFailed, match="already exists"):
            transfer.copy_object(parse(src), parse(dst), options=WriteOptions(overwrite=False), config=config)
    assert copied(bucket, "dst").data == b"precious" and (tmp_path / "dst").read_bytes() == b"precious"
    assert memory.uploads(bucket) == []


def test_a_source_changed_before_the_parts_complete_is_not_assembled(bucket):
    """The memory store enforces the pin on each part; a change after the last part is caught by the HEAD before
    completing, which every copy in parts makes whatever the store claims."""
    src = put(bucket, "src")

    def overwrite_after_the_last_part(done, total, parts_done, parts_total):
        if parts_done == parts_total and done == total:
            memory.put_object(bucket, "src", DATA[::-1])
    with pytest.raises(PreconditionFailed, match="changed during the copy in parts"):
        transfer.copy_object(parse(src), parse(f"mem://{bucket}/dst"), config=PARTS,
                             progress=overwrite_after_the_last_part)
    assert memory.stored(bucket, "dst") is None and memory.uploads(bucket) == []


class FailingPart(MemoryStore):
    """A store whose second part fails: with an error, or with ^C."""

    def __init__(self, error: BaseException):
        super().__init__(None)
        self.error = error

    def _store_part(self, upload: Upload, part: Part, data: bytes) -> str:
        if part.number == 2:
            raise self.error
        return super()._store_part(upload, part, data)


@pytest.mark.parametrize("error", [BadRequest("part 2: injected"), KeyboardInterrupt("injected")],
                         ids=["error", "interrupt"])
@pytest.mark.parametrize("config", [PARTS, replace(PARTS, concurrency=3)], ids=["in-order", "parallel"])
def test_a_failed_or_interrupted_part_aborts_the_upload(bucket, tmp_path, error, config):
    store = FailingPart(error)
    with pytest.raises(type(error), match="injected"):
        transfer.copy_object(parse(put(bucket, "src")), parse(f"mem://{bucket}/dst"), config=config,
                             stores=(store, store))
    (tmp_path / "src").write_bytes(DATA)
    with pytest.raises(type(error), match="injected"):
        transfer.copy_object(parse(f"file://{tmp_path}/src"), parse(f"mem://{bucket}/dst"), config=config,
                             stores=(LocalStore(None), store))
    assert memory.stored(bucket, "dst") is None and memory.uploads(bucket) == []
    assert transfer.abort_in_flight() == []  # nothing left registered either


class NoServerSideCopy(MemoryStore):
    """A server answering 501 NotImplemented to CopyObject and UploadPartCopy, as some S3-compatibles do."""

    def __init__(self) -> None:
        super().__init__(None)
        self.heads = 0

    def head(self, url, *, version_id=None) -> ObjectInfo:
        self.heads += 1
        return super().head(url, version_id=version_id)

    def copy(self, src, dst, *, conditions, options, progress=None) -> ObjectInfo:
        raise CannotCopyHere(f"copy {src.url} to {dst}: NotImplemented")

    def copy_part(self, upload, part, src, *, conditions) -> str:
        raise CannotCopyHere(f"copy part {part.number} of {src.url}: NotImplemented")


@pytest.mark.parametrize("config,method", [(TransferConfig(), "streamed"), (PARTS, "streamed-multipart")])
def test_a_store_that_cannot_copy_server_side_streams_instead(bucket, config, method):
    store = NoServerSideCopy()
    result = transfer.copy_object(parse(put(bucket, "src")), parse(f"mem://{bucket}/dst"), config=config,
                                  stores=(store, store))
    assert result.method == method
    obj = copied(bucket, "dst")
    assert obj.data == DATA and carried(obj) == SOURCE_ATTRIBUTES
    assert memory.uploads(bucket) == []  # the refused upload of part copies was aborted


def test_a_listed_source_streamed_after_a_refusal_keeps_its_metadata(bucket):
    """A listing pins a server-side copy without a HEAD; if the store then refuses it, the streamed write needs the
    metadata a listing lacks, so the source is HEADed (and must still have the listed ETag)."""
    store = NoServerSideCopy()
    put(bucket, "src")
    listed = next(iter(store.list(parse(f"mem://{bucket}/src", allow_prefix=True))))
    result = transfer.copy_object(listed.url, parse(f"mem://{bucket}/dst"), listed=replace(listed, metadata={}),
                                  stores=(store, store))
    assert result.method == "streamed" and store.heads == 1
    assert carried(copied(bucket, "dst")) == SOURCE_ATTRIBUTES
    memory.put_object(bucket, "src", b"changed after the listing")
    with pytest.raises(PreconditionFailed, match="changed since it was listed"):
        transfer.copy_object(listed.url, parse(f"mem://{bucket}/dst2"), listed=listed, stores=(store, store))
    assert memory.stored(bucket, "dst2") is None


def test_a_listed_source_copied_server_side_needs_no_head(bucket):
    class Counting(MemoryStore):
        heads = 0

        def head(self, url, *, version_id=None):
            Counting.heads += 1
            return super().head(url, version_id=version_id)
    store = Counting(None)
    put(bucket, "src")
    listed = next(iter(store.list(parse(f"mem://{bucket}/", allow_prefix=True))))
    result = transfer.copy_object(listed.url, parse(f"mem://{bucket}/dst"), listed=listed, stores=(store, store))
    assert result.method == "server-side" and Counting.heads == 0 and copied(bucket, "dst").data == DATA


def test_the_pin_and_the_users_conditions(bucket):
    src = put(bucket, "src")
    etag = copied(bucket, "src").etag
    with pytest.raises(PreconditionFailed, match="changed since it was planned"):
        transfer.copy_object(parse(src), parse(f"mem://{bucket}/dst"), planned_source_etag="f" * 32)
    with pytest.raises(PreconditionFailed, match="if-match"):
        transfer.copy_object(parse(src), parse(f"mem://{bucket}/dst"), conditions=SourceConditions(if_match="0" * 32))
    assert memory.stored(bucket, "dst") is None
    assert transfer.copy_object(parse(src), parse(f"mem://{bucket}/dst"), planned_source_etag=etag.upper(),
                                conditions=SourceConditions(if_match=etag)).source.etag == etag


def test_stale_uploads_to_an_owned_destination_are_swept(bucket):
    store = MemoryStore(None)
    dst = parse(f"mem://{bucket}/dst")
    left = store.start_upload(dst, options=WriteOptions(), source=None)
    other = store.start_upload(parse(f"mem://{bucket}/other"), options=WriteOptions(), source=None)
    transfer.copy_object(parse(put(bucket, "src")), dst, config=PARTS, sweep_stale_uploads=True)
    assert [u.upload_id for u in memory.uploads(bucket)] == [other.upload_id]  # not another destination's
    assert left.upload_id not in {u.upload_id for u in memory.uploads(bucket)}


def test_deleting_every_version(tmp_path):
    name = f"v-{uuid.uuid4().hex[:8]}"
    memory.create_bucket(name, versioned=True)
    for n in range(3):
        memory.put_object(name, "k", b"v%d" % n)
    url = parse(f"mem://{name}/k")
    first = MemoryStore(None)
    versions = [v.version_id for v in [memory.stored(name, "k")]]
    first.delete(url)  # a delete marker: the versions stay
    with pytest.raises(NotFound):
        first.head(url)
    assert first.head(url, version_id=versions[0]).size == 2
    transfer.delete_all_versions(url)
    with pytest.raises(NotFound):
        first.head(url, version_id=versions[0])
    (tmp_path / "f").write_bytes(b"x")
    transfer.delete_all_versions(parse(f"file://{tmp_path}/f"))  # no versions: the file itself
    assert not (tmp_path / "f").exists()


def test_a_missing_bucket_is_not_found_and_nothing_is_written(bucket):
    with pytest.raises(NotFound, match="no such bucket"):
        transfer.copy_object(parse(put(bucket, "src")), parse(f"mem://no-such-{bucket}/dst"))
