"""The plugin over the core's real registry: its schema, what importing it loads, and the SDKs generated from it."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from pulumi_objectcopy import core
from pulumi_objectcopy.plugin.server import make_provider

from .harness import Plugin


def test_schema_has_every_resource_and_function_of_the_core():
    plugin = Plugin(core.resources(), core.functions())
    from pulumi.runtime.proto import provider_pb2
    schema = json.loads(plugin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0)).schema)
    assert set(schema["resources"]) == {f"objectcopy:index:{name}" for name in core.RESOURCE_MODULES}
    assert set(schema["functions"]) == {f"objectcopy:index:{name}" for name in core.FUNCTION_MODULES}
    copied = schema["resources"]["objectcopy:index:CopiedObject"]
    assert {"sourceEtag", "metadataDirective", "writtenEtag"} <= set(copied["properties"])
    assert copied["requiredInputs"] == ["source", "destination"]
    assert set(schema["functions"]["objectcopy:index:getObject"]["outputs"]["properties"]) >= {
        "etag", "size", "lastModified", "metadata", "contentType"}
    for spec in [*schema["resources"].values(), *(f["inputs"] for f in schema["functions"].values()),
                 *(f["outputs"] for f in schema["functions"].values())]:
        for name, prop in {**spec["properties"], **spec.get("inputProperties", {})}.items():
            assert "_" not in name and prop["description"], name
    secret = {p.camel for r in core.resources().values() for p in r.schema.props if p.secret}
    marked = {name for r in schema["resources"].values() for kind in ("properties", "inputProperties")
              for name, prop in r[kind].items() if prop.get("secret")}
    assert marked == secret


def test_the_plugin_serves_before_loading_the_copy_code_and_never_loads_the_dynamic_resources():
    probe = """
import sys, json, asyncio
from pulumi_objectcopy.plugin import server
before = set(sys.modules)
p = server.make_provider(None)
from pulumi.provider.experimental.provider import GetSchemaRequest
asyncio.run(p.get_schema(GetSchemaRequest(0)))
print(json.dumps({"at_start": sorted(before),
                  "after": sorted(set(sys.modules))}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
    # serving starts before the copy machinery (transfer, the stores' HTTP layer, requests) is loaded
    assert not [m for m in out["at_start"] if m.startswith(("pulumi_objectcopy.transfer", "pulumi_objectcopy.http",
                                                             "pulumi_objectcopy.core.copied_object"))]
    # nor the dynamic resources (`import pulumi` itself loads pulumi.dynamic and dill: the SDK's, not ours)
    assert not [m for m in out["after"] if m.startswith("pulumi_objectcopy.resources")]


def test_provider_is_made_without_loading_the_core_resources():
    provider = make_provider(None)
    assert provider._loaded is None


def test_outputs_set_by_every_apply_are_required_in_the_schema():
    """What every create and update sets (and the inputs with a default, filled in by check) is in each resource's
    `required` outputs, so generated SDKs type it as present; what may be absent is not."""
    plugin = Plugin(core.resources(), core.functions())
    from pulumi.runtime.proto import provider_pb2
    schema = json.loads(plugin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0)).schema)
    required = {token.split(":")[-1]: set(spec["required"]) for token, spec in schema["resources"].items()}
    assert {"etag", "size", "sourceEtag", "copiedAt", "method", "writtenEtag", "source", "destination",
            "metadataDirective", "deletePolicy"} <= required["CopiedObject"]
    assert not {"lastModified", "versionId", "copiedSourceVersionId", "tags", "acl"} & required["CopiedObject"]
    assert {"objectUrl", "etag", "writtenEtag", "size"} <= required["EpmObjectStoreExport"]
    assert not {"jobId", "exportedAt", "keyFingerprint"} & required["EpmObjectStoreExport"]  # none when imported
    assert {"fileName", "trackSource"} <= required["EpmObjectStoreImport"]
    assert not {"jobId", "sourceEtag", "importedAt"} & required["EpmObjectStoreImport"]
    assert set(schema["functions"]["objectcopy:index:getObject"]["outputs"]["required"]) == {
        "url", "etag", "size", "metadata"}


