"""EpmObjectStoreExport and EpmObjectStoreImport through the dynamic-provider protocol, against the EPM emulator
joined to the OCI emulator: EPM's copies land in buckets the provider HEADs and deletes through profile `oci`."""
from __future__ import annotations

import base64
import uuid
from urllib.parse import quote

import grpc
import pytest

from pulumi_objectcopy.resources.epm_transfer import EpmObjectStoreExportProvider, EpmObjectStoreImportProvider

from .harness import CheckFailed, Engine

EPM_USER, EPM_PASSWORD = "idm.admin", "Epm-S3cret-Passw0rd"
CSV = b"account,amount\n4110,12.5\n"
SNAPSHOT = b"PK\x03\x04 an LCM snapshot"


@pytest.fixture(scope="module")
def key():
    from tests.emulators.oci import new_api_key
    return new_api_key()


@pytest.fixture
def epm(oci_emulator, monkeypatch):
    from tests.emulators import epm_server, start_epm
    monkeypatch.setattr(epm_server, "POLLS_TO_FINISH", 1)  # a job ends at its first poll: the waiter never sleeps
    monkeypatch.setenv("EPM_USERNAME", EPM_USER)
    monkeypatch.setenv("EPM_PASSWORD", EPM_PASSWORD)
    monkeypatch.delenv("EPM_TOKEN", raising=False)
    monkeypatch.delenv("OBJECTCOPY_EPM_FILE_FIELD", raising=False)
    emu = start_epm({EPM_USER: EPM_PASSWORD}, storage=oci_emulator.objects())
    emu.add_file("Artifact Snapshot", SNAPSHOT, type="LCM")
    emu.add_file("inbox/data.csv", CSV)
    yield emu
    emu.stop()


@pytest.fixture
def bucket(oci_emulator):
    name = f"epm-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(name)
    return name


@pytest.fixture
def bucket_url(oci_emulator, bucket):
    return f"https://objectstorage.us-ashburn-1.oraclecloud.com/n/{oci_emulator.namespace}/b/{bucket}"


@pytest.fixture
def export(epm):  # after `epm`: the provider process inherits the EPM credentials from the environment
    engine = Engine(EpmObjectStoreExportProvider())
    yield engine
    engine.close()


@pytest.fixture
def import_(epm):
    engine = Engine(EpmObjectStoreImportProvider())
    yield engine
    engine.close()


@pytest.fixture
def export_program(epm, key, bucket_url):
    def program(**overrides):
        return {"environment_url": epm.url, "file_path": "inbox/data.csv", "url": f"{bucket_url}/o/exports/data.csv",
                "oci_tenancy": key.tenancy, "oci_user": key.user, "oci_private_key": key.private_pem,
                "object_profile": "oci", **overrides}
    return program


@pytest.fixture
def import_program(epm, key, bucket_url):
    def program(**overrides):
        return {"environment_url": epm.url, "url": f"{bucket_url}/o/golden/{quote('Restore Me.zip')}",
                "oci_tenancy": key.tenancy, "oci_user": key.user, "oci_private_key": key.private_pem,
                "object_profile": "oci", **overrides}
    return program


def failure(call) -> str:
    """What the user sees when a provider call fails."""
    with pytest.raises(grpc.RpcError) as e:
        call()
    return e.value.details()


def objects(oci_emulator, bucket) -> dict[str, bytes]:
    return {name: oci_emulator.get_object(bucket, name)["data"]
            for b, name in oci_emulator.object_names() if b == bucket}


# --- export ----------------------------------------------------------------------------------------------------
def test_export_create_read_same_delete(export, export_program, epm, oci_emulator, bucket, key):
    step, res = export.up(None, export_program())
    assert step == "create"
    out = res.outputs
    assert out["object_url"] == f"oci://oci@{oci_emulator.namespace}/{bucket}/exports/data.csv" == res.id
    assert objects(oci_emulator, bucket) == {"exports/data.csv": CSV}
    live = oci_emulator.get_object(bucket, "exports/data.csv")
    assert out["etag"] == out["written_etag"] == live["etag"] and out["size"] == len(CSV)
    assert out["job_id"] == str(epm.jobs[-1]["id"]) and out["last_modified"] and out["exported_at"]
    assert epm.jobs[-1]["request"]["filePath"] == "inbox/data.csv" and len(epm.jobs) == 1
    assert "oci_private_key" not in out and out["key_fingerprint"] == key.fingerprint

    assert export.read(res).outputs == out
    step, res = export.up(res, export_program())
    assert step == "same" and len(epm.jobs) == 1  # a second up sends nothing

    export.delete(res)
    assert objects(oci_emulator, bucket) == {}


