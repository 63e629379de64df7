"""The plugin's calls in process, through its gRPC servicer and the SDK's marshalling, on a small resource with the
core's contract (notes.py): schema, configure, check, diff, create, read, update, delete, import, invoke, unknowns
and secrets. Seconds, no server."""
from __future__ import annotations

import json

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2

from . import notes
from .harness import UNKNOWN, Aborted, Plugin, Secret

TOKEN = "objectcopy:index:Note"


@pytest.fixture
def plugin():
    notes.STORE.clear()
    return Plugin(notes.RESOURCES, notes.FUNCTIONS)


@pytest.fixture
def urn(plugin):
    return plugin.urn("n1", TOKEN)


def test_schema_from_the_tables(plugin):
    schema = json.loads(plugin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0)).schema)
    assert schema["name"] == "objectcopy"
    note = schema["resources"][TOKEN]
    assert set(note["inputProperties"]) == {"path", "text", "lineEnding", "labels", "apiKey", "deletePolicy"}
    assert {"textDigest", "writtenDigest", "keyHint", "size"} <= set(note["properties"])
    assert "apiKey" not in note["properties"]  # a secret input that is never an output
    assert note["requiredInputs"] == ["path", "text"]
    assert note["inputProperties"]["apiKey"]["secret"] is True and note["properties"]["keyHint"]["secret"] is True
    assert note["inputProperties"]["lineEnding"]["default"] == "LF"
    assert note["properties"]["size"]["type"] == "integer"
    assert note["inputProperties"]["labels"] == {"type": "object", "additionalProperties": {"type": "string"},
                                                 "description": "Labels"}
    every = [spec for r in schema["resources"].values() for kind in ("properties", "inputProperties")
             for spec in r[kind].values()]
    assert all(spec["description"] for spec in every)
    assert "pulumi import objectcopy:index:Note NAME 'PATH'" in note["description"]
    fn = schema["functions"]["objectcopy:index:getNote"]
    assert fn["inputs"]["required"] == ["path"] and set(fn["outputs"]["properties"]) == {"path", "textDigest", "size"}
    lang = schema["language"]
    assert lang["nodejs"]["packageName"] == "@objectcopy/pulumi"
    assert lang["go"]["importBasePath"].startswith("github.com/") and lang["csharp"]["rootNamespace"]
    assert lang["python"]["packageName"] != "pulumi_objectcopy"


def test_configure_reads_profiles_and_other_config(plugin):
    profiles = {"lab": {"scheme": "s3", "secret_access_key_config": "labSecret"}}
    answer = plugin.configure({"profiles": json.dumps(profiles), "labSecret": Secret("s3cr3t")})
    assert answer.supportsPreview and answer.acceptSecrets
    assert plugin.configured == [(profiles, {"labSecret": "s3cr3t"})]
    plugin.configure({}, variables={"objectcopy:config:profiles": json.dumps(profiles)})
    assert plugin.configured[-1] == (profiles, {})


def test_bad_profiles_fail_check_config_on_the_key(plugin):
    r = plugin.call("CheckConfig", provider_pb2.CheckRequest(
        urn="urn:pulumi:dev::proj::pulumi:providers:objectcopy::default",
        news=PropertyValue.marshal_map({"profiles": PropertyValue("{not json")})))
    [(prop, reason)] = [(f.property, f.reason) for f in r.failures]
    assert prop == "profiles" and reason.startswith("objectcopy:profiles is not valid JSON")


def test_check_fills_defaults_plans_and_names_fields_as_typed(plugin, urn):
    inputs, failures = plugin.check(urn, {"path": "a/b", "text": "hello", "lineEnding": "crlf"})
    assert failures == []
    assert inputs["lineEnding"] == "CRLF" and inputs["deletePolicy"] == "delete"
    assert inputs["textDigest"] == notes.digest("hello")  # planned at check: known in the plan
    _, failures = plugin.check(urn, {"path": "a_b", "text": "x", "lineEnding": "CR"})
    assert failures == [("lineEnding", "lineEnding: 'CR' is not one of LF, CRLF"),
                        ("path", "path: no underscores; see lineEnding and textDigest")]


