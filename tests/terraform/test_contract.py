"""The tfplugin6 service in process, over its real transport, driven as terraform drives it."""
from __future__ import annotations

import json
import re
import threading

import pytest

from pulumi_objectcopy.core import UNKNOWN
from pulumi_objectcopy.terraform import values
from pulumi_objectcopy.terraform._proto import tfplugin6_pb2 as pb

from .conftest import TYPE, dv, shown
from .fake_core import md5

decode = values.decode


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "golden.txt"
    src.write_text("golden v1\n")
    return src, tmp_path / "copy.txt"


def test_schema_comes_from_the_core_tables(provider):
    answer = provider.stub.GetProviderSchema(pb.GetProviderSchema.Request())
    assert not answer.diagnostics
    assert answer.server_capabilities.plan_destroy and answer.server_capabilities.get_provider_schema_optional
    attrs = {a.name: a for a in answer.resource_schemas[TYPE].block.attributes}
    flags = {n: (a.required, a.optional, a.computed, a.sensitive, a.write_only) for n, a in attrs.items()}
    assert flags["id"] == (False, False, True, False, False)
    assert flags["source"] == (True, False, False, False, False)
    assert flags["mode"] == (False, True, True, False, False)         # default: Optional+Computed
    assert flags["metadata"] == (False, True, True, False, False)
    assert flags["token"] == (False, True, False, True, True)         # a service secret never stored
    assert flags["source_etag"] == (False, False, True, False, False)
    assert json.loads(attrs["size"].type) == "number" and json.loads(attrs["metadata"].type) == ["map", "string"]
    assert attrs["destination"].description == "where the copy goes"
    assert answer.resource_schemas[TYPE].block.description == "a copy of one local file"
    data = {a.name: a for a in answer.data_source_schemas["objectcopy_file"].block.attributes}
    assert data["path"].required and data["etag"].computed
    profiles = answer.provider.block.attributes[0]
    assert profiles.name == "profiles" and profiles.nested_type.nesting == pb.Schema.Object.MAP
    fields = {a.name: a for a in profiles.nested_type.attributes}
    assert json.loads(fields["verify_tls"].type) == "bool" and json.loads(fields["part_size"].type) == "number"
    assert fields["endpoint"].optional and fields["key_config"].description.startswith("refused in Terraform")
    metadata = provider.stub.GetMetadata(pb.GetMetadata.Request())
    assert [r.type_name for r in metadata.resources] == [TYPE]


def test_validate_names_the_attribute_and_skips_unknowns(provider):
    bad = provider.validate(provider.config(source="/a", destination="/b", mode="MOVE"))
    assert shown(bad) == [("ERROR", "mode: 'MOVE' is not one of COPY, REPLACE", ["mode"])]
    assert not provider.validate(provider.config(source="/a", destination="/b", mode=UNKNOWN))
    missing = provider.validate(provider.config(destination="/b"))
    assert shown(missing)[0][2] == ["source"]


def test_write_only_secret_needs_a_terraform_that_keeps_it_out_of_state(provider):
    config = provider.config(source="/a", destination="/b", token="s3cret")
    assert not provider.validate(config)
    old = provider.validate(config, pb.ClientCapabilities(write_only_attributes_allowed=False))
    assert shown(old)[0][2] == ["token"] and "Terraform 1.11" in shown(old)[0][1]


def test_plan_create_shows_the_source_etag_and_echoes_the_configuration(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst), mode="copy", token="s3cret")
    answer = provider.plan(None, config)
    assert not answer.diagnostics
    planned = decode(answer.planned_state.msgpack)
    assert planned["source_etag"] == md5(str(src))                 # known at plan time
    assert planned["mode"] == "copy"                                 # the configuration's own string
    assert planned["metadata"] == {} and planned["track_source"] is True   # defaults planned
    assert planned["etag"] is UNKNOWN and planned["id"] is UNKNOWN and planned["size"] is UNKNOWN
    assert planned["token"] is None                                  # write-only: never planned
    assert not dst.exists()


