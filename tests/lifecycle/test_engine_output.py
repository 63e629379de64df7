"""What the real `pulumi` CLI prints for our resources: the reason of every update or replacement the diff plans (in
`preview --diff`), a provider's warning under its resource (not under the stack), a failure as one clean line, and
stack-config profiles seen by every resource type. Against the OCI, Oracle Analytics and EPM emulators sharing one
set of buckets, and MinIO."""
from __future__ import annotations

import json
import re
import tomllib
import uuid

import pytest

from ..conftest import run_cli
from .test_pulumi_cli import Stack, pulumi_bin, stack  # noqa: F401  (fixtures)

BAR = "golden/v42.bar"
BAR_PASSWORD = "GoldenPassw0rd"
EPM_USER, EPM_PASSWORD = "epm-admin", "epm-pass-7c1d"
OAC_TOKEN = "oac-token-e2e"

ORACLE_PROGRAM = '''
import os

import pulumi
import pulumi_objectcopy as oc

c = pulumi.Config()
key = dict(oci_tenancy=c.require("tenancy"), oci_user=c.require("user"), oci_private_key=os.environ["OCI_KEY"])
snap = oc.AnalyticsSnapshot("snap", instance_url=c.require("oacUrl"), type="REGISTER", name="golden-v42",
                            bucket=c.require("bucket"), bucket_namespace=c.require("namespace"),
                            bar_uri="file:///golden/v42.bar", bar_password=os.environ["BAR_PASSWORD"],
                            oci_region="us-ashburn-1", object_profile=c.require("profile"), **key)
oc.AnalyticsSnapshotRestore("restore", instance_url=c.require("oacUrl"), snapshot_id=snap.snapshot_id,
                            password=os.environ["BAR_PASSWORD"])
bucket_url = f"https://objectstorage.us-ashburn-1.oraclecloud.com/n/{c.require('namespace')}/b/{c.require('bucket')}"
if c.get_bool("epm"):
    oc.EpmObjectStoreExport("export", environment_url=c.require("epmUrl"), file_path="inbox/data.csv",
                            url=bucket_url + "/o/exports/data.csv", object_profile=c.require("profile"), **key)
    oc.EpmObjectStoreImport("import", environment_url=c.require("epmUrl"), url=bucket_url + "/o/seed/load.csv",
                            object_profile=c.require("profile"), **key)
    oc.CopiedObject("copy", source=f"oci://{c.require('profile')}@{c.require('namespace')}/{c.require('bucket')}/src",
                    destination=f"oci://{c.require('profile')}@{c.require('namespace')}/{c.require('bucket')}/dst")
'''


@pytest.fixture
def oracle(oci_emulator, pulumi_bin, tmp_path):  # noqa: F811
    """A stack of ORACLE_PROGRAM against the emulators; its config is set, nothing is up yet."""
    from tests.emulators import start_epm, start_oac
    from tests.emulators.oac_server import bar_bytes
    from tests.emulators.oci import new_api_key
    bucket = f"oracle-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(bucket)
    objects, ns = oci_emulator.objects(), oci_emulator.namespace
    objects[(ns, bucket, BAR)] = bar_bytes(BAR_PASSWORD, "golden")
    oac = start_oac({OAC_TOKEN}, storage=objects, namespace=ns)
    oac.polls_to_finish = 2
    epm = start_epm({EPM_USER: EPM_PASSWORD}, storage=objects)
    epm.add_file("inbox/data.csv", b"account,amount\n4110,12.5\n")
    key = new_api_key()
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(ORACLE_PROGRAM)
    try:
        s = Stack(pulumi_bin, tmp_path, program=program, name="oracle")
        s.env.update(OAC_TOKEN=OAC_TOKEN, EPM_USERNAME=EPM_USER, EPM_PASSWORD=EPM_PASSWORD,
                     BAR_PASSWORD=BAR_PASSWORD, OCI_KEY=key.private_pem)
        for name, value in {"oacUrl": oac.url, "epmUrl": epm.url, "bucket": bucket, "namespace": ns,
                            "tenancy": key.tenancy, "user": key.user, "profile": "oci"}.items():
            s.run("config", "set", name, value)
        s.oci, s.oac, s.epm, s.bucket, s.bar_bytes = oci_emulator, oac, epm, bucket, bar_bytes
        yield s
    finally:
        oac.stop()
        epm.stop()


def under(output: str, line: str) -> str:
    """The header (`<type> (<name>):`) under which pulumi's Diagnostics section prints the line holding `line`."""
    lines = output.splitlines()
    lines = lines[lines.index("Diagnostics:"):]
    at = next(i for i, text in enumerate(lines) if line in text)
    indent = len(lines[at]) - len(lines[at].lstrip())
    return next(text.strip() for text in reversed(lines[:at]) if text.strip() and
                len(text) - len(text.lstrip()) < indent)