def test_export_retain_keeps_the_object(export, export_program, oci_emulator, bucket):
    _, res = export.up(None, export_program(delete_policy="Retain"))
    assert res.outputs["delete_policy"] == "retain"
    export.delete(res)
    assert objects(oci_emulator, bucket) == {"exports/data.csv": CSV}


def test_export_of_a_snapshot_to_a_bucket_names_the_object_after_it(export, export_program, epm, oci_emulator,
                                                                     bucket, bucket_url):
    _, res = export.up(None, export_program(file_path="Artifact Snapshot", url=bucket_url))
    assert res.outputs["object_url"].endswith(f"/{bucket}/Artifact Snapshot.zip")
    assert objects(oci_emulator, bucket) == {"Artifact Snapshot.zip": SNAPSHOT}
    assert epm.jobs[-1]["request"]["filePath"] == "Artifact Snapshot"
    assert export.read(res).outputs["etag"] == res.outputs["written_etag"]


def test_an_export_that_lands_under_another_name_says_how_to_name_it(export, export_program, epm, oci_emulator,
                                                                     bucket, bucket_url, monkeypatch):
    from tests.emulators import epm_server
    monkeypatch.setattr(epm_server, "_basename", lambda name: "elsewhere")  # EPM names the object otherwise
    program = export_program(file_path="Artifact Snapshot", url=bucket_url)
    message = failure(lambda: export.up(None, program))
    assert f"EPM reported success (job {epm.jobs[-1]['id']}) but there is no object oci://oci@" in message
    assert f"/{bucket}/Artifact Snapshot.zip; this provider assumed EPM names the object after the file: name " \
           f"the object in url, {bucket_url}/o/<name>" in message
    oci_emulator.put_object(bucket, "Artifact Snapshot.zip", b"an older export")
    message = failure(lambda: export.up(None, program))
    assert "Artifact Snapshot.zip was not rewritten (ETag still" in message and "name the object in url" in message


@pytest.mark.parametrize("file_path, says", [
    ("No Such File.csv", "is not listed in"),
    ("inbox/dta.csv", "did you mean 'inbox/data.csv'?"),
    ("Artifact Snapshot.zip", "a snapshot is named without .zip: file_path 'Artifact Snapshot'"),
])
def test_export_of_an_unlisted_file_fails_before_any_job(export, export_program, epm, oci_emulator, bucket,
                                                         file_path, says):
    message = failure(lambda: export.up(None, export_program(file_path=file_path)))
    assert f"file_path {file_path!r}" in message and says in message and "nothing was exported" in message
    assert epm.jobs == [] and objects(oci_emulator, bucket) == {}


def test_a_failed_export_job_fails_with_its_details(export, export_program, epm, oci_emulator, bucket):
    epm.fail_next_job(7, "EPMLCM-99999: Object Storage is unavailable.")
    message = failure(lambda: export.up(None, export_program()))
    job = epm.jobs[-1]["id"]
    assert f"EPM job {job}) failed: EPMLCM-99999: Object Storage is unavailable." in message
    assert message.startswith("EpmObjectStoreExport 'inbox/data.csv' -> https://")  # no grpc prefix
    assert objects(oci_emulator, bucket) == {}


def test_a_refused_file_field_names_the_override(epm, export_program, monkeypatch):
    monkeypatch.setenv("OBJECTCOPY_EPM_FILE_FIELD", "fileName")  # what the provider process will send
    engine = Engine(EpmObjectStoreExportProvider())
    try:
        message = failure(lambda: engine.up(None, export_program()))
    finally:
        engine.close()
    assert "EPM status 4: Invalid parameter: missing required parameter(s): filePath" in message
    assert "sends the file as `fileName`, from OBJECTCOPY_EPM_FILE_FIELD" in message
    assert "OBJECTCOPY_EPM_FILE_FIELD=filePath" in message
    assert epm.jobs == [] and b'"fileName": "inbox/data.csv"' in epm.requests[-1][3]


