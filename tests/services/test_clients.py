"""The Oracle Analytics and EPM clients against their emulators: each asynchronous job is followed by the one
waiter to its end, and a failure carries the job's own error."""
from __future__ import annotations

import pytest

from pulumi_objectcopy import jobs
from pulumi_objectcopy.services import analytics, epm, names
from pulumi_objectcopy.stores.base import AccessDenied, ConfigError

FAST = jobs.Backoff(first=0.01, cap=0.05, jitter=0)  # the emulators advance per poll, not per second


@pytest.fixture
def oac(monkeypatch):
    from tests.emulators import start_oac
    emu = start_oac({"oac-token"})
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    yield emu
    emu.stop()


@pytest.fixture
def epm_env(monkeypatch):
    from tests.emulators import start_epm
    emu = start_epm({"idm.admin": "Welcome1"}, {"epm-token"})
    monkeypatch.setenv("EPM_USERNAME", "idm.admin")
    monkeypatch.setenv("EPM_PASSWORD", "Welcome1")
    monkeypatch.delenv("EPM_TOKEN", raising=False)
    emu.add_file("Artifact Snapshot", b"an LCM snapshot", type="LCM")
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def api_key():
    from tests.emulators.oci import new_api_key
    return new_api_key()


def register_payload(name: str) -> dict:
    return {"type": "REGISTER", "name": name, "description": "golden",
            "storage": {"type": "OCI_NATIVE", "bucket": "golden", "auth": {"type": "OCI_RESOURCE_PRINCIPAL"}},
            "bar": {"uri": "file:///golden/v42.bar", "password": "GoodPassw0rd"}}


def test_password_rule():
    assert names.password_problems("GoodPassw0rd") == []
    assert names.password_problems("short") == ["8 to 50 characters", "a digit", "an upper-case letter"]


def test_create_snapshot_then_restore(oac):
    client = analytics.AnalyticsClient(oac.url, backoff=FAST)
    payload = {**register_payload("golden-v42"), "type": "CREATE"}
    work_request = client.create_snapshot(payload)
    status = client.wait(work_request, "create golden-v42")
    assert status.state == jobs.SUCCEEDED
    snapshot = client.find_snapshot("golden-v42")
    assert snapshot and client.get_snapshot(snapshot["id"])["name"] == "golden-v42"
    assert client.wait(client.restore(snapshot["id"], "GoodPassw0rd"), "restore").state == jobs.SUCCEEDED
    client.delete_snapshot(snapshot["id"], delete_storage=False)
    assert client.find_snapshot("golden-v42") is None


def test_a_failed_work_request_carries_its_errors(oac):
    client = analytics.AnalyticsClient(oac.url, backoff=FAST)
    work_request = client.create_snapshot(register_payload("missing-bar"))  # the BAR file is not there
    with pytest.raises(Exception, match="register missing-bar .*failed: BarNotFound: .*golden"):
        client.wait(work_request, "register missing-bar")


def test_a_bad_token_is_refused(oac, monkeypatch):
    monkeypatch.setenv("OAC_TOKEN", "not-a-token")
    with pytest.raises(AccessDenied):
        analytics.AnalyticsClient(oac.url, backoff=FAST).snapshots()
    monkeypatch.delenv("OAC_TOKEN")
    with pytest.raises(ConfigError, match="OAC_TOKEN"):
        analytics.AnalyticsClient(oac.url, backoff=FAST).snapshots()


