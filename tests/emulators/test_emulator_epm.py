"""The EPM Cloud REST emulator, driven with plain `requests`."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .epm_server import EpmEmulator, start_epm

BUCKET_URL = "https://objectstorage.us-ashburn-1.oraclecloud.com/n/ns1/b/backups"
AUTH = ("admin", "Secret#1")


@pytest.fixture(scope="module")
def key() -> tuple[str, str]:
    """(base64 of the PEM, fingerprint)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der).hexdigest()
    return base64.b64encode(pem).decode(), ":".join(digest[i:i + 2] for i in range(0, 32, 2))


@pytest.fixture()
def emu():
    emulator = start_epm({"admin": "Secret#1"}, tokens={"tok-123"})
    emulator.add_file("Artifact Snapshot", b"PK\x03\x04snapshot", type="LCM")
    emulator.add_file("inbox/data.csv", b"a,b\n1,2\n")
    yield emulator
    emulator.stop()


def payload(key: tuple[str, str], op: str = "copyto", **changes: str) -> dict[str, str]:
    body = {"url": BUCKET_URL, "tenancyOcid": "ocid1.tenancy.oc1..aaa", "userOcid": "ocid1.user.oc1..aaa",
            "fingerprint": key[1], "privateKey": key[0]}
    body["filePath" if op == "copyto" else "fileName"] = "Artifact Snapshot"
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def run(emu: EpmEmulator, op: str, body: dict, auth=AUTH, headers=None) -> list[dict]:
    """Trigger `op` and poll its job to the end; the list of envelopes seen (trigger first)."""
    r = requests.post(f"{emu.url}/interop/rest/v3/objectstorage/{op}", json=body, auth=auth, headers=headers,
                      timeout=10)
    assert r.status_code == 200
    seen = [r.json()]
    if seen[0]["status"] != -1:
        return seen
    href = next(link["href"] for link in seen[0]["links"] if link["rel"] == "Job Status")
    assert href.rsplit("/", 2)[-2] == "jobs"
    for _ in range(10):
        r = requests.get(href, auth=auth, headers=headers, timeout=10)
        assert r.status_code == 200
        seen.append(r.json())
        if seen[-1]["status"] != -1:
            break
    return seen


def test_copyto_snapshot_polls_to_success(emu, key):
    seen = run(emu, "copyto", payload(key))
    assert [s["status"] for s in seen] == [-1, -1, -1, 0]
    assert all(set(s) == {"status", "details", "items", "links"} for s in seen)
    assert emu.objects[("ns1", "backups", "Artifact Snapshot.zip")] == b"PK\x03\x04snapshot"
    assert emu.jobs[-1]["request"]["filePath"] == "Artifact Snapshot"
    assert emu.jobs[-1]["status"] == 0


def test_copyto_named_object(emu, key):
    seen = run(emu, "copyto", payload(key, url=BUCKET_URL + "/o/daily%2Fsnap.zip"))
    assert seen[-1]["status"] == 0
    assert emu.objects[("ns1", "backups", "daily/snap.zip")] == b"PK\x03\x04snapshot"


def test_fail_next_job(emu, key):
    emu.fail_next_job(7, "EPMLCM-99999: Object Storage is unavailable.")
    seen = run(emu, "copyto", payload(key))
    assert seen[-1]["status"] == 7 and seen[-1]["details"] == "EPMLCM-99999: Object Storage is unavailable."
    assert emu.objects == {}
    assert run(emu, "copyto", payload(key))[-1]["status"] == 0   # the switch is one-shot


@pytest.mark.parametrize("op, field", [(op, field) for op, fields in (
    ("copyto", ["filePath", "url", "tenancyOcid", "userOcid", "fingerprint", "privateKey"]),
    ("copyfrom", ["fileName", "url", "tenancyOcid", "userOcid", "fingerprint", "privateKey"])) for field in fields])
def test_a_missing_required_parameter_fails_the_trigger_as_epm_does(emu, key, op, field):
    for missing in (None, "  "):
        seen = run(emu, op, payload(key, op, **{field: missing}))
        assert seen == [{"status": 4, "details": f"Invalid parameter: missing required parameter(s): {field}",
                         "items": None, "links": seen[0]["links"]}]
    body = payload(key, op, url=None, privateKey=None)
    assert run(emu, op, body)[0]["details"] == "Invalid parameter: missing required parameter(s): url, privateKey"
    assert emu.jobs == []