def test_a_job_whose_status_cannot_be_read_says_what_happens_next(export, export_program, epm, oci_emulator,
                                                                   bucket):
    follow = epm.poll

    def poll_then_refuse(job):  # the job answers "in progress" once, then EPM refuses the credentials
        epm.users = {}
        epm.poll = follow

    epm.poll = poll_then_refuse
    message = failure(lambda: export.up(None, export_program()))
    job = epm.jobs[-1]["id"]
    assert f"EPM job {job} (copy 'inbox/data.csv' to https://" in message
    assert "was started, but its status could not be read" in message and "EPMCSS-00301" in message
    assert "EPM offers no call to find a running job" in message
    assert f"the next run starts the copy again (it rewrites oci://oci@{oci_emulator.namespace}/{bucket}/" \
           "exports/data.csv)" in message
    epm.users = {EPM_USER: EPM_PASSWORD}
    assert export.up(None, export_program())[0] == "create" and len(epm.jobs) == 2  # the next run converges
    assert objects(oci_emulator, bucket) == {"exports/data.csv": CSV}


def test_an_overwritten_object_is_drift_and_up_exports_again(export, export_program, epm, oci_emulator, bucket):
    _, res = export.up(None, export_program())
    oci_emulator.put_object(bucket, "exports/data.csv", b"edited by hand")
    refreshed = export.read(res)
    assert refreshed.outputs["etag"] != refreshed.outputs["written_etag"]
    assert refreshed.outputs["size"] == len(b"edited by hand")
    # The engine's own inputs come back, key included, with both ETags: the preview shows `etag: live => written`.
    assert refreshed.inputs == {**res.inputs, "etag": refreshed.outputs["etag"], "written_etag": res.outputs["etag"]}
    step, planned = export.preview(refreshed, export_program())
    assert step == "update" and planned["etag"] == planned["written_etag"] == res.outputs["etag"]
    assert len(epm.jobs) == 1  # preview sends nothing
    step, res = export.up(refreshed, export_program())
    assert step == "update" and len(epm.jobs) == 2
    assert res.outputs["etag"] == res.outputs["written_etag"] == oci_emulator.get_object(bucket, "exports/data.csv")[
        "etag"]
    assert res.outputs["job_id"] == str(epm.jobs[-1]["id"])
    assert objects(oci_emulator, bucket) == {"exports/data.csv": CSV}
    assert export.up(res, export_program())[0] == "same"


def test_a_deleted_object_is_dropped_on_refresh_and_exported_again(export, export_program, epm, oci_emulator,
                                                                   bucket):
    _, res = export.up(None, export_program())
    oci_emulator.delete_object(bucket, "exports/data.csv")
    assert export.read(res) is None
    assert export.up(None, export_program())[0] == "create" and len(epm.jobs) == 2
    assert objects(oci_emulator, bucket) == {"exports/data.csv": CSV}


def test_delete_leaves_an_object_someone_else_rewrote(epm, export_program, oci_emulator, bucket, capfd):
    engine = Engine(EpmObjectStoreExportProvider())  # started under capfd, so its warnings are captured
    try:
        _, res = engine.up(None, export_program())
        oci_emulator.put_object(bucket, "exports/data.csv", b"someone else's")
        engine.delete(res)
    finally:
        engine.close()
    assert objects(oci_emulator, bucket) == {"exports/data.csv": b"someone else's"}
    assert "EpmObjectStoreExport: left oci://oci@" in capfd.readouterr().err


def test_credentials_and_policy_changes_are_recorded_without_a_job(export, export_program, epm, key):
    from tests.emulators.oci import new_api_key
    _, res = export.up(None, export_program())
    step, res = export.up(res, export_program(delete_policy="retain"))
    assert step == "update" and res.outputs["delete_policy"] == "retain"
    other = new_api_key(tenancy=key.tenancy, user=key.user)
    step, res = export.up(res, export_program(delete_policy="retain", oci_private_key=other.private_pem))
    assert step == "update" and res.outputs["key_fingerprint"] == other.fingerprint
    assert len(epm.jobs) == 1


