"""CopiedObject through the real `pulumi` CLI (built by scripts/pulumi-cli.sh) with a file backend, against
MinIO behind a counting proxy: what a user sees from up, preview, refresh and destroy."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ..conftest import ROOT, run_cli
from ..counting_proxy import CountingProxy

PROGRAM = '''
import pulumi
from pulumi_objectcopy import CopiedObject

config = pulumi.Config()
for name, spec in config.require_object("copies").items():
    CopiedObject(name, **spec)
'''


@pytest.fixture(scope="session")
def pulumi_bin() -> str:
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "pulumi-cli.sh")], capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"scripts/pulumi-cli.sh failed:\n{proc.stderr[-3000:]}", pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


class Stack:
    """A Pulumi project in a temp dir (a copy of `program`, or the generic PROGRAM) with a file backend."""

    def __init__(self, bin_dir: str, workdir: Path, *, program: Path | None = None, name: str = "lifecycle"):
        self.dir = workdir / "project"
        venv = Path(sys.executable).parent.parent
        if program:
            shutil.copytree(program, self.dir, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            self.dir.mkdir()
            (self.dir / "__main__.py").write_text(PROGRAM)
        project = self.dir / "Pulumi.yaml"
        if project.exists():  # the example's own, with its venv path made absolute for the copy
            project.write_text(re.sub(r"virtualenv: .*", f"virtualenv: {venv}", project.read_text()))
        else:
            project.write_text(textwrap.dedent(f"""\
                name: {name}
                runtime:
                  name: python
                  options:
                    virtualenv: {venv}
                """))
        self.env = {**os.environ, "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "PULUMI_HOME": str(workdir / "home"), "PULUMI_CONFIG_PASSPHRASE": "lifecycle-test",
                    "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}
        (workdir / "backend").mkdir()
        self.run("login", f"file://{workdir / 'backend'}")
        self.run("stack", "init", "dev")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(["pulumi", "--non-interactive", *args], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def set_object(self, key: str, value) -> None:
        """Structured stack config, as `pulumi config set-all --json` takes it."""
        self.run("config", "set-all", "--json", json.dumps({key: {"value": json.dumps(value), "objectValue": value}}))

    def copies(self, copies: dict) -> None:
        self.set_object("lifecycle:copies", copies)

    def outputs(self, name: str) -> dict:
        state = json.loads(self.run("stack", "export").stdout)
        [res] = [r for r in state["deployment"]["resources"] if r["urn"].endswith(f"::{name}")]
        return res["outputs"]


@pytest.fixture
def stack(pulumi_bin, tmp_path, backends):
    backends("minio")
    proxy = CountingProxy("http://127.0.0.1:19000")
    s = Stack(pulumi_bin, tmp_path)
    s.proxy = proxy
    profile = {"scheme": "s3", "endpoint": proxy.url, "provider": "minio",
               "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_config": "minioSecret"}
    s.run("config", "set", "objectcopy:profiles", json.dumps({"counted": profile}))
    s.run("config", "set", "--secret", "objectcopy:minioSecret", "minioadmin")
    yield s
    proxy.close()


def test_up_noop_preview_refresh_destroy(stack, backends, key_prefix):
    minio = backends("minio")
    url = lambda key: f"s3://counted@{minio.bucket}/{key_prefix}{key}"  # noqa: E731
    minio.put(key_prefix + "golden.db", b"golden v1")
    minio.put(key_prefix + "not-ours", b"leave me")
    stack.copies({"seed": {"source": url("golden.db"), "destination": url("seed.db")}})

    up = stack.run("up", "--yes")
    assert "CopiedObject seed created" in up.stdout, up.stdout
    assert minio.get(key_prefix + "seed.db") == b"golden v1"
    written = stack.outputs("seed")
    assert written["method"] == "server-side" and "minioadmin" not in json.dumps(written)

    stack.proxy.reset()
    again = stack.run("up", "--yes")
    assert "2 unchanged" in again.stdout and "CopiedObject seed" not in again.stdout, again.stdout
    assert stack.proxy.copies() == [], stack.proxy.requests  # no copy request reached the server

    new_etag = minio.put(key_prefix + "golden.db", b"golden v2, changed")
    preview = stack.run("preview", "--diff")
    assert "~ pulumi-python:dynamic/objectcopy:CopiedObject: (update)" in preview.stdout, preview.stdout
    assert re.search(rf'~ source_etag\s*: "{written["source_etag"]}" => "{new_etag}"', preview.stdout), preview.stdout
    assert minio.get(key_prefix + "seed.db") == b"golden v1"
    stack.run("up", "--yes")
    assert minio.get(key_prefix + "seed.db") == b"golden v2, changed"

    drift = run_cli("drift", "--stack", "dev", env=stack.env, cwd=stack.dir)
    assert drift.returncode == 0 and "in sync" in drift.stdout, drift.stdout + drift.stderr
    hand = minio.put(key_prefix + "seed.db", b"edited by hand")
    drift = run_cli("drift", "--stack", "dev", "--json", env=stack.env, cwd=stack.dir)
    assert drift.returncode == 4, drift.stderr
    assert [f["status"] for f in json.loads(drift.stdout)] == ["destination changed"]
    refresh = stack.run("refresh", "--yes")
    assert "CopiedObject seed refreshing" in refresh.stdout and "~ 1 updated" in refresh.stdout, refresh.stdout
    assert stack.outputs("seed")["etag"] == hand
    stack.run("up", "--yes")
    assert minio.get(key_prefix + "seed.db") == b"golden v2, changed"

    minio.put(key_prefix + "seed.db", b"edited again")
    stack.run("up", "--refresh", "--yes")  # refresh and restore in one run
    assert minio.get(key_prefix + "seed.db") == b"golden v2, changed"

    minio.client.delete_object(Bucket=minio.bucket, Key=key_prefix + "seed.db")
    stack.run("up", "--refresh", "--yes")  # deleted by hand: copied again
    assert minio.get(key_prefix + "seed.db") == b"golden v2, changed"

    stack.run("destroy", "--yes")
    assert not minio.exists(key_prefix + "seed.db")
    assert minio.get(key_prefix + "not-ours") == b"leave me"


def test_destroy_leaves_an_object_someone_else_rewrote_and_says_why(stack, backends, key_prefix):
    minio = backends("minio")
    url = lambda key: f"s3://counted@{minio.bucket}/{key_prefix}{key}"  # noqa: E731
    minio.put(key_prefix + "src", b"ours")
    stack.copies({"c": {"source": url("src"), "destination": url("dst")}})
    stack.run("up", "--yes")
    minio.put(key_prefix + "dst", b"theirs now")
    destroy = stack.run("destroy", "--yes")
    assert minio.get(key_prefix + "dst") == b"theirs now"
    assert "left" in destroy.stdout and "someone else wrote it" in destroy.stdout, destroy.stdout


def test_bad_input_fails_the_preview_on_its_property(stack, backends, key_prefix):
    minio = backends("minio")
    minio.put(key_prefix + "src", b"x")
    stack.copies({"bad": {"source": f"s3://counted@{minio.bucket}/{key_prefix}src",
                          "destination": f"s3://counted@{minio.bucket}/{key_prefix}dst",
                          "metadata_directive": "MERGE", "if_match": "0123456789abcdef0123456789abcdef"}})
    preview = stack.run("preview", check=False)
    assert preview.returncode != 0
    assert "metadata_directive: 'MERGE' is not one of COPY, REPLACE" in preview.stdout + preview.stderr
    assert not minio.exists(key_prefix + "dst")


def test_every_scheme_through_the_engine(pulumi_bin, tmp_path, backends, key_prefix):
    """One stack whose copies read and write every store: the native COS, OSS and OCI dialects (emulators), S3
    (MinIO), Swift and local files; up, a second up that changes nothing, destroy."""
    names = ["local", "cos", "oss", "oci", "minio", "swift", "local"]
    stores = [backends(n) for n in names]
    stack = Stack(pulumi_bin, tmp_path)
    copies = {}
    for i, (src, dst) in enumerate(zip(stores, stores[1:])):
        src.put(f"{key_prefix}src-{i}", f"hop {i}".encode(), meta={"hop": str(i)})
        copies[f"hop-{i}"] = {"source": src.url(f"{key_prefix}src-{i}"), "destination": dst.url(f"{key_prefix}dst-{i}")}
    stack.copies(copies)
    stack.run("up", "--yes")
    for i, dst in enumerate(stores[1:]):
        assert dst.get(f"{key_prefix}dst-{i}") == f"hop {i}".encode()
        assert stack.outputs(f"hop-{i}")["method"] == "streamed"
    assert f"{len(copies) + 1} unchanged" in stack.run("up", "--yes").stdout
    stack.run("destroy", "--yes")
    assert not any(dst.exists(f"{key_prefix}dst-{i}") for i, dst in enumerate(stores[1:]))


SNAPSHOT_PROGRAM = '''
import os

import pulumi
from pulumi_objectcopy import AnalyticsSnapshot

c = pulumi.Config()
snap = AnalyticsSnapshot("snap", instance_url=c.require("url"), type="CREATE", name="golden-v42", bucket="golden",
                         bucket_namespace="objectcopy", bar_uri="file:///golden/v42.bar",
                         bar_password=os.environ["BAR_PASSWORD"], oci_region="us-ashburn-1",
                         oci_tenancy=c.require("tenancy"), oci_user=c.require("user"),
                         oci_private_key=os.environ["OCI_KEY"])  # plain strings: only the resource protects them
pulumi.export("snapshot", snap.snapshot_id)
'''


def test_analytics_snapshot_keeps_its_secrets_out_of_state(pulumi_bin, tmp_path, monkeypatch):
    from tests.emulators import start_oac
    from tests.emulators.oci import new_api_key
    oac = start_oac({"oac-token"})
    oac.polls_to_finish = 2
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    key = new_api_key()
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(SNAPSHOT_PROGRAM)
    try:
        stack = Stack(pulumi_bin, tmp_path, program=program, name="snapshots")
        stack.run("config", "set", "url", oac.url)
        stack.run("config", "set", "tenancy", key.tenancy)
        stack.run("config", "set", "user", key.user)
        stack.env.update(BAR_PASSWORD="GoodPassw0rd", OCI_KEY=key.private_pem)
        up = stack.run("up", "--yes")
        assert "AnalyticsSnapshot snap created" in up.stdout, up.stdout
        assert [s.name for s in oac.snapshots.values()] == ["golden-v42"]
        assert "2 unchanged" in stack.run("up", "--yes").stdout  # the stack and the snapshot
        state = stack.run("stack", "export").stdout
        pem_body = key.private_pem.splitlines()[1]
        for secret in ("GoodPassw0rd", pem_body):
            assert secret not in state and secret not in up.stdout + up.stderr
        stack.run("destroy", "--yes")
        assert not oac.snapshots
    finally:
        oac.stop()
