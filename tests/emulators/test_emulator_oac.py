"""The Oracle Analytics Cloud snapshots-API emulator (oac_server.py), driven with plain `requests`."""
from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.emulators import start_oac
from tests.emulators.oac_server import DEFAULT_NAMESPACE, PASSWORD_RULE, OacEmulator, bar_bytes

TOKEN = "oac-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PEM = b"-----BEGIN RSA PRIVATE KEY-----\nMIIEfake\n-----END RSA PRIVATE KEY-----\n"
PASSWORD = "Snapshot123"


@pytest.fixture
def oac() -> Iterator[OacEmulator]:
    emu = start_oac({TOKEN})
    try:
        yield emu
    finally:
        emu.stop()


def snapshot_body(kind: str, name: str, password: str | None = PASSWORD, *, bucket: str = "snap-bucket",
                  folder: str = "myfolder", namespace: str | None = None) -> dict[str, Any]:
    storage: dict[str, Any] = {"type": "OCI_NATIVE", "bucket": bucket, "auth": {
        "type": "OSS_AUTH_OCI_USER_ID", "ociRegion": "us-phoenix-1", "ociTenancyId": "ocid1.tenancy.oc1..aaaa",
        "ociUserId": "ocid1.user.oc1..aaaa", "ociKeyFingerprint": "ae:df:79:d2",
        "ociPrivateKeyWrapped": base64.b64encode(PEM).decode()}}
    if namespace:
        storage["bucketOciNamespace"] = namespace
    bar: dict[str, Any] = {"uri": f"file:///{folder}/{name}.bar"}
    if password is not None:
        bar["password"] = password
    return {"type": kind, "name": name, "description": f"{name} description", "storage": storage, "bar": bar}


def post(oac: OacEmulator, path: str, body: Any) -> requests.Response:
    return requests.post(oac.api + path, json=body, headers=AUTH, timeout=10)


def wait(oac: OacEmulator, resp: requests.Response) -> list[dict[str, Any]]:
    """Poll the work request of a 202 to a terminal state; returns every poll's document."""
    assert resp.status_code == 202, resp.text
    wr_id = resp.headers["oa-work-request-id"]
    assert resp.json() == {"workRequestId": wr_id}
    seen = []
    for _ in range(20):
        r = requests.get(f"{oac.api}/workRequests/{wr_id}", headers=AUTH, timeout=10)
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if seen[-1]["status"] in ("SUCCEEDED", "FAILED", "CANCELED"):
            return seen
    raise AssertionError(f"work request {wr_id} never finished: {seen[-1]}")


def create(oac: OacEmulator, name: str, password: str = PASSWORD) -> str:
    polls = wait(oac, post(oac, "/snapshots", snapshot_body("CREATE", name, password)))
    assert polls[-1]["status"] == "SUCCEEDED", polls[-1]
    return polls[-1]["resources"][0]["id"]


def test_create_advances_over_polls_and_writes_the_bar(oac: OacEmulator) -> None:
    resp = post(oac, "/snapshots", snapshot_body("CREATE", "first"))
    sid = next(iter(oac.snapshots))
    assert oac.snapshots[sid].lifecycle_state == "CREATING" and not oac.bars
    polls = wait(oac, resp)
    assert [p["status"] for p in polls] == ["ACCEPTED", "IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"]
    assert [p["percentComplete"] for p in polls] == [0.0, 33.3, 66.7, 100.0]
    last = polls[-1]
    assert last["operationType"] == "CREATE_SNAPSHOT" and last["errors"] == []
    assert last["resources"] == [{"actionResult": "CREATED", "id": sid, "resourceType": "SNAPSHOT", "metadata": {}}]
    assert {"timeAccepted", "timeStarted", "timeFinished"} <= set(last)
    assert oac.snapshots[sid].lifecycle_state == "ACTIVE"
    assert set(oac.bars) == {(DEFAULT_NAMESPACE, "snap-bucket", "myfolder/first.bar")}
    # Polling a finished work request again changes nothing.
    again = requests.get(f"{oac.api}/workRequests/{last['id']}", headers=AUTH, timeout=10).json()
    assert again == last


