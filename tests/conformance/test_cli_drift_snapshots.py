"""`objectcopy drift` over Oracle resources: AnalyticsSnapshot, EpmObjectStoreExport and EpmObjectStoreImport, from
a state file shaped like `pulumi stack export`, against the OAC and EPM emulators joined to the OCI emulator's
buckets (the provider reads them with the `oci` test profile)."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.emulators.oac_server import bar_bytes

from ..conftest import run_cli

T = "pulumi-python:dynamic/objectcopy:"
REGION_URL = "https://objectstorage.us-ashburn-1.oraclecloud.com"


@pytest.fixture
def world(oci_emulator, monkeypatch):
    from tests.emulators import start_epm, start_oac
    oac = start_oac({"oac-token"}, storage=oci_emulator.objects(), namespace=oci_emulator.namespace)
    oac.polls_to_finish = 2
    epm = start_epm({"admin": "epm-pass"}, storage=oci_emulator.objects())
    monkeypatch.setenv("OAC_TOKEN", "oac-token")  # for this process's provider calls and the CLI's
    monkeypatch.setenv("EPM_USERNAME", "admin")
    monkeypatch.setenv("EPM_PASSWORD", "epm-pass")
    bucket = f"drift-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(bucket)
    yield {"oac": oac, "epm": epm, "oci": oci_emulator, "bucket": bucket, "ns": oci_emulator.namespace}
    oac.stop()
    epm.stop()


def _resource(kind: str, name: str, outputs: dict, id_: str = "") -> dict:
    return {"urn": f"urn:pulumi:dev::p::{T}{kind}::{name}", "type": T + kind, "id": id_ or name,
            "outputs": outputs}


def _snapshot(w, name: str, **overrides) -> dict:
    """An AnalyticsSnapshot as the provider records it: its create, run in this process."""
    from tests.emulators.oci import new_api_key

    from pulumi_objectcopy.resources.analytics_snapshot import AnalyticsSnapshotProvider
    key = new_api_key(bits=1024)
    props = {"instance_url": w["oac"].url, "type": "CREATE", "name": name, "description": "",
             "bucket": w["bucket"], "bucket_namespace": w["ns"], "bar_uri": f"file:///snaps/{name}.bar",
             "bar_password": "GoodPassw0rd", "auth_type": "api_key", "oci_region": "us-ashburn-1",
             "oci_tenancy": key.tenancy, "oci_user": key.user, "oci_private_key": key.private_pem,
             "delete_storage": False, "object_profile": "oci", **overrides}
    created = AnalyticsSnapshotProvider().create(props)
    outs = {k: v for k, v in created.outs.items() if k not in ("oci_private_key", "bar_password")}
    outs["bar_password"] = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                            "ciphertext": "v1:abc"}  # as an export shows a secret
    return _resource("AnalyticsSnapshot", name, outs, created.id)


def _export(w, name: str) -> dict:
    key = f"exports/{name}.zip"
    put = w["oci"].put_object(w["bucket"], key, b"PK export " + name.encode())
    return _resource("EpmObjectStoreExport", name, {
        "environment_url": w["epm"].url, "file_path": f"{name}.zip", "size": put["size"], "etag": put["etag"],
        "written_etag": put["etag"], "object_url": f"oci://oci@{w['ns']}/{w['bucket']}/{key}"})


def _import(w, name: str, *, track_source: bool = True) -> dict:
    key = f"imports/{name}.csv"
    put = w["oci"].put_object(w["bucket"], key, b"a,b\n1,2\n")
    w["epm"].add_file(f"{name}.csv", b"a,b\n1,2\n")
    return _resource("EpmObjectStoreImport", name, {
        "environment_url": w["epm"].url, "url": f"{REGION_URL}/n/{w['ns']}/b/{w['bucket']}/o/{key}",
        "object_profile": "oci", "file_name": f"{name}.csv", "source_etag": put["etag"],
        "track_source": track_source})


def _drift(tmp_path, resources: list[dict], *args: str, env: dict | None = None):
    state = tmp_path / f"state-{uuid.uuid4().hex[:6]}.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return run_cli("drift", "--state", str(state), "--json", *args, env=env)


def _statuses(proc) -> dict[str, str]:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return {f["name"]: f["status"] for f in json.loads(proc.stdout)}


def test_everything_in_sync_exits_0_and_restores_are_not_listed(world, tmp_path):
    snap = _snapshot(world, "golden")
    restore = _resource("AnalyticsSnapshotRestore", "restore", {"instance_url": world["oac"].url,
                                                                "snapshot_id": snap["id"]})
    resources = [snap, restore, _export(world, "nightly"), _import(world, "rates")]
    proc = _drift(tmp_path, resources)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _statuses(proc) == {"golden": "in sync", "nightly": "in sync", "rates": "in sync"}
    found = {f["name"]: f for f in json.loads(proc.stdout)}
    assert found["golden"]["destination"] == f"oci://oci@{world['ns']}/{world['bucket']}/snaps/golden.bar"
    assert found["nightly"]["destination"].startswith("oci://oci@")
    table = run_cli("drift", "--state", str(next(tmp_path.glob("state-*.json")))).stdout
    assert table.splitlines()[0].split() == ["NAME", "STATUS", "DESTINATION", "DETAIL"]
    assert "restore" not in table


def test_each_kind_of_drift_is_named_and_exits_4(world, tmp_path):
    oci, bucket = world["oci"], world["bucket"]
    resources = [_snapshot(world, "overwritten"), _snapshot(world, "deregistered"), _snapshot(world, "bar-gone"),
                 _export(world, "edited"), _export(world, "deleted"), _import(world, "file-gone"),
                 _import(world, "source-moved"), _import(world, "untracked", track_source=False),
                 _snapshot(world, "steady")]
    assert _drift(tmp_path, resources).returncode == 0
    oci.put_object(bucket, "snaps/overwritten.bar", bar_bytes("GoodPassw0rd", "by hand"))
    world["oac"].snapshots.pop(resources[1]["id"])
    oci.delete_object(bucket, "snaps/bar-gone.bar")
    oci.put_object(bucket, "exports/edited.zip", b"PK edited by hand")
    oci.delete_object(bucket, "exports/deleted.zip")
    del world["epm"].files["file-gone.csv"]
    oci.put_object(bucket, "imports/source-moved.csv", b"a,b\n3,4\n")
    oci.put_object(bucket, "imports/untracked.csv", b"a,b\n5,6\n")
    proc = _drift(tmp_path, resources)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert _statuses(proc) == {
        "overwritten": "BAR changed", "deregistered": "snapshot missing", "bar-gone": "BAR missing",
        "edited": "destination changed", "deleted": "destination missing", "file-gone": "file missing",
        "source-moved": "source changed", "untracked": "in sync", "steady": "in sync"}
    details = {f["name"]: f["detail"] for f in json.loads(proc.stdout)}
    assert resources[0]["outputs"]["registered_bar_etag"] in details["overwritten"]


def test_a_snapshot_whose_bar_is_not_tracked_is_checked_for_registration_only(world, tmp_path):
    snap = _snapshot(world, "untracked", object_profile="nosuchprofile")
    assert snap["outputs"]["registered_bar_etag"] is None
    world["oci"].put_object(world["bucket"], "snaps/untracked.bar", bar_bytes("GoodPassw0rd", "by hand"))
    proc = _drift(tmp_path, [snap])
    assert proc.returncode == 0 and _statuses(proc) == {"untracked": "in sync"}
    assert "not tracked" in json.loads(proc.stdout)[0]["detail"]


def test_an_unreachable_instance_is_an_error_with_a_clear_message(world, tmp_path):
    snap = _snapshot(world, "far")
    snap["outputs"]["instance_url"] = "http://127.0.0.1:9"  # nothing listens there
    epm_down = _import(world, "offline")
    epm_down["outputs"]["environment_url"] = "http://127.0.0.1:9"
    proc = _drift(tmp_path, [snap, epm_down, _export(world, "fine")])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _statuses(proc) == {"far": "error", "offline": "error", "fine": "in sync"}
    details = {f["name"]: f["detail"] for f in json.loads(proc.stdout)}
    assert "connection failed" in details["far"] and "instance http://127.0.0.1:9" in details["far"], details
    assert "connection failed" in details["offline"] and "EPM environment http://127.0.0.1:9" in details["offline"]
    assert "GoodPassw0rd" not in proc.stdout + proc.stderr


def test_missing_service_credentials_are_an_error_naming_the_variables(world, tmp_path):
    proc = _drift(tmp_path, [_snapshot(world, "no-token")], env={"OAC_TOKEN": None})
    assert proc.returncode == 1 and _statuses(proc) == {"no-token": "error"}
    assert "OAC_TOKEN" in json.loads(proc.stdout)[0]["detail"]