def test_a_new_file_replaces_the_export(export, export_program, bucket_url):
    _, res = export.up(None, export_program())
    assert export.preview(res, export_program(file_path="Artifact Snapshot", url=bucket_url))[0] == "replace"


@pytest.mark.parametrize("change, prop, says", [
    ({"url": "https://example.com/bucket/data.csv"}, "url", "is not an Object Storage URL"),
    ({"url": "https://swiftobjectstorage.us-ashburn-1.oraclecloud.com/v1/ns/b/o"}, "url", "not an Object Storage"),
    ({"oci_private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"}, "oci_private_key",
     "does not parse"),
    ({"oci_fingerprint": "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"}, "oci_fingerprint", "does not match"),
    ({"oci_fingerprint": "md5:abc"}, "oci_fingerprint", "not a key fingerprint"),
    ({"delete_policy": "keep"}, "delete_policy", "not one of delete, retain"),
    ({"environment_url": "epm.example.com"}, "environment_url", "https://<host>"),
    ({"environment_url": "ftp://epm.example.com"}, "environment_url", "https://<host>"),
    ({"environment_url": "https://admin:hunter2@epm.example.com"}, "environment_url", "must not carry credentials"),
    ({"oci_tenancy": "my-tenancy"}, "oci_tenancy", "OCID of the tenancy"),
    ({"file_path": ""}, "file_path", "required"),
    ({"object_profile": "no good"}, "object_profile", "not a profile name"),
])
def test_export_check_failures(export, export_program, epm, change, prop, says):
    with pytest.raises(CheckFailed) as e:
        export.preview(None, export_program(**change))
    assert any(p == prop and says in r for p, r in e.value.failures), e.value.failures
    assert all("hunter2" not in r for _, r in e.value.failures)
    assert epm.jobs == []


def test_values_unknown_at_preview_are_not_judged(export, import_, export_program, import_program):
    from pulumi.runtime import rpc
    later = rpc.UNKNOWN  # another resource's output, known only during the update
    assert export.preview(None, export_program(url=later, oci_private_key=later, environment_url=later,
                                               oci_fingerprint="00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"))[0] \
        == "create"
    step, planned = import_.preview(None, import_program(url=later, delete_policy=later))
    assert step == "create" and planned.get("source_etag") is None


def test_a_matching_fingerprint_is_accepted(export, export_program, key):
    assert export.preview(None, export_program(oci_fingerprint=key.fingerprint.upper()))[0] == "create"


# --- import ----------------------------------------------------------------------------------------------------
def test_import_create_read_same_delete(import_, import_program, epm, oci_emulator, bucket):
    put = oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    step, res = import_.up(None, import_program())
    assert step == "create" and res.id == "Restore Me"
    out = res.outputs
    assert out["file_name"] == "Restore Me" and out["source_etag"] == put["etag"]
    assert out["job_id"] == str(epm.jobs[-1]["id"]) and out["imported_at"] and "oci_private_key" not in out
    assert epm.files["Restore Me"]["type"] == "LCM" and epm.files["Restore Me"]["bytes"] == SNAPSHOT

    assert import_.read(res).outputs == out
    assert import_.up(res, import_program())[0] == "same" and len(epm.jobs) == 1
    import_.delete(res)
    assert "Restore Me" not in epm.files
    import_.delete(res)  # already gone: fine


def test_import_names_the_file_it_creates(import_, import_program, epm, oci_emulator, bucket):
    """Copy From v3 takes the name to give the file (`fileName`); an environment refuses a request without it."""
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    _, res = import_.up(None, import_program())
    assert epm.jobs[-1]["request"]["fileName"] == "Restore Me.zip"  # by default, the object's own name
    assert res.outputs["file_name"] == res.inputs["file_name"] == "Restore Me"

    oci_emulator.put_object(bucket, "load.csv", CSV)
    url = import_program()["url"].replace("golden/Restore%20Me.zip", "load.csv")
    _, res = import_.up(None, import_program(url=url, file_name="inbox/seed.csv"))
    assert epm.jobs[-1]["request"]["fileName"] == "inbox/seed.csv" and res.id == "inbox/seed.csv"
    assert epm.files["inbox/seed.csv"]["bytes"] == CSV and "load.csv" not in epm.files
    assert res.outputs["file_name"] == "inbox/seed.csv" and import_.read(res).outputs == res.outputs
    assert import_.up(res, import_program(url=url, file_name="inbox/seed.csv"))[0] == "same"
    step, res = import_.up(res, import_program(url=url, file_name="inbox/seed-2.csv"))  # another file: replaced
    assert step == "replace" and set(epm.files) >= {"inbox/seed-2.csv"} and "inbox/seed.csv" not in epm.files