def test_apply_keeps_every_planned_value_and_a_second_plan_is_empty(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst), mode="copy", token="s3cret")
    planned = decode(provider.plan(None, config).planned_state.msgpack)
    applied = provider.apply(None, planned, config)
    assert not applied.diagnostics
    state = decode(applied.new_state.msgpack)
    for name, value in planned.items():
        if value is not UNKNOWN:
            assert state[name] == value, name
    assert state["id"] == str(dst) and state["size"] == len("golden v1\n") and state["token"] is None
    assert provider.resource.tokens == ["s3cret"] and dst.read_text() == "golden v1\n"
    refreshed = decode(provider.read(state).new_state.msgpack)
    assert refreshed == state
    again = provider.plan(refreshed, config)
    assert decode(again.planned_state.msgpack) == refreshed and not again.requires_replace


def test_changed_source_plans_an_update_with_the_new_etag(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst))
    state = provider.create(config)
    src.write_text("golden v2\n")
    planned = decode(provider.plan(state, config).planned_state.msgpack)
    assert planned["source_etag"] == md5(str(src)) != state["source_etag"]
    assert planned["etag"] is UNKNOWN and planned["id"] == state["id"]
    new = decode(provider.apply(state, planned, config).new_state.msgpack)
    assert dst.read_text() == "golden v2\n" and new["source_etag"] == planned["source_etag"]


def test_source_changed_between_plan_and_apply_fails_on_the_pinned_etag(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst))
    planned = decode(provider.plan(None, config).planned_state.msgpack)
    src.write_text("changed after the plan\n")
    answer = provider.apply(None, planned, config)
    [(severity, summary, _)] = shown(answer.diagnostics)
    assert severity == "ERROR" and "changed since the plan" in summary
    assert not dst.exists()


def test_destination_edited_by_hand_is_drift_and_is_restored(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst))
    state = provider.create(config)
    dst.write_text("edited by hand\n")
    refreshed = decode(provider.read(state).new_state.msgpack)
    assert refreshed["etag"] == md5(str(dst)) != state["etag"]
    planned = decode(provider.plan(refreshed, config).planned_state.msgpack)
    assert planned["etag"] is UNKNOWN
    restored = decode(provider.apply(refreshed, planned, config).new_state.msgpack)
    assert dst.read_text() == "golden v1\n" and restored["etag"] == restored["written_etag"]


def test_destination_deleted_by_hand_reads_as_gone(provider, files):
    src, dst = files
    state = provider.create(provider.config(source=str(src), destination=str(dst)))
    dst.unlink()
    assert decode(provider.read(state).new_state.msgpack) is None


def test_moved_destination_requires_replacement(provider, files, tmp_path):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst))
    state = provider.create(config)
    moved = provider.config(source=str(src), destination=str(tmp_path / "elsewhere.txt"))
    answer = provider.plan(state, moved)
    assert [[s.attribute_name for s in p.steps] for p in answer.requires_replace] == [["destination"]]
    assert decode(answer.planned_state.msgpack)["id"] is UNKNOWN


def test_destroy_plans_null_and_leaves_what_it_did_not_write_with_a_warning(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst))
    state = provider.create(config)
    assert decode(provider.plan(state, None, None).planned_state.msgpack) is None
    dst.write_text("someone else's now\n")
    answer = provider.apply(state, None, None)
    assert shown(answer.diagnostics) == [("WARNING", f"{dst} was left in place: it is not the file this resource "
                                                     "wrote", [])]
    assert decode(answer.new_state.msgpack) is None and dst.exists()


def test_import_adopts_a_copy_and_refuses_a_wrong_pair(provider, files, tmp_path):
    src, dst = files
    dst.write_text(src.read_text())
    answer = provider.stub.ImportResourceState(pb.ImportResourceState.Request(type_name=TYPE, id=f"{src},{dst}"))
    assert not answer.diagnostics
    [imported] = answer.imported_resources
    state = decode(imported.state.msgpack)
    assert imported.type_name == TYPE and state["id"] == str(dst) and state["source"] == str(src)
    assert state["mode"] == "COPY" and state["etag"] == md5(str(src))
    config = provider.config(source=str(src), destination=str(dst))
    assert decode(provider.plan(state, config).planned_state.msgpack) == state   # nothing to do after import
    other = tmp_path / "other.txt"
    other.write_text("not a copy\n")
    wrong = provider.stub.ImportResourceState(pb.ImportResourceState.Request(type_name=TYPE, id=f"{src},{other}"))
    assert shown(wrong.diagnostics) == [("ERROR", f"import: {other} does not hold a copy of {src}", [])]