def test_sdks_generated_from_the_schema(sdk):
    """scripts/gen-sdk.sh ran: the TypeScript SDK was compiled and packed, the Go SDK compiled, the C# SDK generated;
    an output every apply sets is typed as present, one that may be absent as optional."""
    [tarball] = sdk.glob("objectcopy-pulumi-*.tgz")
    assert (sdk / "nodejs" / "bin" / "copiedObject.js").exists() and tarball.stat().st_size > 0
    ts = (sdk / "nodejs" / "copiedObject.ts").read_text()
    for name, kind in {"etag": "string", "size": "number", "sourceEtag": "string", "writtenEtag": "string",
                       "method": "string", "metadataDirective": "string", "lastModified": "string | undefined",
                       "versionId": "string | undefined"}.items():
        assert re.search(rf"readonly {name}: pulumi\.Output<{re.escape(kind)}>;", ts), name
    assert "readonly etag: string;" in (sdk / "nodejs" / "getObject.ts").read_text()
    go = (sdk / "go" / "objectcopy" / "copiedObject.go").read_text()
    for field in ("Etag pulumi.StringOutput", "Size pulumi.IntOutput", "SourceEtag pulumi.StringOutput",
                  "WrittenEtag pulumi.StringOutput", "LastModified pulumi.StringPtrOutput"):
        assert re.search(rf"\b{field} ", go), field
    prefix = (sdk / "nodejs" / "copiedPrefix.ts").read_text()
    for name in ("include", "exclude"):
        assert f"{name}?: pulumi.Input<pulumi.Input<string>[] | undefined>;" in prefix
    assert "readonly objectCount: pulumi.Output<number | undefined>;" in prefix and "readonly written:" not in prefix
    assert json.loads((sdk / "schema.json").read_text())["language"]["nodejs"]["packageName"] == "@objectcopy/pulumi"
    # C#: generated (no .NET SDK here to compile it), with the same types and the resource's token
    cs = (sdk / "dotnet" / "CopiedObject.cs").read_text()
    for field in ("Output<string> Etag", "Output<int> Size", "Output<string> SourceEtag", "Output<string> WrittenEtag",
                  "Output<string?> LastModified", "Input<string> Source"):
        assert re.search(rf"public {re.escape(field)}\b", cs), field
    assert 'base("objectcopy:index:CopiedObject", name' in cs and "namespace ObjectCopy.Objectcopy" in cs
    cs_prefix = (sdk / "dotnet" / "CopiedPrefix.cs").read_text()
    assert "public InputList<string> Include" in cs_prefix and " Written " not in cs_prefix
    project = (sdk / "dotnet" / "ObjectCopy.Objectcopy.csproj").read_text()
    assert '<PackageReference Include="Pulumi" Version="3.*" />' in project


def test_copied_object_in_process_on_local_files(tmp_path):
    """The real CopiedObject through the servicer: the plan knows the source ETag, the copy is made, and state the
    dynamic provider wrote for the same copy is read back in the plugin's form with no change planned."""
    from pulumi.runtime.proto import provider_pb2
    plugin = Plugin(core.resources(), core.functions())
    urn = plugin.urn("seed", "objectcopy:index:CopiedObject")
    (tmp_path / "golden.db").write_bytes(b"golden")
    src, dst = f"file://{tmp_path}/golden.db", f"file://{tmp_path}/env/seed.db"
    inputs, failures = plugin.check(urn, {"source": src, "destination": dst})
    assert failures == [] and len(inputs["sourceEtag"]) == 32
    _, planned = plugin.create(urn, inputs, preview=True)
    assert planned["sourceEtag"] == inputs["sourceEtag"] and not (tmp_path / "env").exists()
    id_, state = plugin.create(urn, inputs)
    assert (tmp_path / "env" / "seed.db").read_bytes() == b"golden" and state["writtenEtag"] == state["etag"]

    names = {p.camel: p.name for p in core.resource("CopiedObject").schema.props}
    dynamic = {names[k]: v for k, v in state.items()} | {"__provider": "gASVpickled"}
    assert plugin.diff(urn, id_, dynamic, inputs).changes == provider_pb2.DiffResponse.DIFF_NONE
    rid, refreshed, rinputs = plugin.read(urn, id_, dynamic, dynamic)
    assert rid == id_ and refreshed == state and rinputs["sourceEtag"] == state["sourceEtag"]

    _, bad = plugin.check(urn, {"source": src, "destination": dst, "metadataDirective": "MOVE"})
    assert [p for p, _ in bad] == ["metadataDirective"] and bad[0][1].startswith("metadataDirective:")


