"""The EPM transfers through the plugin and the real `pulumi` CLI, from a YAML program (programs/epm), against the
EPM emulator sharing the OCI emulator's buckets (the plugin reads them through profile `oci`): up, a no-op preview,
drift (the exported object overwritten by hand and the import's source changed) shown by refresh and preview and
put right by up, `pulumi import` of both (a wrong id refused) and the up that records what the import could not
see without a job, destroy. The OCI key is searched for in the state and every command's output."""
from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest

from .cli import Project, unset_required

PROGRAM = Path(__file__).parent / "programs" / "epm"
EXPORT, IMPORT = "objectcopy:index:EpmObjectStoreExport", "objectcopy:index:EpmObjectStoreImport"
EPM_USER, EPM_PASSWORD = "epm-admin", "epm-pass-yaml-8e02"
CSV = b"account,amount\n4110,12.5\n"


@pytest.fixture
def world(oci_emulator, monkeypatch):
    from tests.emulators import epm_server, start_epm
    from tests.emulators.oci import new_api_key
    monkeypatch.setattr(epm_server, "POLLS_TO_FINISH", 1)  # a job ends at its first poll
    bucket = f"yaml-epm-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(bucket)
    epm = start_epm({EPM_USER: EPM_PASSWORD}, storage=oci_emulator.objects())
    epm.add_file("inbox/data.csv", CSV)
    try:
        yield epm, new_api_key(), bucket
    finally:
        epm.stop()


def test_epm_transfers_from_a_yaml_program(pulumi_bin, tmp_path, world, oci_emulator):
    epm, key, bucket = world
    ns, oci = oci_emulator.namespace, oci_emulator
    exported = f"oci://oci@{ns}/{bucket}/exports/data.csv"
    project = Project(pulumi_bin, tmp_path, PROGRAM).stack("epm")
    project.env.update(EPM_USERNAME=EPM_USER, EPM_PASSWORD=EPM_PASSWORD)
    project.env.pop("EPM_TOKEN", None)
    for name, value in {"epmUrl": epm.url, "tenancy": key.tenancy, "user": key.user,
                        "bucketUrl": f"https://objectstorage.us-ashburn-1.oraclecloud.com/n/{ns}/b/{bucket}"}.items():
        project.config(name, value)
    project.run("config", "set", "--secret", "ociPrivateKey", "--", key.private_pem)
    v1 = oci.put_object(bucket, "golden/seed.csv", b"seed v1\n")["etag"]

    project.run("up", "--yes")
    assert oci.get_object(bucket, "exports/data.csv")["data"] == CSV
    assert epm.files["inbox/seed.csv"]["bytes"] == b"seed v1\n" and len(epm.jobs) == 2
    assert project.outputs() == {"exported": exported, "seededFrom": v1}
    assert [unset_required(project.resource(name)) for name in ("export", "seed")] == [[], []]
    project.run("preview", "--expect-no-changes")

    # By hand: the exported object overwritten, the import's source changed.
    written = project.resource("export")["outputs"]["writtenEtag"]
    hand = oci.put_object(bucket, "exports/data.csv", b"overwritten by hand\n")["etag"]
    v2 = oci.put_object(bucket, "golden/seed.csv", b"seed v2, changed\n")["etag"]
    project.run("refresh", "--yes")
    assert project.resource("export")["outputs"]["etag"] == hand
    preview = project.run("preview", "--diff", merged=True).stdout
    assert preview.count(f"~ {EXPORT}: (update)") == 1 and preview.count(f"~ {IMPORT}: (update)") == 1, preview
    # Each property diff says what changes, and the line under it why (the resources may interleave).
    assert re.search(rf'{EXPORT}: \(update\)\n.*\n.*\n\s+~ etag\s*: "{hand}" => "{written}"\n', preview), preview
    assert f"the object was changed outside (ETag {hand}, the export wrote {written}): will export it again" \
        in preview, preview
    assert re.search(rf'~ sourceEtag\s*: "{v1}" => "{v2}"\n', preview), preview
    assert f"the object's ETag changed from {v1} to {v2}: will import it again" in preview, preview
    assert len(epm.jobs) == 2
    project.run("up", "--yes")
    assert oci.get_object(bucket, "exports/data.csv")["data"] == CSV  # exported again
    assert epm.files["inbox/seed.csv"]["bytes"] == b"seed v2, changed\n" and len(epm.jobs) == 4
    project.run("preview", "--expect-no-changes")

    # Taken over by `pulumi import`: a wrong id is refused; what is there is adopted, and the next up records the
    # credentials the import could not see, with no job.
    flags = ("--yes", "--generate-code=false", "--protect=false")
    wrong = project.run("import", IMPORT, "other", f"{epm.url},inbox/absent.csv", *flags, check=False)
    assert wrong.returncode != 0 and "lists no file 'inbox/absent.csv'" in wrong.stdout, wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr
    for name in ("export", "seed"):
        project.run("state", "delete", project.resource(name)["urn"], "--yes")
    imports = [project.run("import", EXPORT, "export", f"{epm.url},{exported}", *flags),
               project.run("import", IMPORT, "seed", f"{epm.url},inbox/seed.csv", *flags)]
    for done in imports:  # what the import cannot see (the credentials) is no failure: the program gives it
        assert "warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    state = project.export()
    adopted = {name: project.resource(name, state)["outputs"] for name in ("export", "seed")}
    assert adopted["export"]["writtenEtag"] == oci.get_object(bucket, "exports/data.csv")["etag"]
    assert "jobId" not in adopted["export"] and "jobId" not in adopted["seed"]
    up = project.run("up", "--yes").stdout
    assert "2 updated" in up and "replaced" not in up and len(epm.jobs) == 4, up
    assert [unset_required(project.resource(name)) for name in ("export", "seed")] == [[], []]
    project.run("preview", "--expect-no-changes")

    state_text = json.dumps(project.export())
    project.run("destroy", "--yes")
    assert (ns, bucket, "exports/data.csv") not in oci.objects() and "inbox/seed.csv" not in epm.files
    assert "inbox/data.csv" in epm.files and (ns, bucket, "golden/seed.csv") in oci.objects()

    pem_lines = [line for line in key.private_pem.splitlines() if "-----" not in line]
    secrets = pem_lines + [base64.b64encode(key.private_pem.encode()).decode()[40:80], EPM_PASSWORD]
    leaks = [s for s in secrets for text in [state_text, *project.transcript] if s in text]
    assert not leaks
