"""AnalyticsSnapshot and AnalyticsSnapshotRestore through the plugin and the real `pulumi` CLI, from a YAML program
(programs/oac), against the Oracle Analytics emulator whose BAR files live in the OCI emulator's buckets: up
registers and restores, a no-op preview, a BAR replaced by hand shown by preview as the replacement on barEtag
(registered => now), the up that registers it again, both resources imported by id (an unknown id refused in one
line), and destroy. The key, the password and the token are searched for in the state and every command's output."""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from .cli import Project

PROGRAM = Path(__file__).parent / "programs" / "oac"
SNAPSHOT, RESTORE = "objectcopy:index:AnalyticsSnapshot", "objectcopy:index:AnalyticsSnapshotRestore"
BAR = "golden/v42.bar"
PASSWORD = "GoldenPassw0rd"
TOKEN = "oac-token-plugin-8d2e"


@pytest.fixture
def oac(oci_emulator):
    from tests.emulators import oac_with_golden_bar
    with oac_with_golden_bar(oci_emulator, f"plugin-oac-{uuid.uuid4().hex[:8]}", BAR, PASSWORD, TOKEN) as emu:
        yield emu


def _import(project: Project, token: str, name: str, id_: str, *, check: bool = True):
    return project.run("import", token, name, id_, "--yes", "--generate-code=false", "--protect=false", check=check)


def test_snapshot_and_restore_from_a_yaml_program(pulumi_bin, tmp_path, oac, oci_emulator):
    from tests.emulators.oac_server import bar_bytes
    from tests.emulators.oci import new_api_key
    key, ns = new_api_key(), oci_emulator.namespace
    project = Project(pulumi_bin, tmp_path, PROGRAM).stack("oac")
    project.env["OAC_TOKEN"] = TOKEN
    for name, value in {"oacUrl": oac.url, "bucket": oac.bucket, "namespace": ns, "tenancy": key.tenancy,
                        "user": key.user}.items():
        project.config(name, value)
    project.config("barPassword", PASSWORD, secret=True)
    project.run("config", "set", "--secret", "ociPrivateKey", "--", key.private_pem)

    project.run("up", "--yes")
    [snapshot] = oac.snapshots.values()
    assert snapshot.name == "golden-v42" and oac.restored == [snapshot.id]
    registered = oci_emulator.get_object(oac.bucket, BAR)["etag"]
    outputs = project.outputs()
    assert outputs == {"snapshotId": snapshot.id, "registeredBarEtag": registered}
    project.run("preview", "--expect-no-changes")

    replaced = oci_emulator.put_object(oac.bucket, BAR, bar_bytes(PASSWORD, "by hand"))["etag"]
    why = (f"the BAR oci://oci@{ns}/{oac.bucket}/{BAR} changed since it was registered (ETag {registered}, now "
           f"{replaced}): will register it again")
    for refreshed in (False, True):  # seen by the preview's own HEAD, then by a refresh as well
        if refreshed:
            project.run("refresh", "--yes")
            assert project.resource("golden")["outputs"]["barEtag"] == replaced
        preview = project.run("preview", "--diff", merged=True).stdout
        assert f"+-{SNAPSHOT}: (replace)" in preview, preview
        # registered again; the reason on the line under the replacement's property diff
        assert re.search(rf'~ barEtag\s*: "{registered}" => "{replaced}"\n(.*\n)*?{re.escape(why)}\n', preview), \
            preview
    project.run("up", "--yes")
    [again] = oac.snapshots.values()
    assert again.id != snapshot.id and oac.restored == [snapshot.id, again.id]
    assert project.outputs()["registeredBarEtag"] == replaced
    project.run("preview", "--expect-no-changes")

    # Import: a snapshot registered outside the stack by its id, the restore by its work request's id.
    from pulumi_objectcopy.services.analytics import AnalyticsClient
    oci_emulator.put_object(oac.bucket, "golden/v41.bar", bar_bytes(PASSWORD, "v41"))
    client = AnalyticsClient(oac.url, token=lambda: TOKEN)
    client.wait(client.create_snapshot({"type": "REGISTER", "name": "golden-v41", "bar": {"uri": "file:///golden/"
                "v41.bar", "password": PASSWORD}, "storage": {"type": "OCI_NATIVE", "bucket": oac.bucket,
                "bucketOciNamespace": ns, "auth": {"type": "OCI_RESOURCE_PRINCIPAL"}}}), "register v41")
    v41 = client.find_snapshot("golden-v41")["id"]
    wrong = _import(project, SNAPSHOT, "adopted", f"{oac.url},NOSUCHSNAPSHOT", check=False)
    assert wrong.returncode != 0 and f"{oac.url} has no snapshot NOSUCHSNAPSHOT" in wrong.stdout, wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr
    imported = _import(project, SNAPSHOT, "adopted", f"{oac.url},{v41}")
    assert "failed to validate" not in imported.stdout + imported.stderr, imported.stdout  # no key, no password
    adopted = project.resource("adopted")
    assert adopted["type"] == SNAPSHOT and adopted["id"] == v41
    assert adopted["outputs"]["name"] == "golden-v41" and adopted["outputs"]["authType"] == "resource_principal"
    restore_wr = [w.id for w in oac.work_requests.values() if w.operation_type == "RESTORE_SNAPSHOT"][-1]
    _import(project, RESTORE, "adopted-restore", f"{oac.url},{restore_wr}")
    assert project.resource("adopted-restore")["outputs"]["snapshotId"] == again.id
    assert oac.restored == [snapshot.id, again.id]  # importing restores nothing

    state = json.dumps(project.export())
    destroy = project.run("destroy", "--yes").stdout
    assert not oac.snapshots and (ns, oac.bucket, BAR) in oci_emulator.objects()  # deregistered; the BAR stays
    assert re.search(rf"{re.escape(RESTORE)} \(restore\):\n\s+warning: AnalyticsSnapshotRestore: .*a restore "
                     r"cannot be undone", destroy), destroy
    secrets = [PASSWORD, TOKEN, *key.private_pem.strip().splitlines()[1:-1]]
    leaks = [text for text in [state, *project.transcript] if any(s in text for s in secrets)]
    assert not leaks, leaks