@pytest.mark.parametrize("password", ["Short1a", "a" * 8 + "B1" + "c" * 41, "alllower1", "ALLUPPER1",
                                      "NoDigitsHere"])
def test_create_password_rule(oac: OacEmulator, password: str) -> None:
    resp = post(oac, "/snapshots", snapshot_body("CREATE", "pw", password))
    assert resp.status_code == 400
    assert resp.json() == {"code": "InvalidParameter", "message": PASSWORD_RULE}
    assert not oac.snapshots and not oac.work_requests


@pytest.mark.parametrize("password", ["Abcdefg1", "A1" + "b" * 48])
def test_create_password_rule_boundaries_pass(oac: OacEmulator, password: str) -> None:
    create(oac, "ok", password)


def test_bad_request_bodies(oac: OacEmulator) -> None:
    body = snapshot_body("CREATE", "x")
    body["storage"]["auth"]["ociPrivateKeyWrapped"] = base64.b64encode(b"not a pem").decode()
    assert post(oac, "/snapshots", body).status_code == 400
    assert post(oac, "/snapshots", {**snapshot_body("CREATE", "x"), "type": "COPY"}).status_code == 400
    assert post(oac, "/snapshots", {**snapshot_body("CREATE", "x"), "bar": {"uri": "oci://b/x.bar"}}).status_code == 400
    r = requests.post(oac.api + "/snapshots", data=b"{nope", headers=AUTH, timeout=10)
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameter"
    rp = snapshot_body("CREATE", "rp")
    rp["storage"]["auth"] = {"type": "OCI_RESOURCE_PRINCIPAL"}
    wait(oac, post(oac, "/snapshots", rp))


def test_register_existing_and_missing_bar(oac: OacEmulator) -> None:
    oac.bars[("tenancyns", "snap-bucket", "saved/kept.bar")] = bar_bytes(PASSWORD, "kept")
    ok = wait(oac, post(oac, "/snapshots", snapshot_body("REGISTER", "kept", None, folder="saved",
                                                          namespace="tenancyns")))[-1]
    assert ok["status"] == "SUCCEEDED"
    assert oac.snapshots[ok["resources"][0]["id"]].type == "REGISTER"

    missing = wait(oac, post(oac, "/snapshots", snapshot_body("REGISTER", "gone", None, folder="saved")))[-1]
    assert missing["status"] == "FAILED" and missing["resources"][0]["actionResult"] == "FAILED"
    assert missing["errors"][0]["code"] == "BarNotFound" and "saved/gone.bar" in missing["errors"][0]["message"]
    assert [s.name for s in oac.snapshots.values()] == ["kept"]   # the failed one is not registered

    # A weak password is fine for REGISTER (the rule is for new BARs).
    oac.bars[(DEFAULT_NAMESPACE, "snap-bucket", "myfolder/weak.bar")] = bar_bytes("weak", "weak")
    assert wait(oac, post(oac, "/snapshots", snapshot_body("REGISTER", "weak", "weak")))[-1]["status"] == "SUCCEEDED"


