"""examples/golden-seed through the real `pulumi` CLI: a golden BAR copied on oci://, registered with Oracle Analytics
and restored, and an EPM snapshot exported, against the OCI, OAC and EPM emulators sharing one set of buckets.
Then a second `up` that does nothing, a `refresh` after the BAR was changed by hand, `objectcopy drift`, an `up`
that puts it right, and `destroy`. The same run is searched for every secret it set."""
from __future__ import annotations

import json
import uuid

import pytest

from ..conftest import ROOT, run_cli
from .test_pulumi_cli import Stack, pulumi_bin  # noqa: F401  (fixture)

BAR = "snapshots/golden-v42.bar"
EPM_OBJECT = "epm/Artifact Snapshot.zip"
SECRETS = {"bar password": "GoldenPassw0rd", "OAC token": "oac-token-5c1e7b", "EPM password": "epm-pass-9d2f"}


@pytest.fixture
def world(oci_emulator):
    from tests.emulators import start_epm, start_oac
    from tests.emulators.oac_server import bar_bytes
    from tests.emulators.oci import new_api_key
    suffix = uuid.uuid4().hex[:8]
    golden, env = f"golden-{suffix}", f"env-{suffix}"
    oci_emulator.create_bucket(golden)
    oci_emulator.create_bucket(env)
    objects = oci_emulator.objects()
    ns = oci_emulator.namespace
    objects[(ns, golden, BAR)] = bar_bytes(SECRETS["bar password"], "golden")
    oac = start_oac({SECRETS["OAC token"]}, storage=objects, namespace=ns)
    oac.polls_to_finish = 2
    epm = start_epm({"epm-admin": SECRETS["EPM password"]}, storage=objects)
    epm.add_file("Artifact Snapshot", b"PK\x03\x04 the EPM environment's snapshot", type="LCM")
    try:
        yield {"oci": oci_emulator, "objects": objects, "ns": ns, "golden": golden, "env": env, "oac": oac,
               "epm": epm, "key": new_api_key(), "bar_bytes": bar_bytes}
    finally:
        oac.stop()
        epm.stop()


def _drift(stack: Stack) -> tuple[int, dict[str, dict]]:
    proc = run_cli("drift", "--json", cwd=stack.dir, env=stack.env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, {f["name"]: f for f in json.loads(proc.stdout)}


def test_golden_seed_registers_restores_exports_and_notices_a_changed_bar(pulumi_bin, tmp_path, world):  # noqa: F811
    w, objects, ns = world, world["objects"], world["ns"]
    stack = Stack(pulumi_bin, tmp_path, program=ROOT / "examples" / "golden-seed", name="golden-seed")
    log_file = tmp_path / "provider.log"
    stack.env.update(OAC_TOKEN=SECRETS["OAC token"], EPM_USERNAME="epm-admin", EPM_PASSWORD=SECRETS["EPM password"],
                     OBJECTCOPY_LOG="debug", OBJECTCOPY_LOG_FILE=str(log_file))
    for key, value in {"profile": "oci", "namespace": ns, "goldenBucket": w["golden"], "envBucket": w["env"],
                       "instanceUrl": w["oac"].url, "epmUrl": w["epm"].url, "tenancy": w["key"].tenancy,
                       "user": w["key"].user}.items():
        stack.run("config", "set", key, value)
    stack.run("config", "set", "--secret", "barPassword", SECRETS["bar password"])
    stack.run("config", "set", "--secret", "ociPrivateKey", "--", w["key"].private_pem)
    outputs = []

    up = stack.run("up", "--yes")
    outputs.append(up)
    golden_bar = objects[(ns, w["golden"], BAR)]
    assert objects[(ns, w["env"], BAR)] == golden_bar
    [snapshot] = w["oac"].snapshots.values()
    assert (snapshot.name, snapshot.type) == ("golden-v42", "REGISTER") and w["oac"].restored == [snapshot.id]
    assert objects[(ns, w["env"], EPM_OBJECT)] == w["epm"].files["Artifact Snapshot"]["bytes"]
    assert json.loads(stack.run("stack", "output", "epm_object", "--json").stdout) == \
        f"oci://oci@{ns}/{w['env']}/{EPM_OBJECT}"
    counts = (len(w["oac"].work_requests), len(w["epm"].jobs), len(w["oci"].work_requests()))

    again = stack.run("up", "--yes")
    outputs.append(again)
    assert "5 unchanged" in again.stdout, again.stdout  # the stack and its four resources
    assert (len(w["oac"].work_requests), len(w["epm"].jobs), len(w["oci"].work_requests())) == counts
    assert _drift(stack)[0] == 0

    # Someone replaces the environment's BAR by hand: refresh shows it, drift names it, up puts it right.
    w["oci"].put_object(w["env"], BAR, w["bar_bytes"](SECRETS["bar password"], "hand-edited"))
    refresh = stack.run("refresh", "--yes", "--diff")
    outputs.append(refresh)
    assert "golden-bar" in refresh.stdout and "golden-snapshot" in refresh.stdout, refresh.stdout
    code, findings = _drift(stack)
    assert code == 4 and findings["golden-bar"]["status"] == "destination changed", findings
    assert findings["golden-snapshot"]["status"] == "BAR changed", findings
    assert findings["epm-snapshot"]["status"] == "in sync", findings
    fix = stack.run("up", "--yes")
    outputs.append(fix)
    assert objects[(ns, w["env"], BAR)] == golden_bar
    [snapshot] = w["oac"].snapshots.values()  # registered again, from the restored BAR, and restored from it
    assert w["oac"].restored[-1] == snapshot.id and len(w["oac"].restored) == 2
    outputs.append(stack.run("preview", "--expect-no-changes"))
    assert _drift(stack)[0] == 0

    state = stack.run("stack", "export").stdout
    destroy = stack.run("destroy", "--yes")
    outputs.append(destroy)
    assert not w["oac"].snapshots
    assert (ns, w["env"], BAR) not in objects and (ns, w["env"], EPM_OBJECT) not in objects
    assert (ns, w["golden"], BAR) in objects  # the golden bucket is only read
    assert "Artifact Snapshot" in w["epm"].files  # an export leaves the environment's file alone

    # Secrets: none in the exported state, the engine's output, or the provider's log.
    from pulumi_objectcopy.services.analytics import wrap_private_key
    pem_lines = [line for line in w["key"].private_pem.splitlines() if "-----" not in line]
    pem_lines.append(wrap_private_key(w["key"].private_pem)[100:160])  # as the services' payloads carry it
    searched = {"exported state": state, "provider log": log_file.read_text(),
                "engine output": "".join(p.stdout + p.stderr for p in outputs)}
    assert "GET" in searched["provider log"]  # the log is there, and logs requests
    for what, text in searched.items():
        for name, secret in {**SECRETS, **{f"private key line {i}": s for i, s in enumerate(pem_lines)}}.items():
            assert secret not in text, f"{name} appears in the {what}"