@pytest.mark.parametrize("op, stray", [("copyto", "fileName"), ("copyfrom", "filePath"), ("copyfrom", "targetFile")])
def test_a_parameter_the_page_does_not_name_fails_the_trigger(emu, key, op, stray):
    seen = run(emu, op, payload(key, op, **{stray: "inbox/data.csv"}))
    assert seen[0]["status"] == 4 and seen[0]["details"] == f"Invalid parameter: unknown parameter(s): {stray}"
    assert emu.jobs == []


@pytest.mark.parametrize("changes, words", [
    ({"privateKey": "-----BEGIN PRIVATE KEY-----"}, "base64"),                 # raw PEM, not base64
    ({"privateKey": base64.b64encode(b"not a key").decode()}, "PEM"),
    ({"fingerprint": "00:" * 15 + "00"}, "fingerprint"),
    ({"filePath": "No Such Snapshot"}, "No Such Snapshot"),
    ({"url": "https://example.com/bucket"}, "URL"),
])
def test_failed_job_details(emu, key, changes, words):
    seen = run(emu, "copyto", payload(key, **changes))
    assert seen[0]["status"] == -1 and seen[-1]["status"] > 0 and words in seen[-1]["details"]
    assert emu.objects == {}


def test_auth(emu, key):
    r = requests.get(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots", auth=("admin", "wrong"),
                     timeout=10)
    assert r.status_code == 401 and r.json()["status"] > 0 and r.json()["details"]
    r = requests.get(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots", timeout=10)
    assert r.status_code == 401
    assert run(emu, "copyto", payload(key), auth=("exampleDomain.admin", "Secret#1"))[-1]["status"] == 0
    assert run(emu, "copyto", payload(key), auth=None, headers={"Authorization": "Bearer tok-123"})[-1]["status"] == 0
    r = requests.get(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots",
                     headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401


def test_copyfrom_list_delete(emu, key):
    emu.objects[("ns1", "backups", "Restore Me.zip")] = b"PK\x03\x04restore"
    emu.objects[("ns1", "backups", "load.csv")] = b"x,y\n"
    restore = payload(key, "copyfrom", url=BUCKET_URL + "/o/Restore%20Me.zip", fileName="Restore Me.zip")
    assert run(emu, "copyfrom", restore)[-1]["status"] == 0
    swift = "https://swiftobjectstorage.us-ashburn-1.oraclecloud.com/v1/ns1/backups/load.csv"
    assert run(emu, "copyfrom", payload(key, "copyfrom", url=swift, fileName="inbox/load.csv"))[-1]["status"] == 0
    missing = run(emu, "copyfrom", payload(key, "copyfrom", url=BUCKET_URL + "/o/absent.zip", fileName="absent.zip"))
    assert missing[-1]["status"] > 0 and "absent.zip" in missing[-1]["details"]

    listing = requests.get(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots", auth=AUTH, timeout=10).json()
    assert listing["status"] == 0
    items = {i["name"]: i for i in listing["items"]}
    assert items["Restore Me"] == {"name": "Restore Me", "type": "LCM", "size": None, "lastmodifiedtime": None}
    assert items["inbox/load.csv"]["type"] == "EXTERNAL" and items["inbox/load.csv"]["size"] == "4"
    assert items["inbox/load.csv"]["lastmodifiedtime"].isdigit()
    assert emu.files["Restore Me"]["bytes"] == b"PK\x03\x04restore"

    for name in ("Restore Me", "inbox/load.csv"):
        r = requests.delete(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots/{quote(name, safe='')}",
                            auth=AUTH, timeout=10)
        assert r.status_code == 200 and r.json()["status"] == 0
        assert name not in emu.files
    r = requests.delete(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots/Restore%20Me", auth=AUTH,
                        timeout=10)
    assert r.json()["status"] > 0
    names = [i["name"] for i in requests.get(f"{emu.url}/interop/rest/11.1.2.3.600/applicationsnapshots",
                                             auth=AUTH, timeout=10).json()["items"]]
    assert "Restore Me" not in names and "Artifact Snapshot" in names
