"""CopiedObject's lifecycle through the dynamic-provider gRPC protocol, driven as the engine drives it, against
MinIO behind a counting proxy (so we can assert which requests reached the server) and local files."""
from __future__ import annotations

import json

import pytest

from pulumi_objectcopy.resources.copied_object import CopiedObjectProvider

from ..counting_proxy import CountingProxy
from .harness import CheckFailed, Engine


@pytest.fixture
def proxy(backends):
    backends("minio")
    p = CountingProxy("http://127.0.0.1:19000")
    yield p
    p.close()


@pytest.fixture
def engine(proxy):
    # The profile comes from stack config, its secret from a (secret) stack config key, as a user would set it.
    profile = {"scheme": "s3", "endpoint": proxy.url, "provider": "minio",
               "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_config": "minioSecret"}
    parts = {**profile, "multipart_cutoff": 5 * 1024 * 1024, "part_size": 5 * 1024 * 1024}
    config = {
        "objectcopy:profiles": json.dumps({"counted": profile, "renamed": profile, "parts": parts}),
        "objectcopy:minioSecret": "minioadmin",
    }
    e = Engine(CopiedObjectProvider(), config=config)
    yield e
    e.close()


@pytest.fixture
def minio(backends):
    return backends("minio")


def counted(minio, key: str) -> str:
    return f"s3://counted@{minio.bucket}/{key}"


def test_create_then_second_up_is_a_no_op_with_one_head(engine, proxy, minio, key_prefix):
    minio.put(key_prefix + "golden.db", b"golden v1", meta={"tier": "gold"})
    program = {"source": counted(minio, key_prefix + "golden.db"),
               "destination": counted(minio, key_prefix + "seed.db")}
    step, res = engine.up(None, program)
    assert step == "create"
    assert minio.get(key_prefix + "seed.db") == b"golden v1"
    out = res.outputs
    assert out["method"] == "server-side" and out["size"] == 9 and out["etag"] == out["written_etag"]
    assert out["source_etag"] == minio.head(key_prefix + "golden.db")["etag"]
    assert minio.head(key_prefix + "seed.db")["meta"] == {"tier": "gold"}

    proxy.reset()
    step, res = engine.up(res, program)
    assert step == "same"
    assert proxy.methods() == ["HEAD"]  # check's HEAD of the source, and nothing else


def test_changed_source_is_planned_as_an_update_and_copied(engine, proxy, minio, key_prefix):
    minio.put(key_prefix + "src", b"v1")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst")}
    _, res = engine.up(None, program)
    old_etag = res.outputs["source_etag"]
    new_etag = minio.put(key_prefix + "src", b"version two")
    step, inputs = engine.preview(res, program)
    assert step == "update"
    assert (res.inputs["source_etag"], inputs["source_etag"]) == (old_etag, new_etag)
    assert minio.get(key_prefix + "dst") == b"v1"  # a preview writes nothing
    step, res = engine.up(res, program)
    assert step == "update" and minio.get(key_prefix + "dst") == b"version two"
    assert res.outputs["source_etag"] == new_etag


def test_refresh_shows_drift_and_next_up_restores(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"the copy")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst")}
    _, res = engine.up(None, program)
    same = engine.read(res)
    assert same.outputs == res.outputs and same.inputs == res.inputs  # nothing changed: no diff after refresh
    hand_etag = minio.put(key_prefix + "dst", b"edited by hand")
    refreshed = engine.read(res)
    assert refreshed.outputs["etag"] == hand_etag != refreshed.outputs["written_etag"]
    assert refreshed.outputs["size"] == len(b"edited by hand")
    step, res = engine.up(refreshed, program)
    assert step == "update" and minio.get(key_prefix + "dst") == b"the copy"


def test_destination_deleted_by_hand_is_dropped_then_copied_again(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"again")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst")}
    _, res = engine.up(None, program)
    minio.client.delete_object(Bucket=minio.bucket, Key=key_prefix + "dst")
    assert engine.read(res) is None
    step, _ = engine.up(None, program)
    assert step == "create" and minio.get(key_prefix + "dst") == b"again"


def test_delete_removes_only_what_it_wrote(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"mine")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "a")}
    _, res = engine.up(None, program)
    engine.delete(res)
    assert not minio.exists(key_prefix + "a")
    _, res = engine.up(None, {**program, "destination": counted(minio, key_prefix + "b")})
    minio.put(key_prefix + "b", b"someone else's now")
    engine.delete(res)
    assert minio.get(key_prefix + "b") == b"someone else's now"


def test_delete_policy_retain_keeps_the_object(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"keep")
    _, res = engine.up(None, {"source": counted(minio, key_prefix + "src"),
                              "destination": counted(minio, key_prefix + "dst"), "delete_policy": "retain"})
    engine.delete(res)
    assert minio.get(key_prefix + "dst") == b"keep"


