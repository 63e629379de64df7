"""What OSS does unlike the S3 family, against the OSS emulator (which answers as Alibaba's pages show): ETags in
upper-case hex, and x-oss-forbid-overwrite that "does not take effect when versioning is enabled or suspended"."""
from __future__ import annotations

import uuid

import pytest

from pulumi_objectcopy import drift, transfer
from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import PreconditionFailed, SourceConditions, WriteOptions
from pulumi_objectcopy.urls import parse

from ..conftest import EMULATOR_KEYS, run_cli

oss2 = pytest.importorskip("oss2")


# --- ETags: kept as OSS spells them, compared case-blind ------------------------------------------------------------
def test_an_etag_typed_or_recorded_in_lower_case_still_matches(backends, key_prefix):
    """A user copies an ETag from another tool, or a state holds one another version of this tool wrote: the same
    ETag in lower case is the same ETag (precondition, planned source, guarded delete, destroy, drift)."""
    oss = backends("oss")
    etag = oss.put(key_prefix + "src", b"upper-case etag")
    assert etag == etag.upper() and etag != etag.lower()
    src, dst = parse(oss.url(key_prefix + "src")), parse(oss.url(key_prefix + "dst"))
    result = transfer.copy_object(src, dst, conditions=SourceConditions(if_match=etag.lower()),
                                  planned_source_etag=etag.lower())
    assert result.source.etag == etag and oss.get(key_prefix + "dst") == b"upper-case etag"
    with pytest.raises(PreconditionFailed, match="if-none-match"):
        transfer.copy_object(src, dst, conditions=SourceConditions(if_none_match=etag.lower()))
    written = result.destination.etag.lower()
    out = {"destination": str(dst), "written_etag": written, "track_source": True, "source": str(src),
           "source_etag": etag.lower()}
    resource = {"urn": "urn:pulumi:dev::p::pulumi-python:dynamic/objectcopy:CopiedObject::copy", "id": str(dst),
                "type": "pulumi-python:dynamic/objectcopy:CopiedObject", "outputs": {**out, "etag": written}}
    assert drift.check_one(resource).status == drift.IN_SYNC
    assert transfer.delete_if_unchanged(dst, written) is None and not oss.exists(key_prefix + "dst")
    open_store(src).delete(src, if_match=etag.lower())
    assert not oss.exists(key_prefix + "src")


# --- x-oss-forbid-overwrite and versioning ---------------------------------------------------------------------------
def _bucket(emulators, status: str | None):
    """A bucket of its own, its versioning set through oss2 as a user would."""
    name = f"oc-oss-v-{uuid.uuid4().hex[:8]}"
    emulators["oss"].store.create_bucket(name)
    client = oss2.Bucket(oss2.Auth(*EMULATOR_KEYS["oss"]), emulators["oss"].endpoint, name)
    if status is not None:
        client.put_bucket_versioning(oss2.models.BucketVersioningConfig("Enabled"))
        client.put_bucket_versioning(oss2.models.BucketVersioningConfig(status))
    return name, client


@pytest.mark.parametrize("status", ["Enabled", "Suspended"])
@pytest.mark.parametrize("path", ["server-side", "streamed"])
def test_no_overwrite_holds_on_a_versioned_bucket(backends, emulators, key_prefix, status, path):
    local = backends("local")
    name, client = _bucket(emulators, status)
    client.put_object(key_prefix + "src", b"new bytes")
    client.put_object(key_prefix + "dst", b"precious")
    local.put(key_prefix + "src", b"new bytes")
    src = parse(f"oss://oss@{name}/{key_prefix}src") if path == "server-side" else parse(local.url(key_prefix + "src"))
    with pytest.raises(PreconditionFailed, match="already exists and overwrite is off"):
        transfer.copy_object(src, parse(f"oss://oss@{name}/{key_prefix}dst"), options=WriteOptions(overwrite=False))
    assert client.get_object(key_prefix + "dst").read() == b"precious"
    assert len(emulators["oss"].store.versions(name, key_prefix + "dst")) == 1  # no new version either


def test_no_overwrite_on_a_versioned_bucket_from_the_command(backends, emulators, key_prefix):
    name, client = _bucket(emulators, "Enabled")
    client.put_object(key_prefix + "src", b"new bytes")
    client.put_object(key_prefix + "dst", b"precious")
    proc = run_cli("cp", "--no-overwrite", f"oss://oss@{name}/{key_prefix}src", f"oss://oss@{name}/{key_prefix}dst")
    assert proc.returncode == 3 and "already exists" in proc.stderr
    assert client.get_object(key_prefix + "dst").read() == b"precious"


def test_an_unversioned_bucket_is_guarded_by_the_header_alone(backends, emulators, key_prefix):
    """Where forbid-overwrite holds, the server decides (no HEAD of the destination, no race); the bucket's
    versioning is asked once a copy, and a versioned answer is remembered (a bucket never loses versioning)."""
    name, client = _bucket(emulators, None)
    client.put_object(key_prefix + "src", b"new bytes")
    emu = emulators["oss"]
    emu.requests.clear()
    src, dst = parse(f"oss://oss@{name}/{key_prefix}src"), parse(f"oss://oss@{name}/{key_prefix}dst")
    transfer.copy_object(src, dst, options=WriteOptions(overwrite=False))
    asked = [(r.method, r.path.split("?")[0].rsplit("/", 1)[-1], r.path.partition("?")[2]) for r in emu.requests]
    assert ("GET", "", "versioning=") in asked and ("HEAD", "dst", "") not in asked
    assert emu.last("PUT").headers.get("x-oss-forbid-overwrite") == "true"
    client.put_bucket_versioning(oss2.models.BucketVersioningConfig("Enabled"))
    for _attempt in (1, 2):
        with pytest.raises(PreconditionFailed):
            transfer.copy_object(src, dst, options=WriteOptions(overwrite=False))
    emu.requests.clear()
    with pytest.raises(PreconditionFailed):
        transfer.copy_object(src, dst, options=WriteOptions(overwrite=False))
    assert not [r for r in emu.requests if "versioning" in r.path]