def test_a_lone_snapshot_resolves_a_profile_defined_only_in_stack_config(oracle):
    """The snapshot's provider (and the restore's) configure themselves with the stack's config: no other resource
    type has to run first for `objectcopy:profiles` to resolve, and BAR drift is tracked."""
    settings = tomllib.loads(open(oracle.env["OBJECTCOPY_PROFILES"]).read())["profiles"]["oci"]
    oracle.run("config", "set", "objectcopy:profiles", json.dumps({"stack-oci": settings}))
    oracle.run("config", "set", "profile", "stack-oci")
    up = oracle.run("up", "--yes")
    assert "not tracked" not in up.stdout + up.stderr, up.stdout
    outputs = oracle.outputs("snap")
    registered = oracle.oci.get_object(oracle.bucket, BAR)["etag"]
    assert outputs["registered_bar_etag"] == registered and outputs["bar_object"].startswith("oci://stack-oci@")

    oracle.oci.put_object(oracle.bucket, BAR, oracle.bar_bytes(BAR_PASSWORD, "by hand"))
    oracle.run("refresh", "--yes")
    assert oracle.outputs("snap")["bar_etag"] == oracle.oci.get_object(oracle.bucket, BAR)["etag"] != registered
    drift = run_cli("drift", "--json", cwd=oracle.dir, env=oracle.env)
    assert {f["name"]: f["status"] for f in json.loads(drift.stdout)}["snap"] == "BAR changed", drift.stdout


def test_preview_diff_shows_the_reason_of_every_planned_update_or_replacement(oracle):
    oracle.run("config", "set", "epm", "true")
    oci, bucket = oracle.oci, oracle.bucket
    oci.put_object(bucket, "seed/load.csv", b"load v1\n")
    oci.put_object(bucket, "src", b"source")
    oracle.run("up", "--yes")
    registered = oracle.outputs("snap")["registered_bar_etag"]
    written, exported = oracle.outputs("copy")["written_etag"], oracle.outputs("export")["written_etag"]
    planned = oracle.outputs("import")["source_etag"]
    assert "6 unchanged" in oracle.run("preview", "--diff").stdout  # the stack and its five resources

    # By hand: the BAR replaced, the copy and the export overwritten, the import's source changed.
    bar = oci.put_object(bucket, BAR, oracle.bar_bytes(BAR_PASSWORD, "by hand"))["etag"]
    dst = oci.put_object(bucket, "dst", b"edited by hand")["etag"]
    export = oci.put_object(bucket, "exports/data.csv", b"overwritten")["etag"]
    source = oci.put_object(bucket, "seed/load.csv", b"load v2\n")["etag"]
    oracle.run("refresh", "--yes")
    state = oracle.run("stack", "export").stdout  # the export's refresh hands its inputs back: the key stays secret
    assert all(line not in state for line in oracle.env["OCI_KEY"].splitlines()[1:-1])
    preview = oracle.run("preview", "--diff").stdout
    assert "+-pulumi-python:dynamic/objectcopy:AnalyticsSnapshot: (replace)" in preview, preview
    assert re.search(rf'~ bar_etag\s*: "{registered}" => "{bar}"', preview), preview  # registered again
    assert re.search(rf'~ etag\s*: "{dst}" => "{written}"', preview), preview  # the copy restored
    assert re.search(rf'~ source_etag\s*: "{planned}" => "{source}"', preview), preview  # imported again
    assert re.search(rf'~ etag\s*: "{export}" => "{exported}"', preview), preview  # exported again

    oracle.run("up", "--yes")
    assert oracle.outputs("snap")["registered_bar_etag"] == bar
    assert oracle.epm.files["load.csv"]["bytes"] == b"load v2\n"
    oracle.run("preview", "--expect-no-changes")
    oracle.run("destroy", "--yes")


def test_a_destroy_warning_is_printed_under_its_resource(oracle):
    oracle.run("up", "--yes")
    destroy = oracle.run("destroy", "--yes").stdout
    note = "a restore cannot be undone"
    assert note in destroy, destroy
    assert re.fullmatch(r"pulumi-python:dynamic/objectcopy:AnalyticsSnapshotRestore \(restore\):",
                        under(destroy, note)), destroy


def test_a_destroy_warning_of_a_copy_is_printed_under_it(stack, backends, key_prefix):  # noqa: F811
    minio = backends("minio")
    url = lambda key: f"s3://counted@{minio.bucket}/{key_prefix}{key}"  # noqa: E731
    minio.put(key_prefix + "src", b"ours")
    stack.copies({"kept": {"source": url("src"), "destination": url("dst")}})
    stack.run("up", "--yes")
    minio.put(key_prefix + "dst", b"theirs now")
    destroy = stack.run("destroy", "--yes").stdout
    assert re.fullmatch(r"pulumi-python:dynamic/objectcopy:CopiedObject \(kept\):",
                        under(destroy, "someone else wrote it")), destroy


def test_a_failed_apply_is_one_clean_line_naming_the_resource_the_url_and_the_reason(stack, backends,  # noqa: F811
                                                                                      key_prefix):
    minio = backends("minio")
    source, destination = (f"s3://counted@{minio.bucket}/{key_prefix}{k}" for k in ("absent", "dst"))
    stack.copies({"broken": {"source": source, "destination": destination}})
    up = stack.run("up", "--yes", check=False)
    assert up.returncode != 0
    output = up.stdout + up.stderr
    assert "Exception calling application" not in output, output
    diagnostics = output.splitlines()[output.splitlines().index("Diagnostics:"):]
    [line] = [text.strip() for text in diagnostics if "CopiedObject s3://" in text]
    assert re.fullmatch(rf"error: CopiedObject {re.escape(source)} -> {re.escape(destination)}: HEAD "
                        rf"{re.escape(source)}: NotFound \(404\): .*", line), line
    assert under(output, "error: CopiedObject") == "pulumi-python:dynamic/objectcopy:CopiedObject (broken):"
