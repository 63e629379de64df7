"""Fixtures for the plugin's tests through the real CLI: the CLI's bin dir (with the YAML and Node.js language
hosts and the SDK generator), the generated SDKs, and a TypeScript program's node_modules."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ..conftest import ROOT
from ..lifecycle.test_pulumi_cli import pulumi_bin  # noqa: F401  (fixture)


def _run(*args: str, timeout: int = 1800) -> str:
    proc = subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}", pytrace=False)
    return proc.stdout


@pytest.fixture(scope="session")
def sdk(tmp_path_factory, pulumi_bin):  # noqa: F811
    """scripts/gen-sdk.sh: the TypeScript SDK generated from the plugin's schema and built with tsc, and the Go SDK
    generated and compiled."""
    out = tmp_path_factory.mktemp("sdk")
    _run("bash", str(ROOT / "scripts" / "gen-sdk.sh"), str(out))
    return out


@pytest.fixture(scope="session")
def typescript_program(tmp_path_factory, sdk):
    """examples/typescript with its dependencies (the generated @objectcopy/pulumi among them) installed, and
    type-checked once with tsc: the runs then use transpile-only ts-node."""
    work = tmp_path_factory.mktemp("ts") / "program"
    shutil.copytree(ROOT / "examples" / "typescript", work, ignore=shutil.ignore_patterns("node_modules"))
    package = json.loads((work / "package.json").read_text())
    [tarball] = sdk.glob("objectcopy-pulumi-*.tgz")
    package["dependencies"]["@objectcopy/pulumi"] = f"file:{tarball}"
    (work / "package.json").write_text(json.dumps(package, indent=2))
    _run("bash", str(ROOT / "scripts" / "npm-cached.sh"), str(work))
    _run(str(work / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", str(work))
    return work