def test_new_destination_replaces_create_before_delete(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"moving")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "old")}
    _, res = engine.up(None, program)
    step, res = engine.up(res, {**program, "destination": counted(minio, key_prefix + "new")})
    assert step == "replace"
    assert minio.get(key_prefix + "new") == b"moving" and not minio.exists(key_prefix + "old")


def test_same_object_under_another_profile_name_is_an_update_not_a_replace(engine, proxy, minio, key_prefix):
    minio.put(key_prefix + "src", b"same place")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst")}
    _, res = engine.up(None, program)
    renamed = {**program, "destination": f"s3://renamed@{minio.bucket}/{key_prefix}dst"}  # same endpoint
    inputs, _ = engine.check(res.inputs, renamed)
    assert list(engine.diff(res, inputs).replaces) == []
    proxy.reset()
    step, res = engine.up(res, renamed)
    assert step == "update" and minio.get(key_prefix + "dst") == b"same place"
    assert proxy.copies() == []  # nothing to copy: only the destination's name changed


@pytest.mark.parametrize("change,prop,reason", [
    ({"source": "gs://b/k"}, "source", "unknown scheme 'gs'"),
    ({"destination": "s3://bucket"}, "destination", "names a bucket or folder"),
    ({"metadata_directive": "MERGE"}, "metadata_directive", "'MERGE' is not one of COPY, REPLACE"),
    ({"metadata_directive": "REPLACE"}, "metadata", "REPLACE with no metadata"),
    ({"if_unmodified_since": "last tuesday"}, "if_unmodified_since", "is not a date"),
    ({"if_unmodified_since": "2026-13-45T99:00:00Z"}, "if_unmodified_since", "is not a date"),
    ({"if_match": "not an etag"}, "if_match", "'not an etag' is not an ETag"),
    ({"if_match": "*"}, "if_match", "is not an ETag"),
    ({"if_match": '"abc"def"'}, "if_match", "is not an ETag"),
    ({"overwrite": "yes"}, "overwrite", ""),
    ({"delete_policy": "shred"}, "delete_policy", "not one of delete, retain, all-versions"),
    ({"metadata": {"Bad Key": "v"}}, "metadata", "key 'Bad Key'"),
    ({"acl": "everyone"}, "acl", "not a canned ACL"),
    ({"tags": {"team": "a&b"}}, "tags", "tag 'team'"),
    ({"destination": "s3://nope@b/k"}, "destination", "profile 'nope'"),
    # What needs no network fails the preview, not `up`: the same rules for the destination as for the source
    ({"destination": "s3://minio@b/a/../k"}, "destination", "has a '..' path segment"),
    ({"destination": "file:///tmp/seed\x00.dump"}, "destination", "has a NUL byte"),
    ({"destination": "oss://b/" + "k" * 1024}, "destination", "over the 1,023 bytes oss:// allows"),
    ({"content_type": "text/plain\r\nX-Evil: 1"}, "content_type", "line break (CR or LF)"),
    ({"cache_control": "max-age=60\x00"}, "cache_control", "NUL byte"),
    ({"metadata": {"note": "two\nlines"}}, "metadata", "line break"),
    ({"tags": {"team": "a\nb"}}, "tags", "tag 'team'"),
    ({"server_side_encryption": "SM4"}, "server_side_encryption", "SM4 not offered by this destination's store"),
])
def test_check_reports_each_bad_input_on_its_property(engine, minio, key_prefix, change, prop, reason):
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst"),
               **change}
    _, failures = engine.check({}, program)
    assert any(p == prop and reason in r for p, r in failures), failures


def test_failed_precondition_fails_the_preview_naming_both_values(engine, minio, key_prefix):
    etag = minio.put(key_prefix + "src", b"precondition")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst"),
               "if_match": "0123456789abcdef0123456789abcdef"}
    with pytest.raises(CheckFailed) as e:
        engine.preview(None, program)
    [(prop, reason)] = e.value.failures
    assert prop == "if_match" and "0123456789abcdef0123456789abcdef" in reason and etag in reason
    assert not minio.exists(key_prefix + "dst")


def test_unsupported_option_for_the_destination_fails_the_preview(engine, backends, minio, key_prefix):
    swift = backends("swift")
    minio.put(key_prefix + "src", b"x")
    _, failures = engine.check({}, {"source": counted(minio, key_prefix + "src"),
                                    "destination": swift.url(key_prefix + "dst"), "tags": {"team": "a"}})
    assert [p for p, _ in failures] == ["tags"]


def test_adopt_existing_takes_over_without_copying(engine, proxy, minio, key_prefix):
    minio.put(key_prefix + "src", b"already there")
    minio.put(key_prefix + "dst", b"already there")
    proxy.reset()
    step, res = engine.up(None, {"source": counted(minio, key_prefix + "src"),
                                 "destination": counted(minio, key_prefix + "dst"), "adopt_existing": True})
    assert step == "create" and res.outputs["method"] == "adopted"
    assert proxy.copies() == []