def test_a_snapshot_imported_under_a_name_of_its_own(import_, import_program, epm, oci_emulator, bucket):
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    _, res = import_.up(None, import_program(file_name="Golden Seed"))
    assert epm.jobs[-1]["request"]["fileName"] == "Golden Seed.zip"
    assert epm.files["Golden Seed"]["type"] == "LCM" and res.outputs["file_name"] == "Golden Seed"
    with pytest.raises(CheckFailed) as e:
        import_.preview(res, import_program(file_name="Golden Seed.zip"))
    assert e.value.failures == [("file_name", "file_name: 'Golden Seed.zip': the environment lists a snapshot "
                                              "without .zip: file_name 'Golden Seed' (an object ending in .zip is "
                                              "imported as a snapshot)")]


def test_state_from_before_file_name_was_an_input_plans_no_changes(import_, import_program, epm, oci_emulator,
                                                                     bucket):
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    _, res = import_.up(None, import_program())
    res.inputs.pop("file_name")  # what the engine kept from a check that had no file_name input
    step, res = import_.up(res, import_program())
    assert step == "same" and len(epm.jobs) == 1 and res.inputs["file_name"] == "Restore Me"


def test_import_from_a_swift_url_with_retain(import_, import_program, epm, oci_emulator, bucket):
    oci_emulator.put_object(bucket, "load.csv", CSV)
    swift = f"https://swiftobjectstorage.us-ashburn-1.oraclecloud.com/v1/{oci_emulator.namespace}/{bucket}/load.csv"
    _, res = import_.up(None, import_program(url=swift, delete_policy="retain"))
    assert res.outputs["file_name"] == "load.csv" and epm.files["load.csv"]["bytes"] == CSV
    import_.delete(res)
    assert "load.csv" in epm.files


def test_import_of_a_missing_object_fails_with_epms_details(import_, import_program, epm, bucket):
    program = import_program(url=import_program()["url"].replace("Restore%20Me", "absent"))
    assert import_.preview(None, program)[0] == "create"  # not there yet: it may be written earlier in the update
    message = failure(lambda: import_.up(None, program))
    assert "EPMLCM-14005" in message and "'golden/absent.zip' not found" in message
    assert f"EPM job {epm.jobs[-1]['id']}" in message and "absent" not in epm.files


def test_a_changed_source_shows_in_preview_and_imports_again(import_, import_program, epm, oci_emulator, bucket):
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    _, res = import_.up(None, import_program())
    newer = oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT + b" v2")
    step, planned = import_.preview(res, import_program())
    assert step == "update" and planned["source_etag"] == newer["etag"] and len(epm.jobs) == 1
    step, res = import_.up(res, import_program())
    assert step == "update" and len(epm.jobs) == 2 and res.outputs["source_etag"] == newer["etag"]
    assert epm.files["Restore Me"]["bytes"] == SNAPSHOT + b" v2"
    assert import_.up(res, import_program())[0] == "same"
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT + b" v3")
    assert import_.preview(res, import_program(track_source=False))[0] == "update"  # only the flag changed
    assert import_.up(res, import_program(track_source=False))[1].outputs["source_etag"] == newer["etag"]
    assert len(epm.jobs) == 2


def test_a_file_removed_by_hand_is_dropped_on_refresh(import_, import_program, epm, oci_emulator, bucket):
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    _, res = import_.up(None, import_program())
    del epm.files["Restore Me"]
    assert import_.read(res) is None
    assert import_.up(None, import_program())[0] == "create" and "Restore Me" in epm.files