def test_upgrade_reads_json_state_of_an_older_shape(provider, files):
    raw = {"id": "/x", "source": "/a", "destination": "/x", "size": 12, "retired_attribute": "gone"}
    answer = provider.stub.UpgradeResourceState(pb.UpgradeResourceState.Request(
        type_name=TYPE, version=0, raw_state=pb.RawState(json=json.dumps(raw).encode())))
    state = decode(answer.upgraded_state.msgpack)
    assert set(state) == set(provider.attributes())
    assert state["size"] == 12 and state["source"] == "/a" and state["etag"] is None
    newer = provider.stub.UpgradeResourceState(pb.UpgradeResourceState.Request(
        type_name=TYPE, version=9, raw_state=pb.RawState(json=b"{}")))
    assert "newer terraform-provider-objectcopy" in shown(newer.diagnostics)[0][1]


def test_unknown_inputs_plan_unknown_outputs(provider, files):
    _, dst = files
    answer = provider.plan(None, provider.config(source=UNKNOWN, destination=str(dst), metadata={"k": UNKNOWN}))
    assert not answer.diagnostics
    planned = decode(answer.planned_state.msgpack)
    assert planned["source"] is UNKNOWN and planned["source_etag"] is UNKNOWN
    assert planned["metadata"] == {"k": UNKNOWN}            # echoed as configured, partly unknown


def test_a_missing_source_is_a_diagnostic_on_its_line(provider, tmp_path):
    answer = provider.plan(None, provider.config(source=str(tmp_path / "nope"), destination=str(tmp_path / "d")))
    assert shown(answer.diagnostics) == [("ERROR", f"source: {tmp_path / 'nope'} does not exist", ["source"])]


def test_an_unexpected_exception_is_a_diagnostic_not_a_grpc_error(provider, files, monkeypatch):
    src, dst = files
    monkeypatch.setattr(provider.resource, "read", lambda *a: 1 / 0)
    answer = provider.read({"id": str(dst), "source": str(src), "destination": str(dst)})
    [(severity, summary, _)] = shown(answer.diagnostics)
    assert severity == "ERROR" and summary.startswith("internal error in terraform-provider-objectcopy")
    unknown_type = provider.stub.ValidateResourceConfig(pb.ValidateResourceConfig.Request(
        type_name="objectcopy_nothing", config=dv({})))
    assert "no resource type 'objectcopy_nothing'" in shown(unknown_type.diagnostics)[0][1]


def test_stop_provider_cancels_the_call_in_flight(provider, files):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst), metadata={"wait": "1"})
    planned = decode(provider.plan(None, config).planned_state.msgpack)
    answers = []
    apply = threading.Thread(target=lambda: answers.append(provider.apply(None, planned, config)))
    apply.start()
    assert provider.resource.started.wait(10)
    provider.stub.StopProvider(pb.StopProvider.Request())
    apply.join(10)
    assert shown(answers[0].diagnostics) == [("ERROR", "cancelled: nothing was copied", [])]
    assert not dst.exists()


def test_provider_block_refuses_stack_config_fields_on_their_path(provider):
    fields = {name: None for name in ("endpoint", "secret_access_key_config", "secret_access_key")}
    config = {"profiles": {"minio": {**fields, "endpoint": "http://127.0.0.1:19000",
                                     "secret_access_key_config": "objectcopy:minioSecret"}}}
    answer = provider.stub.ValidateProviderConfig(pb.ValidateProviderConfig.Request(config=dv(config)))
    [(severity, summary, steps)] = shown(answer.diagnostics)
    assert steps == ["profiles", ("minio",), "secret_access_key_config"]
    assert "Pulumi stack config" in summary and "secret_access_key_env" in summary