def test_list_get_delete(oac: OacEmulator) -> None:
    a, b = create(oac, "alpha"), create(oac, "beta")
    listed = requests.get(oac.api + "/snapshots", headers=AUTH, timeout=10).json()["items"]
    assert {s["name"] for s in listed} == {"alpha", "beta"}
    got = requests.get(f"{oac.api}/snapshots/{a}", headers=AUTH, timeout=10).json()
    assert got["id"] == a and got["name"] == "alpha" and got["description"] == "alpha description"
    assert got["lifecycleState"] == "ACTIVE" and got["bar"] == {"uri": "file:///myfolder/alpha.bar"}
    assert got["storage"]["bucket"] == "snap-bucket" and got["storage"]["auth"] == {"type": "OSS_AUTH_OCI_USER_ID"}
    assert "timeCreated" in got

    key_a = oac.snapshots[a].bar_key
    key_b = oac.snapshots[b].bar_key
    assert requests.delete(f"{oac.api}/snapshots/{a}", headers=AUTH, timeout=10).status_code == 200
    assert key_a in oac.bars                                         # deleteStorage defaults to false
    r = requests.delete(f"{oac.api}/snapshots/{b}", params={"deleteStorage": "true"}, headers=AUTH, timeout=10)
    assert r.status_code == 200 and key_b not in oac.bars
    assert requests.get(oac.api + "/snapshots", headers=AUTH, timeout=10).json() == {"items": []}
    r = requests.get(f"{oac.api}/snapshots/{a}", headers=AUTH, timeout=10)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"
    assert requests.delete(f"{oac.api}/snapshots/{a}", headers=AUTH, timeout=10).status_code == 404


def test_duplicate_name_conflicts(oac: OacEmulator) -> None:
    create(oac, "dup")
    r = post(oac, "/snapshots", snapshot_body("CREATE", "dup"))
    assert r.status_code == 409 and r.json()["code"] == "Conflict"
    # Also while the first is still CREATING.
    post(oac, "/snapshots", snapshot_body("CREATE", "pending"))
    assert post(oac, "/snapshots", snapshot_body("CREATE", "pending")).status_code == 409


def test_restore_right_and_wrong_password(oac: OacEmulator) -> None:
    sid = create(oac, "restoreme")
    bad = wait(oac, post(oac, "/system/actions/restoreSnapshot", {"snapshot": {"id": sid, "password": "Wrong123"}}))
    assert bad[-1]["status"] == "FAILED" and bad[-1]["operationType"] == "RESTORE_SNAPSHOT"
    assert bad[-1]["errors"][0]["code"] == "InvalidPassword" and oac.restored == []
    good = wait(oac, post(oac, "/system/actions/restoreSnapshot", {"snapshot": {"id": sid, "password": PASSWORD}}))
    assert good[-1]["status"] == "SUCCEEDED"
    assert good[-1]["resources"][0]["resourceType"] == "SYSTEM"
    assert oac.restored == [sid]
    r = post(oac, "/system/actions/restoreSnapshot", {"snapshot": {"id": "nope", "password": PASSWORD}})
    assert r.status_code == 404


def test_fail_next_work_request_and_request_log(oac: OacEmulator) -> None:
    oac.fail_next_work_request("OssAuthFailed", "cannot reach the bucket")
    failed = wait(oac, post(oac, "/snapshots", snapshot_body("CREATE", "f")))[-1]
    assert failed["status"] == "FAILED"
    assert failed["errors"] == [{"code": "OssAuthFailed", "message": "cannot reach the bucket"}]
    assert not oac.snapshots and not oac.bars
    create(oac, "f")                                                  # the fault was used up
    oac.fail_next_request(500, "InternalServerError", "down")
    r = requests.get(oac.api + "/snapshots", headers=AUTH, timeout=10)
    assert r.status_code == 500 and r.json() == {"code": "InternalServerError", "message": "down"}
    seen = []
    oac.before_request = lambda emu, req: seen.append((req.method, req.path))
    requests.get(oac.api + "/snapshots", headers=AUTH, timeout=10)
    assert seen == [("GET", "/api/20210901/snapshots")]
    assert oac.requests[0].method == "POST" and oac.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_401_without_a_valid_token(oac: OacEmulator, headers: dict[str, str]) -> None:
    for r in (requests.get(oac.api + "/snapshots", headers=headers, timeout=10),
              requests.post(oac.api + "/snapshots", json=snapshot_body("CREATE", "x"), headers=headers, timeout=10)):
        assert r.status_code == 401 and r.json()["code"] == "NotAuthenticated"
    assert not oac.snapshots