def test_a_new_object_with_the_same_file_name_replaces_delete_first(import_, import_program, oci_emulator, bucket,
                                                                     bucket_url):
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
    oci_emulator.put_object(bucket, "Restore Me.zip", SNAPSHOT)
    _, res = import_.up(None, import_program())
    diff = import_.diff(res, import_.check(res.inputs, import_program(url=f"{bucket_url}/o/Restore%20Me.zip"))[0])
    assert list(diff.replaces) == ["url"] and diff.deleteBeforeReplace  # else the delete would remove the new file


@pytest.mark.parametrize("change, prop, says", [
    ({"url": "BUCKET"}, "url", "must name the object"),
    ({"track_source": "yes"}, "track_source", "true or false"),
    ({"object_profile": "no-such-profile"}, "url", "no-such-profile"),
])
def test_import_check_failures(import_, import_program, bucket_url, change, prop, says):
    change = {k: bucket_url if v == "BUCKET" else v for k, v in change.items()}
    with pytest.raises(CheckFailed) as e:
        import_.preview(None, import_program(**change))
    assert any(p == prop and says in r for p, r in e.value.failures), e.value.failures


# --- secrets ---------------------------------------------------------------------------------------------------
def test_no_secret_in_outputs_errors_or_logs(epm, export_program, import_program, oci_emulator, bucket, key,
                                             monkeypatch, capfd):
    pem_lines = key.private_pem.strip().splitlines()
    pem_body = "".join(pem_lines[1:-1])
    # every line of the key, the key as EPM's payload carries it (base64 of the PEM), and EPM's password
    secrets = [EPM_PASSWORD, *pem_lines[1:-1], base64.b64encode(key.private_pem.encode()).decode()[40:80]]
    seen: list[str] = []
    export = Engine(EpmObjectStoreExportProvider())
    import_ = Engine(EpmObjectStoreImportProvider())
    try:
        _, exported = export.up(None, export_program())
        seen += [repr(exported.outputs), repr(export.read(exported).outputs)]
        oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)
        _, imported = import_.up(None, import_program())
        seen.append(repr(imported.outputs))
        epm.fail_next_job(3, "EPMLCM-10001: copy failed")
        seen.append(failure(lambda: export.up(None, export_program(file_path="Artifact Snapshot"))))
        seen.append(failure(lambda: import_.up(None, import_program(url=import_program()["url"] + "x"))))
        broken = key.private_pem.replace(pem_body[100:140], "A" * 40)  # still PEM-shaped, but not a key
        with pytest.raises(CheckFailed) as e:
            export.preview(None, export_program(oci_private_key=broken, oci_fingerprint="00" * 16))
        seen.append(str(e.value))
    finally:
        export.close()
        import_.close()
    monkeypatch.setenv("EPM_PASSWORD", "Wrong-" + EPM_PASSWORD)
    wrong = Engine(EpmObjectStoreImportProvider())
    try:
        seen.append(failure(lambda: wrong.read(imported)))
    finally:
        wrong.close()
    assert "EPMCSS-00301" in seen[-1]  # the user learns the credentials were refused, not what they were
    seen.append(capfd.readouterr().err)
    for text in seen:
        for secret in secrets:
            assert secret not in text


MOCK_PROGRAM = """
import asyncio, json, sys
import pulumi
from pulumi.runtime import rpc
from pulumi_objectcopy import EpmObjectStoreExport, EpmObjectStoreImport

pem = sys.stdin.read()
seen = {}

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        value = args.inputs.get("oci_private_key")
        wrapped = isinstance(value, dict)
        seen[args.typ] = {"secret": wrapped and value.get(rpc._special_sig_key) == rpc._special_secret_sig,
                          "same_key": wrapped and value.get("value") == pem}
        return [args.name + "-id", {}]

    def call(self, args):
        return {}

asyncio.set_event_loop(asyncio.new_event_loop())
pulumi.runtime.set_mocks(Mocks(), preview=False)
common = dict(environment_url="https://epm.example.com", oci_tenancy="ocid1.tenancy.oc1..t",
              oci_user="ocid1.user.oc1..u", oci_private_key=pem)

@pulumi.runtime.test
def program():
    url = "https://objectstorage.us-ashburn-1.oraclecloud.com/n/ns/b/golden"
    a = EpmObjectStoreExport("export", file_path="Artifact Snapshot", url=url, **common)
    b = EpmObjectStoreImport("import", url=url + "/o/x.zip", **common)
    return pulumi.Output.all(a.urn, b.urn)

program()
print(json.dumps(seen))
"""