def test_configure_hands_the_profiles_to_the_core(provider, monkeypatch, tmp_path):
    from pulumi_objectcopy import profiles
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    config = {"profiles": {"minio": {"endpoint": "http://127.0.0.1:19000", "part_size": 8388608.0,
                                     "verify_tls": None}}}
    answer = provider.stub.ConfigureProvider(pb.ConfigureProvider.Request(config=dv(config)))
    assert not answer.diagnostics
    assert profiles.load_profiles()["minio"] == {"endpoint": "http://127.0.0.1:19000", "part_size": 8388608}


def test_data_source_reads_without_copying(provider, files):
    src, _ = files
    answer = provider.stub.ReadDataSource(pb.ReadDataSource.Request(
        type_name="objectcopy_file", config=dv({"path": str(src), "etag": None, "size": None})))
    assert not answer.diagnostics
    assert decode(answer.state.msgpack) == {"path": str(src), "etag": md5(str(src)), "size": 10}
    missing = provider.stub.ReadDataSource(pb.ReadDataSource.Request(
        type_name="objectcopy_file", config=dv({"path": "/nope", "etag": None, "size": None})))
    assert shown(missing.diagnostics) == [("ERROR", "path: /nope does not exist", [])]


def test_progress_of_an_apply_reaches_terraforms_log_as_hclog_lines(provider, files, capsys):
    import logging

    from pulumi_objectcopy.terraform import tflog
    src, dst = files
    tflog.install()
    try:
        provider.create(provider.config(source=str(src), destination=str(dst)))
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    progress = [line for line in lines if "bytes" in line["@message"]]
    assert progress and progress[-1]["@level"] == "info"
    assert progress[-1]["@message"] == f"{TYPE} {dst}: 10 of 10 bytes (100%)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", progress[-1]["@timestamp"])


def test_a_failed_update_or_delete_keeps_the_object_in_state(provider, files, monkeypatch):
    src, dst = files
    config = provider.config(source=str(src), destination=str(dst))
    state = provider.create(config)
    src.write_text("golden v2\n")
    planned = decode(provider.plan(state, config).planned_state.msgpack)
    src.write_text("golden v3, after the plan\n")
    failed = provider.apply(state, planned, config)
    assert shown(failed.diagnostics)[0][0] == "ERROR" and decode(failed.new_state.msgpack) == state
    monkeypatch.setattr(provider.resource, "delete", lambda *a: 1 / 0)
    not_deleted = provider.apply(state, None, None)
    assert shown(not_deleted.diagnostics)[0][0] == "ERROR" and decode(not_deleted.new_state.msgpack) == state
    assert decode(provider.apply(None, planned, config).new_state.msgpack) is None   # a failed create: nothing


@pytest.mark.parametrize("environ,debug", [
    ({}, False), ({"TF_LOG": "info"}, False), ({"TF_LOG": "OFF"}, False), ({"TF_LOG_PROVIDER": "warn"}, False),
    ({"TF_LOG": "DEBUG"}, True), ({"TF_LOG": "trace"}, True), ({"TF_LOG": "JSON"}, True), ({"TF_LOG": "loud"}, True),
    ({"TF_LOG_PROVIDER": "debug"}, True), ({"TF_LOG": "TRACE", "TF_LOG_PROVIDER": "INFO"}, False),
    ({"TF_LOG": "INFO", "TF_LOG_PROVIDER": "TRACE"}, True), ({"TF_LOG": "TRACE", "TF_LOG_PROVIDER": ""}, True),
])
def test_each_request_is_logged_when_terraform_shows_the_providers_debug_lines(environ, debug, capsys):
    """Terraform's provider log level is TF_LOG_PROVIDER's, else TF_LOG's (unset: off; JSON or an unknown name:
    TRACE); below debug the two lines per request would be parsed and dropped."""
    import logging

    from pulumi_objectcopy.terraform import tflog
    tflog.install(environ=environ)
    try:
        logging.getLogger("pulumi_objectcopy.http").debug("> HEAD http://127.0.0.1:9000/b/k")
        logging.getLogger("pulumi_objectcopy.terraform").info("progress")
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger("pulumi_objectcopy").setLevel(logging.NOTSET)
    lines = [json.loads(line)["@message"] for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert lines == (["> HEAD http://127.0.0.1:9000/b/k"] if debug else []) + ["progress"]