def test_a_destination_edited_by_hand_reads_as_etag_live_to_written(tmp_path):
    """After a refresh that saw the destination edited by hand, the next check plans the written ETag as the input
    `etag`: the engine shows a property diff as old output => new input, so `preview --diff` reads
    `~ etag: "<by hand>" => "<written>"`. The update (preview too) says why, under it."""
    from pulumi.runtime.proto import provider_pb2
    plugin = Plugin(core.resources(), core.functions())
    urn = plugin.urn("seed", "objectcopy:index:CopiedObject")
    (tmp_path / "golden.db").write_bytes(b"golden")
    program = {"source": f"file://{tmp_path}/golden.db", "destination": f"file://{tmp_path}/seed.db"}
    inputs, _ = plugin.check(urn, program)
    id_, state = plugin.create(urn, inputs)
    written = state["writtenEtag"]
    (tmp_path / "seed.db").write_bytes(b"by hand")
    _, refreshed, recorded = plugin.read(urn, id_, state, inputs)
    hand = refreshed["etag"]
    assert hand != written and (recorded["etag"], recorded["writtenEtag"]) == (hand, written)

    news, _ = plugin.check(urn, program, olds=recorded)
    assert news["etag"] == written
    d = plugin.diff(urn, id_, refreshed, news, old_inputs=recorded)
    assert d.detailedDiff["etag"].kind == provider_pb2.PropertyDiff.UPDATE and not d.detailedDiff["etag"].inputDiff
    plugin.update(urn, id_, refreshed, news, preview=True)
    assert ("info", f"the destination was changed outside (ETag {hand}, this resource wrote {written}): will copy "
            "it again", urn) in plugin.engine.sent
    restored = plugin.update(urn, id_, refreshed, news)
    assert (tmp_path / "seed.db").read_bytes() == b"golden" and restored["etag"] == written

    after, _ = plugin.check(urn, program, olds=news)  # no drift in the old inputs: nothing planned
    assert "etag" not in after
    assert plugin.diff(urn, id_, restored, after, old_inputs=news).changes == provider_pb2.DiffResponse.DIFF_NONE

    (tmp_path / "golden.db").write_bytes(b"golden v2")  # a changed source: its plan moved, old input => new input
    moved, _ = plugin.check(urn, program, olds=after)
    d = plugin.diff(urn, id_, restored, moved, old_inputs=after)
    assert d.detailedDiff["sourceEtag"].inputDiff and after["sourceEtag"] != moved["sourceEtag"]


def test_copied_prefix_keeps_its_record_under_an_internal_key(tmp_path):
    """The record of what a CopiedPrefix wrote is state the engine never displays (`__written`) and no SDK offers;
    state the dynamic provider wrote (`written`) is read, and comes back under the internal key, with no change."""
    from pulumi.runtime.proto import provider_pb2
    plugin = Plugin(core.resources(), core.functions())
    token = "objectcopy:index:CopiedPrefix"
    schema = json.loads(plugin.call("GetSchema", provider_pb2.GetSchemaRequest(version=0)).schema)
    assert not {"written", "__written"} & set(schema["resources"][token]["properties"])
    urn = plugin.urn("assets", token)
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "a.txt").write_text("a")
    inputs, failures = plugin.check(urn, {"source": f"file://{tmp_path}/golden/",
                                          "destination": f"file://{tmp_path}/env/"})
    assert failures == []
    _, planned = plugin.create(urn, inputs, preview=True)
    id_, state = plugin.create(urn, inputs)
    assert state["__written"].startswith("ocr1:") and "written" not in state and "written" not in planned

    props = core.resource("CopiedPrefix").schema.props
    dynamic = {p.name: state[key] for p in props if (key := f"__{p.camel}" if p.internal else p.camel) in state}
    assert dynamic["written"] == state["__written"]
    assert plugin.diff(urn, id_, dynamic, inputs).changes == provider_pb2.DiffResponse.DIFF_NONE
    _, refreshed, _ = plugin.read(urn, id_, dynamic, dynamic)
    assert refreshed["__written"] == state["__written"] and "written" not in refreshed