def test_the_resource_classes_send_the_key_as_a_secret(key):
    """A program that passes the key as a plain string still registers it as a secret (pulumi's mocks, in a
    process of its own: they are global)."""
    import json
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", MOCK_PROGRAM], input=key.private_pem, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "pulumi-python:dynamic/objectcopy:EpmObjectStoreExport": {"secret": True, "same_key": True},
        "pulumi-python:dynamic/objectcopy:EpmObjectStoreImport": {"secret": True, "same_key": True}}


# --- import (the core's import_, as the plugin and terraform call it; dynamic resources cannot be imported) --------
def test_an_export_is_imported_by_its_object_and_recorded_without_a_job(export_program, epm, oci_emulator, bucket,
                                                                        bucket_url):
    from pulumi_objectcopy import core
    from pulumi_objectcopy.core import Context
    from pulumi_objectcopy.errors import UsageError
    r = core.resource("EpmObjectStoreExport")
    put = oci_emulator.put_object(bucket, "exports/data.csv", CSV)
    obj = f"oci://oci@{oci_emulator.namespace}/{bucket}/exports/data.csv"
    with pytest.raises(UsageError) as e:  # the Object Storage URL is read with the default OCI configuration
        r.import_(f"{epm.url},{bucket_url}/o/exports/data.csv", Context())
    assert str(e.value).startswith(f"EpmObjectStoreExport import of oci://{oci_emulator.namespace}/{bucket}/"
                                   "exports/data.csv: no OCI API key")
    read = r.import_(f"{epm.url},{obj}", Context())
    assert read.id == obj and read.state["written_etag"] == read.state["etag"] == put["etag"]
    assert read.state["job_id"] is None and "oci_private_key" not in read.state
    program = r.check(export_program()).inputs
    diff = r.diff(read.id, read.state, program)
    assert diff.changed and not diff.replaces  # the credentials and file_path recorded, in place
    updated = r.update(read.id, read.state, program, Context())
    assert not r.diff(read.id, updated.state, r.check(export_program()).inputs).changed
    assert epm.jobs == [] and r.delete(read.id, updated.state, Context()) == ()
    assert objects(oci_emulator, bucket) == {}

    with pytest.raises(UsageError) as e:
        r.import_(f"{epm.url},{obj}", Context())
    assert str(e.value) == f"import '{epm.url},{obj}': there is no object {obj}; nothing to import"


def test_an_import_is_imported_by_its_file_name_and_tracks_its_source_from_then(import_program, epm, oci_emulator,
                                                                                bucket):
    from pulumi_objectcopy import core
    from pulumi_objectcopy.core import Context
    from pulumi_objectcopy.errors import UsageError
    r = core.resource("EpmObjectStoreImport")
    with pytest.raises(UsageError) as e:
        r.import_(f"{epm.url},inbox/dta.csv", Context())
    assert str(e.value) == f"import '{epm.url},inbox/dta.csv': {epm.url} lists no file 'inbox/dta.csv' (2 files " \
                           "listed); did you mean 'inbox/data.csv'?; nothing to import"
    read = r.import_(f"{epm.url},Artifact Snapshot", Context())
    assert read.id == "Artifact Snapshot" and read.state["job_id"] is None and read.state["url"] is None

    v1 = oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT)["etag"]
    program = r.check(import_program(file_name="Artifact Snapshot", track_source=True)).inputs
    diff = r.diff(read.id, read.state, program)
    assert not diff.replaces and {"url", "source_etag", "oci_private_key"} <= set(diff.properties)
    adopted = r.update(read.id, read.state, program, Context()).state
    assert adopted["source_etag"] == v1 and epm.jobs == []  # recorded as the one imported, with no job
    oci_emulator.put_object(bucket, "golden/Restore Me.zip", SNAPSHOT + b" v2")
    changed = r.check(import_program(file_name="Artifact Snapshot", track_source=True)).inputs
    assert [c.property for c in r.diff(read.id, adopted, changed).changes] == ["source_etag"]
    r.update(read.id, adopted, changed, Context())
    assert len(epm.jobs) == 1 and epm.files["Artifact Snapshot"]["bytes"] == SNAPSHOT + b" v2"
