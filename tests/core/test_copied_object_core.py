"""CopiedObject's core decisions over plain data, on local files: no server, no Pulumi, in milliseconds."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from pulumi_objectcopy import core
from pulumi_objectcopy.core import UNKNOWN, Context
from pulumi_objectcopy.stores.base import UsageError

R = core.resource("CopiedObject")


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "golden" / "db.sql"
    src.parent.mkdir()
    src.write_bytes(b"create table t (x int);\n")
    return src, tmp_path / "env" / "db.sql"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_core_imports_neither_pulumi_nor_grpc():
    code = ("import sys; from pulumi_objectcopy import core, transfer, cli; core.resources(); core.functions(); "
            "from pulumi_objectcopy.core import epm_common, epm_export, epm_import, epm_schema; "
            "from pulumi_objectcopy.core import analytics_snapshot, analytics_snapshot_restore, analytics_schema; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'grpc')]; print(bad); "
            "sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lifecycle_check_plan_create_noop_source_change_drift_delete(files):
    src, dst = files
    news = {"source": f"file://{src}", "destination": f"file://{dst}"}
    checked = R.check(news)
    assert checked.failures == ()
    assert checked.inputs["source_etag"] == _md5(src.read_bytes())
    planned = R.plan(None, checked.inputs)
    assert planned["source_etag"] == checked.inputs["source_etag"] and planned["etag"] is UNKNOWN

    applied = R.create(checked.inputs, Context())
    assert dst.read_bytes() == src.read_bytes()
    assert applied.id == f"file://{dst}" and applied.state["written_etag"] == applied.state["etag"]
    assert {k: applied.state[k] for k in planned if planned[k] is not UNKNOWN} == \
        {k: v for k, v in planned.items() if v is not UNKNOWN}

    again = R.check(news, checked.inputs)
    assert not R.diff(applied.id, applied.state, again.inputs).changed

    src.write_bytes(b"create table t (x int, y int);\n")
    changed = R.check(news, checked.inputs)
    diff = R.diff(applied.id, applied.state, changed.inputs)
    assert [c.property for c in diff.changes] == ["source_etag"] and not diff.replaces
    assert "will copy it again" in diff.changes[0].reason
    updated = R.update(applied.id, applied.state, changed.inputs, Context())
    assert dst.read_bytes() == src.read_bytes() and updated.state["source_etag"] == _md5(src.read_bytes())

    dst.write_bytes(b"edited by hand\n")
    read = R.read(updated.id, updated.state, Context())
    drift = R.diff(read.id, read.state, R.check(news, read.inputs).inputs)
    assert [c.property for c in drift.changes] == ["etag"]

    assert R.delete(read.id, read.state, Context()) != ()  # edited by hand: left in place, with a warning
    assert dst.exists()
    restored = R.update(read.id, read.state, R.check(news, read.inputs).inputs, Context())
    assert R.delete(restored.id, restored.state, Context()) == ()
    assert not dst.exists()
    assert R.read(restored.id, restored.state, Context()).id is None


def test_check_failures_name_their_property_and_skip_unknowns(files):
    src, dst = files
    result = R.check({"source": f"file://{src}", "destination": UNKNOWN, "metadata_directive": "MOVE",
                      "if_match": "not an etag"})
    assert {f.property for f in result.failures} == {"metadata_directive", "if_match"}
    assert all(f.reason.startswith(f.property) for f in result.failures)


def test_precondition_failure_is_reported_on_its_input(files):
    src, dst = files
    result = R.check({"source": f"file://{src}", "destination": f"file://{dst}", "if_match": "0" * 32})
    assert [f.property for f in result.failures] == ["if_match"]


def test_import_adopts_a_copy_and_refuses_a_wrong_pair(files):
    src, dst = files
    dst.parent.mkdir()
    dst.write_bytes(src.read_bytes())
    read = R.import_(f"file://{src},file://{dst}", Context())
    assert read.id == f"file://{dst}" and read.state["written_etag"] == _md5(src.read_bytes())
    assert not R.diff(read.id, read.state, R.check(read.inputs).inputs).changed
    dst.write_bytes(b"something else")
    with pytest.raises(UsageError, match="is not a copy of"):
        R.import_(f"file://{src},file://{dst}", Context())
    with pytest.raises(UsageError, match="SOURCE,DESTINATION"):
        R.import_(f"file://{src}", Context())


def test_import_id_splits_at_the_comma_that_starts_the_destination():
    from pulumi_objectcopy.core.copied_object import split_import_id
    assert split_import_id("s3://a/k,with,commas,s3://b/x,y") == ("s3://a/k,with,commas", "s3://b/x,y")


def test_get_object_reads_without_copying(files):
    src, _ = files
    result = core.function("getObject").call({"url": f"file://{src}"}, Context())
    assert result["etag"] == _md5(src.read_bytes()) and result["size"] == len(src.read_bytes())


def test_check_with_inputs_still_unknown_judges_the_rest(files):
    src, dst = files
    for unknown in ("tags", "metadata", "content_type", "server_side_encryption", "destination", "source"):
        result = R.check({"source": f"file://{src}", "destination": f"file://{dst}", unknown: UNKNOWN})
        assert result.failures == (), (unknown, result.failures)
        assert result.inputs[unknown] is UNKNOWN


def test_cancel_aborts_a_copy_in_parts_and_leaves_nothing():
    from pulumi_objectcopy.errors import Cancelled
    from pulumi_objectcopy.stores import memory
    from pulumi_objectcopy.stores.base import WriteOptions
    from pulumi_objectcopy.urls import parse
    store = memory.MemoryStore(None)
    memory.create_bucket("golden")
    memory.create_bucket("env")
    size = 80 * 1024 * 1024
    store.write(parse("mem://golden/big.bin"), b"x" * size, size, options=WriteOptions())
    ctx = Context()
    ctx.progress = lambda done, total: ctx.cancelled.set() if 0 < done < total else None
    checked = R.check({"source": "mem://golden/big.bin", "destination": "mem://env/big.bin"})
    with pytest.raises(Cancelled, match="stopped"):
        R.create(checked.inputs, ctx)
    assert list(store.list_uploads(parse("mem://env/", allow_prefix=True))) == []
    assert list(store.list(parse("mem://env/", allow_prefix=True))) == []


def test_readme_tables_are_the_schemas():
    from pathlib import Path

    from pulumi_objectcopy.core import docs
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text()
    assert "<!-- schema: CopiedObject inputs -->" in text
    assert docs.render(text) == text, "README tables differ from the schemas: python -m pulumi_objectcopy.core.docs"
