"""A real terraform (or tofu) in a working folder of its own, with the provider installed the README's way:
`objectcopy terraform install --mirror DIR`, then the CLI config block it prints."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_binaries: dict[str, str] = {}


def binary(name: str) -> str:
    """terraform or tofu, from scripts/terraform.sh (this image's terraform; OpenTofu built and cached)."""
    if name not in _binaries:
        run = subprocess.run(["bash", str(ROOT / "scripts" / "terraform.sh"), "path", name], capture_output=True,
                             text=True, timeout=3600)
        if run.returncode != 0:
            raise AssertionError(f"scripts/terraform.sh path {name} failed:\n{run.stderr[-3000:]}")
        _binaries[name] = run.stdout.strip().splitlines()[-1]
    return _binaries[name]


def install_mirror(folder: Path) -> Path:
    """`objectcopy terraform install --mirror` into folder/mirror; returns the CLI config file it asks for."""
    mirror = folder / "mirror"
    out = subprocess.run([str(Path(sys.executable).parent / "objectcopy"), "terraform", "install", "--mirror",
                          str(mirror)], capture_output=True, text=True, timeout=60, check=True).stdout
    config = folder / "cli.tfrc"
    config.write_text(out)
    return config


class Terraform:
    def __init__(self, name: str, workdir: Path, cli_config: Path):
        self.exe, self.workdir = binary(name), workdir
        workdir.mkdir(parents=True, exist_ok=True)
        # The venv's bin first on PATH, as the README tells a user: the launcher finds its python3 there.
        self.env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1",
                    "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    def write(self, hcl: str) -> None:
        (self.workdir / "main.tf").write_text(hcl)

    def run(self, *args: str, rc: int | None = 0) -> str:
        """The command's output (stdout and stderr), asserting its exit code unless rc is None."""
        proc = subprocess.run([self.exe, *args, "-no-color"], cwd=self.workdir, env=self.env, capture_output=True,
                              text=True, timeout=600)
        out = proc.stdout + proc.stderr
        if rc is not None and proc.returncode != rc:
            raise AssertionError(f"{Path(self.exe).name} {' '.join(args)} exited {proc.returncode}, not {rc}:\n{out}")
        return out

    def plan(self, rc: int) -> str:
        """`plan -detailed-exitcode`: 0 nothing to do, 2 changes."""
        return self.run("plan", "-detailed-exitcode", "-input=false", rc=rc)

    def apply(self) -> str:
        return self.run("apply", "-auto-approve", "-input=false")