def test_epm_export_and_import(epm_env, api_key):
    client = epm.EpmClient(epm_env.url, backoff=FAST)
    url = "https://objectstorage.us-ashburn-1.oraclecloud.com/n/objectcopy/b/golden"
    key = dict(tenancy=api_key.tenancy, user=api_key.user, fingerprint=api_key.fingerprint,
               private_key_pem=api_key.private_pem)
    job = client.copy_to_object_store(file_path="Artifact Snapshot", url=url, **key)
    assert client.wait(job, "export").state == jobs.SUCCEEDED
    [(object_key, data)] = [(k, v) for k, v in epm_env.objects.items() if k[1] == "golden"]
    assert object_key[2] == "Artifact Snapshot.zip" and data == b"an LCM snapshot"
    client.delete_file("Artifact Snapshot")  # the import must bring it back
    assert "Artifact Snapshot" not in [f["name"] for f in client.files()]
    job = client.copy_from_object_store(url=f"{url}/o/{object_key[2]}", file_name="Artifact Snapshot.zip", **key)
    assert client.wait(job, "import").state == jobs.SUCCEEDED
    names = [f["name"] for f in client.files()]
    assert "Artifact Snapshot" in names
    assert epm_env.jobs[-1]["request"]["fileName"] == "Artifact Snapshot.zip"


def test_epm_failure_carries_details(epm_env, api_key):
    client = epm.EpmClient(epm_env.url, backoff=FAST)
    epm_env.fail_next_job(1, "snapshot is locked by another job")
    job = client.copy_to_object_store(file_path="Artifact Snapshot",
                                      url="https://objectstorage.us-ashburn-1.oraclecloud.com/n/n/b/b",
                                      tenancy=api_key.tenancy, user=api_key.user, fingerprint=api_key.fingerprint,
                                      private_key_pem=api_key.private_pem)
    with pytest.raises(jobs.JobFailed, match="snapshot is locked by another job"):
        client.wait(job, "export")


def test_epm_naming_assumptions():
    assert names.exported_object_name("Artifact Snapshot", "LCM") == "Artifact Snapshot.zip"
    assert names.exported_object_name("inbox/data.csv", "EXTERNAL") == "data.csv"
    assert names.exported_object_name("inbox\\data.csv", None) == "data.csv"
    assert names.imported_file_name("golden/Restore Me.zip") == "Restore Me"
    assert names.imported_file_name("Snap.ZIP") == "Snap"
    assert names.imported_file_name("load.csv") == "load.csv"
    assert names.copy_from_file_name("Restore Me", "golden/Restore Me.zip") == "Restore Me.zip"
    assert names.copy_from_file_name("inbox/load.csv", "load.csv") == "inbox/load.csv"


def test_epm_file_field_and_its_hint(monkeypatch):
    monkeypatch.delenv(epm.FILE_FIELD_ENV, raising=False)
    assert epm.file_field() == "filePath"
    hint = epm.file_field_hint("EPMLCM-14000: The required parameter 'filePath' is missing.")
    assert "sends the file as `filePath`" in hint and "OBJECTCOPY_EPM_FILE_FIELD=fileName" in hint
    assert epm.file_field_hint("EPM status 4: Invalid parameter: missing required parameter(s): filePath") == hint
    assert epm.file_field_hint("EPM status 4: Invalid parameter: missing required parameter(s): url") == ""
    assert epm.file_field_hint('Unrecognized field "filePath" (class CopyToRequest)')
    assert epm.file_field_hint("EPMLCM-14004: File 'inbox/x.csv' does not exist in the environment.") == ""
    assert epm.file_field_hint("EPMLCM-14000: The required parameter 'url' is missing.") == ""
    monkeypatch.setenv(epm.FILE_FIELD_ENV, "fileName")
    assert epm.file_field() == "fileName"
    assert "OBJECTCOPY_EPM_FILE_FIELD=filePath" in epm.file_field_hint("The parameter 'fileName' is unknown")
    monkeypatch.setenv(epm.FILE_FIELD_ENV, "file name")
    with pytest.raises(ConfigError, match="OBJECTCOPY_EPM_FILE_FIELD"):
        epm.file_field()


def test_epm_delete_of_a_missing_file_is_fine(epm_env):
    client = epm.EpmClient(epm_env.url, backoff=FAST)
    client.delete_file("Artifact Snapshot")
    assert client.find_file("Artifact Snapshot") is None
    client.delete_file("Artifact Snapshot")  # EPM answers status 8, not a 404: the listing decides