def test_unknown_inputs_stay_unknown_through_check_and_preview(plugin, urn):
    inputs, failures = plugin.check(urn, {"path": "a/b", "text": UNKNOWN})
    assert failures == [] and inputs["text"] == UNKNOWN and inputs["textDigest"] == UNKNOWN
    _, planned = plugin.create(urn, inputs, preview=True)
    assert planned["size"] == UNKNOWN and planned["textDigest"] == UNKNOWN
    assert notes.STORE == {}  # a preview writes nothing


def test_preview_of_a_create_shows_planned_outputs_known(plugin, urn):
    inputs, _ = plugin.check(urn, {"path": "a/b", "text": "hello"})
    id_, planned = plugin.create(urn, inputs, preview=True)
    assert planned["textDigest"] == notes.digest("hello") and planned["size"] == 5
    assert planned["writtenDigest"] == UNKNOWN
    assert notes.STORE == {}


def test_lifecycle_create_diff_update_read_delete(plugin, urn):
    inputs, _ = plugin.check(urn, {"path": "a/b", "text": "hello", "labels": {"team": "db"}})
    id_, state = plugin.create(urn, inputs)
    assert id_ == "a/b" and state["size"] == 5 and state["writtenDigest"] == notes.digest("hello")
    assert plugin.warnings(urn) == ["labels are not kept by this store"]
    assert ("info", "wrote a/b", urn) in plugin.engine.sent

    same = plugin.diff(urn, id_, state, inputs)
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE

    news, _ = plugin.check(urn, {"path": "a/b", "text": "hello v2", "labels": {"team": "db"}}, olds=inputs)
    d = plugin.diff(urn, id_, state, news)
    assert d.changes == provider_pb2.DiffResponse.DIFF_SOME and list(d.replaces) == []
    assert d.detailedDiff["textDigest"].kind == provider_pb2.PropertyDiff.UPDATE
    assert d.detailedDiff["text"].inputDiff
    planned = plugin.update(urn, id_, state, news, preview=True)
    assert planned["textDigest"] == notes.digest("hello v2") and notes.STORE["a/b"]["text"] == "hello"
    state = plugin.update(urn, id_, state, news)
    assert notes.STORE["a/b"]["text"] == "hello v2" and state["size"] == 8

    moved, _ = plugin.check(urn, {"path": "c/d", "text": "hello v2"}, olds=news)
    d = plugin.diff(urn, id_, state, moved)
    assert list(d.replaces) == ["path"] and d.deleteBeforeReplace
    assert d.detailedDiff["path"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE
    assert not plugin.diff(urn, id_, state, moved, ignore=["path"]).replaces

    notes.STORE["a/b"] = {"text": "by hand", "digest": notes.digest("by hand")}
    rid, refreshed, rinputs = plugin.read(urn, id_, state, news)
    assert rid == id_ and refreshed["textDigest"] == notes.digest("by hand") and rinputs["text"] == "hello v2"
    d = plugin.diff(urn, id_, refreshed, news)
    assert d.changes == provider_pb2.DiffResponse.DIFF_SOME and "textDigest" in d.detailedDiff
    why = ("info", "the note was edited by hand: will write it again", urn)
    assert why not in plugin.engine.sent  # said by the update, under the resource's property diff
    plugin.update(urn, id_, refreshed, news, preview=True)
    assert why in plugin.engine.sent

    plugin.delete(urn, id_, {**state, "deletePolicy": "retain"})
    assert plugin.warnings(urn)[-1] == "a/b left in place: deletePolicy is retain" and "a/b" in notes.STORE
    plugin.delete(urn, id_, state)
    assert "a/b" not in notes.STORE
    assert plugin.read(urn, id_, state, news)[0] == ""  # gone: refresh drops it


def test_errors_are_one_line_in_the_users_names(plugin, urn):
    inputs, _ = plugin.check(urn, {"path": "a/b", "text": "boom"})
    with pytest.raises(Aborted) as e:
        plugin.create(urn, inputs)
    assert e.value.details == "text: 'boom' cannot be written; give textDigest another text"
    with pytest.raises(Aborted) as e:
        plugin.check(plugin.urn("x", "objectcopy:index:Nope"), {})
    assert e.value.details.startswith("objectcopy:index:Nope: not a resource of the objectcopy provider")


def test_secrets_stay_secret(plugin, urn):
    inputs, _ = plugin.check(urn, {"path": "a/b", "text": Secret("classified"), "apiKey": Secret("k-123456")})
    assert inputs["text"] == Secret("classified") and inputs["apiKey"] == Secret("k-123456")
    _, state = plugin.create(urn, inputs)
    assert state["text"] == Secret("classified")        # given as a secret: kept secret
    assert state["keyHint"] == Secret("k-1")            # derived from a secret: secret by the schema
    assert "apiKey" not in state                        # never an output
    _, refreshed, rinputs = plugin.read(urn, "a/b", state, inputs)
    assert refreshed["text"] == Secret("classified") and rinputs["text"] == Secret("classified")


def test_import_by_id(plugin):
    urn = plugin.urn("adopted", TOKEN)
    notes.STORE["x/y"] = {"text": "there already", "digest": notes.digest("there already")}
    rid, state, inputs = plugin.read(urn, "x/y")
    assert rid == "x/y" and state["textDigest"] == notes.digest("there already")
    assert inputs == {"path": "x/y", "text": "there already", "lineEnding": "LF", "labels": {},
                      "deletePolicy": "delete"}
    with pytest.raises(Aborted) as e:
        plugin.read(urn, "nowhere")
    assert e.value.details == "import id 'nowhere': no note at that path (give PATH)"


def test_the_check_after_an_import_does_not_fail_what_the_import_could_not_see(plugin):
    """`pulumi import` checks the inputs its read recorded against themselves: an input the import could not see
    is absent there, and is no failure (the program gives it); a check of a program's inputs still fails it."""
    urn = plugin.urn("adopted", TOKEN)
    recorded = {"path": "x/y", "lineEnding": "LF", "labels": {}, "deletePolicy": "delete"}  # no text
    assert plugin.check(urn, recorded, olds=recorded)[1] == []
    assert [p for p, _ in plugin.check(urn, recorded, olds={**recorded, "text": "old"})[1]] == ["text"]
    wrong = {**recorded, "lineEnding": "CR"}
    assert [p for p, _ in plugin.check(urn, wrong, olds=wrong)[1]] == ["lineEnding"]  # what is there: judged


def test_dynamic_provider_state_is_read_and_brought_to_the_plugins_form(plugin, urn):
    """State the dynamic provider wrote: snake_case names and its pickled provider. A stack moved to the plugin
    (aliases) plans no change, and its first refresh rewrites the state in the plugin's form."""
    notes.STORE["a/b"] = {"text": "hello", "digest": notes.digest("hello")}
    dynamic = {"__provider": Secret("gASVpickled"), "path": "a/b", "text": "hello", "line_ending": "LF",
               "labels": {}, "delete_policy": "delete", "size": 5, "text_digest": notes.digest("hello"),
               "written_digest": notes.digest("hello")}
    news, failures = plugin.check(urn, {"path": "a/b", "text": "hello"},
                                  olds={k: v for k, v in dynamic.items() if k not in ("size", "written_digest")})
    assert failures == []
    assert plugin.diff(urn, "a/b", dynamic, news).changes == provider_pb2.DiffResponse.DIFF_NONE
    _, state, inputs = plugin.read(urn, "a/b", dynamic, dynamic)
    assert "__provider" not in state and "text_digest" not in state
    assert state["textDigest"] == notes.digest("hello") and state["writtenDigest"] == notes.digest("hello")
    assert inputs["lineEnding"] == "LF" and "line_ending" not in inputs


def test_invoke(plugin):
    notes.STORE["x/y"] = {"text": "abc", "digest": notes.digest("abc")}
    r = plugin.invoke("objectcopy:index:getNote", {"path": "x/y"})
    assert {k: v.value for k, v in PropertyValue.unmarshal_map(getattr(r, "return")).items()} == \
        {"path": "x/y", "textDigest": notes.digest("abc"), "size": 3.0}
    r = plugin.invoke("objectcopy:index:getNote", {"path": ""})
    assert [(f.property, f.reason) for f in r.failures] == [("path", "path: required")]
    with pytest.raises(Aborted) as e:
        plugin.invoke("objectcopy:index:getNote", {"path": "nope"})
    assert e.value.details == "getNote nope: no such note"
