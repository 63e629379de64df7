"""Each example is a test: run through the real pulumi CLI against the local servers."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from ..conftest import ROOT, TEST_ENV
from .test_pulumi_cli import Stack, pulumi_bin  # noqa: F401  (fixture)

EXAMPLES = ROOT / "examples"


def test_quickstart_seeds_an_environment_and_tracks_the_golden_files(pulumi_bin, tmp_path):  # noqa: F811
    stack = Stack(pulumi_bin, tmp_path, program=EXAMPLES / "quickstart", name="objectcopy-quickstart")
    env = tmp_path / "env"
    stack.run("config", "set", "envDir", str(env))
    stack.run("up", "--yes")
    golden = stack.dir / "golden"
    files = sorted(p.relative_to(golden).as_posix() for p in golden.rglob("*") if p.is_file())
    assert files == ["assets/logo.svg", "config/app.json", "db/seed.sql"]
    for rel in files:
        assert (env / rel).read_bytes() == (golden / rel).read_bytes()
    assert "4 unchanged" in stack.run("up", "--yes").stdout

    (golden / "config" / "app.json").write_text('{"replicas": 3}\n')
    preview = stack.run("preview", "--diff")
    assert re.search(r"~ source_etag\s*:", preview.stdout) and "~ 1 to update" in preview.stdout, preview.stdout
    stack.run("up", "--yes")
    assert (env / "config" / "app.json").read_text() == '{"replicas": 3}\n'

    stack.run("destroy", "--yes")
    assert not any(p.is_file() for p in env.rglob("*"))
    assert (golden / "db" / "seed.sql").exists()


@pytest.mark.parametrize("kind,backend_name", [("s3", "minio"), ("swift", "swift")])
def test_seed_example_copies_server_side(pulumi_bin, tmp_path, backends, key_prefix, kind, backend_name):  # noqa: F811
    backend = backends(backend_name)
    keys = yaml.safe_load((EXAMPLES / f"{kind}-seed" / "Pulumi.yaml").read_text())["config"][f"{kind}-seed:keys"]
    for key in keys["value"]:
        backend.put(f"{key_prefix}golden/{key}", f"golden {key}".encode())
    stack = Stack(pulumi_bin, tmp_path, program=EXAMPLES / f"{kind}-seed", name=f"{kind}-seed")
    log_file = tmp_path / "provider.log"
    stack.env.update(OBJECTCOPY_LOG="debug", OBJECTCOPY_LOG_FILE=str(log_file))
    base = f"{kind}://{backend.profile}@{backend.bucket}/{key_prefix}"
    stack.run("config", "set", "golden", base + "golden/")
    stack.run("config", "set", "env", base + "env/")
    up = stack.run("up", "--yes")
    for key in keys["value"]:
        assert backend.get(f"{key_prefix}env/{key}") == f"golden {key}".encode()
    outputs = json.loads(stack.run("stack", "output", "copies", "--json").stdout)
    assert all(v.endswith("(server-side)") for v in outputs.values()), outputs
    # The store's secret reached the provider only through the environment variable its profile names: it is
    # in none of the state, the engine's output or the provider's log (which logs every request).
    secret = TEST_ENV["OC_TEST_MINIO_SECRET" if kind == "s3" else "OC_TEST_SWIFT_KEY"]
    log = log_file.read_text()
    assert "PUT" in log or "COPY" in log, log[:500]
    for what, text in {"exported state": stack.run("stack", "export").stdout, "engine output": up.stdout + up.stderr,
                       "provider log": log}.items():
        assert secret not in text, f"the store's secret appears in the {what}"
    stack.run("destroy", "--yes")
    assert not any(backend.exists(f"{key_prefix}env/{key}") for key in keys["value"])
