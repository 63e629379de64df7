"""The provider over the core's real CopiedObject, in process, on file:// (seconds; the same decisions the
terraform scenario tests take minutes to reach)."""
from __future__ import annotations

import json

from pulumi_objectcopy.core import UNKNOWN
from pulumi_objectcopy.terraform import values
from pulumi_objectcopy.terraform._proto import tfplugin6_pb2 as pb

from .conftest import shown

decode = values.decode


def test_copied_object_plan_apply_refresh_and_import(core_provider, tmp_path):
    src, dst = tmp_path / "golden.dump", tmp_path / "env" / "seed.dump"
    src.write_bytes(b"golden v1\n")
    config = core_provider.config(source=f"file://{src}", destination=f"file://{dst}", metadata_directive="copy")
    planned = decode(core_provider.plan(None, config).planned_state.msgpack)
    assert planned["metadata_directive"] == "copy" and planned["delete_policy"] == "delete"
    assert isinstance(planned["source_etag"], str) and planned["etag"] is UNKNOWN
    state = core_provider.create(config)
    assert dst.read_bytes() == b"golden v1\n" and state["source_etag"] == planned["source_etag"]
    assert state["id"] == f"file://{dst}" and state["written_etag"] == state["etag"]
    refreshed = decode(core_provider.read(state).new_state.msgpack)
    assert refreshed == state
    assert decode(core_provider.plan(refreshed, config).planned_state.msgpack) == refreshed

    src.write_bytes(b"golden v2\n")
    changed = decode(core_provider.plan(refreshed, config).planned_state.msgpack)
    assert changed["source_etag"] != state["source_etag"] and changed["etag"] is UNKNOWN

    answer = core_provider.stub.ImportResourceState(pb.ImportResourceState.Request(
        type_name="objectcopy_copied_object", id=f"file://{src},file://{dst}"))
    assert "is not a copy of" in shown(answer.diagnostics)[0][1]          # v1 at the destination, v2 at source
    dst.write_bytes(src.read_bytes())
    answer = core_provider.stub.ImportResourceState(pb.ImportResourceState.Request(
        type_name="objectcopy_copied_object", id=f"file://{src},file://{dst}"))
    imported = decode(answer.imported_resources[0].state.msgpack)
    assert not answer.diagnostics and imported["method"] == "imported" and imported["source"] == f"file://{src}"


def test_copied_object_moved_destination_is_a_replacement(core_provider, tmp_path):
    src = tmp_path / "golden.dump"
    src.write_bytes(b"golden\n")
    state = core_provider.create(core_provider.config(source=f"file://{src}", destination=f"file://{tmp_path}/a"))
    moved = core_provider.plan(state, core_provider.config(source=f"file://{src}", destination=f"file://{tmp_path}/b"))
    assert [[s.attribute_name for s in p.steps] for p in moved.requires_replace] == [["destination"]]


def test_copied_object_failures_are_on_their_attribute(core_provider, tmp_path):
    config = core_provider.config(source=f"file://{tmp_path}/a", destination="nowhere://x/y")
    [(severity, summary, steps)] = shown(core_provider.plan(None, config).diagnostics)
    assert severity == "ERROR" and steps == ["destination"] and summary.startswith("destination: ")


def test_the_object_data_source(core_provider, tmp_path):
    golden = tmp_path / "golden.json"
    golden.write_text('{"v": 1}\n')
    config = {"url": f"file://{golden}", "etag": None, "size": None, "last_modified": None, "metadata": None,
              "content_type": None}
    answer = core_provider.stub.ReadDataSource(pb.ReadDataSource.Request(
        type_name="objectcopy_object", config=pb.DynamicValue(msgpack=values.encode(config))))
    state = decode(answer.state.msgpack)
    assert not answer.diagnostics and state["size"] == 9 and state["url"] == f"file://{golden}"
    schema = core_provider.stub.GetProviderSchema(pb.GetProviderSchema.Request())
    attrs = {a.name: a for a in schema.data_source_schemas["objectcopy_object"].block.attributes}
    assert attrs["url"].required and attrs["etag"].computed and json.loads(attrs["metadata"].type) == ["map", "string"]