def test_no_overwrite_refuses_an_existing_destination(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"new")
    minio.put(key_prefix + "dst", b"precious")
    with pytest.raises(Exception, match="already exists"):
        engine.up(None, {"source": counted(minio, key_prefix + "src"),
                         "destination": counted(minio, key_prefix + "dst"), "overwrite": False})
    assert minio.get(key_prefix + "dst") == b"precious"


def test_track_source_false_ignores_source_changes(engine, minio, key_prefix):
    minio.put(key_prefix + "src", b"v1")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst"),
               "track_source": False}
    _, res = engine.up(None, program)
    minio.put(key_prefix + "src", b"v2")
    assert engine.preview(res, program)[0] == "same"


def test_provider_is_pickled_by_reference_and_state_holds_no_secret(engine, minio, key_prefix):
    import base64
    blob = base64.b64decode(engine.blob)
    assert b"pulumi_objectcopy.resources.copied_object" in blob and len(blob) < 400
    minio.put(key_prefix + "src", b"s")
    _, res = engine.up(None, {"source": counted(minio, key_prefix + "src"),
                              "destination": counted(minio, key_prefix + "dst")})
    assert "minioadmin" not in json.dumps(res.outputs, default=str)


def test_drift_command_reports_each_kind_from_a_state_file(engine, minio, key_prefix, tmp_path):
    from ..conftest import run_cli
    resources = []
    for name in ("synced", "edited", "deleted", "source-moved"):
        minio.put(key_prefix + f"src-{name}", name.encode())
        _, res = engine.up(None, {"source": f"s3://minio@{minio.bucket}/{key_prefix}src-{name}",
                                  "destination": f"s3://minio@{minio.bucket}/{key_prefix}dst-{name}"})
        resources.append({"urn": f"urn:pulumi:dev::p::{'pulumi-python:dynamic/objectcopy:CopiedObject'}::{name}",
                          "type": "pulumi-python:dynamic/objectcopy:CopiedObject", "id": res.id,
                          "outputs": {k: v for k, v in res.outputs.items() if k != "__provider"}})
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    assert run_cli("drift", "--state", str(state)).returncode == 0
    minio.put(key_prefix + "dst-edited", b"by hand")
    minio.client.delete_object(Bucket=minio.bucket, Key=key_prefix + "dst-deleted")
    minio.put(key_prefix + "src-source-moved", b"v2")
    proc = run_cli("drift", "--state", str(state), "--json")
    assert proc.returncode == 4
    assert {f["name"]: f["status"] for f in json.loads(proc.stdout)} == {
        "synced": "in sync", "edited": "destination changed", "deleted": "destination missing",
        "source-moved": "source changed"}
    table = run_cli("drift", "--state", str(state)).stdout
    assert table.splitlines()[0].split() == ["NAME", "STATUS", "DESTINATION", "DETAIL"]


def test_replace_never_deletes_what_the_replacement_just_wrote(engine, minio, key_prefix):
    """Old and new destinations name one object through different endpoints (the proxy, and MinIO directly), so
    location() cannot tell they are the same: the delete of the old one must still spare the new copy."""
    minio.put(key_prefix + "src", b"one object, two names")
    program = {"source": counted(minio, key_prefix + "src"), "destination": counted(minio, key_prefix + "dst")}
    _, res = engine.up(None, program)
    res.outputs["last_modified"] = "2001-01-01T00:00:00+00:00"  # written long before the replacement
    step, res = engine.up(res, {**program, "destination": f"s3://minio@{minio.bucket}/{key_prefix}dst"})
    assert step == "replace"
    assert minio.get(key_prefix + "dst") == b"one object, two names"


def test_a_multipart_copy_is_stable_across_ups_and_refreshes(engine, proxy, minio, key_prefix):
    """The copy's `-N` ETag never equals the source's, which must not read as drift or a changed source (the
    perpetual re-copy users of other tools hit)."""
    import os
    minio.put(key_prefix + "big.dump", os.urandom(12 * 1024 * 1024), meta={"tier": "gold"})
    program = {"source": f"s3://parts@{minio.bucket}/{key_prefix}big.dump",
               "destination": f"s3://parts@{minio.bucket}/{key_prefix}seed.dump"}
    _, res = engine.up(None, program)
    assert res.outputs["method"] == "server-side-multipart" and res.outputs["etag"].endswith("-3")
    assert minio.head(key_prefix + "seed.dump")["meta"] == {"tier": "gold"}
    refreshed = engine.read(res)
    assert refreshed.outputs == res.outputs
    proxy.reset()
    assert engine.up(refreshed, program)[0] == "same"
    assert proxy.copies() == []
