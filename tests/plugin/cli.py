"""A Pulumi project of any runtime run through the real CLI with a file backend, with the plugin
(`pulumi-resource-objectcopy`, from this venv) named in its Pulumi.yaml (`plugins: providers:`), as the README
says to silence the engine's warning about a plugin found on PATH; `on_path=True` leaves the engine to find it on
PATH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PASSPHRASE = "plugin-test"


AMBIENT_WARNING = "from $PATH at"  # the engine's `warning: using pulumi-resource-objectcopy from $PATH at ...`


class Project:
    def __init__(self, bin_dir: str, workdir: Path, program: Path, *, copy: bool = True, on_path: bool = False):
        self.dir = workdir / "project" if copy else program
        if copy:
            shutil.copytree(program, self.dir, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        self.on_path = on_path
        if not on_path:
            self._name_the_plugin()
        self.env = {**os.environ, "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "PULUMI_HOME": str(workdir / "home"), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                    "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                    "PULUMI_NODEJS_TRANSPILE_ONLY": "true"}
        self.transcript: list[str] = []   # every command's output, searched for secrets
        backend = workdir / "backend"
        backend.mkdir(exist_ok=True)
        self.run("login", f"file://{backend}")
        self.stack_name = ""

    def _name_the_plugin(self) -> None:
        pulumi_yaml = self.dir / "Pulumi.yaml"
        text = pulumi_yaml.read_text()
        if "\nplugins:" not in text:
            pulumi_yaml.write_text(f"{text.rstrip()}\nplugins:\n  providers:\n    - name: objectcopy\n"
                                   f"      path: {Path(sys.executable).parent}\n")

    def stack(self, name: str) -> "Project":
        self.run("stack", "init", name)
        self.stack_name = name
        return self

    def run(self, *args: str, check: bool = True, merged: bool = False) -> subprocess.CompletedProcess:
        """`merged`: stderr into stdout, in the order a terminal shows them (`--diff` prints diagnostics, such
        as the reason for an update, on stderr)."""
        proc = subprocess.run(["pulumi", "--non-interactive", *args], cwd=self.dir, env=self.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                              timeout=900)
        proc.stderr = proc.stderr or ""
        self.transcript.append(proc.stdout + proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        if not self.on_path:
            assert AMBIENT_WARNING not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        return proc

    def config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.run("config", "set", *(["--secret"] if secret else []), key, value)

    def export(self) -> dict:
        return json.loads(self.run("stack", "export").stdout)

    def resource(self, name: str, state: dict | None = None) -> dict:
        state = state or self.export()
        [res] = [r for r in state["deployment"]["resources"] if r["urn"].endswith(f"::{name}")]
        return res

    def outputs(self) -> dict:
        return json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout)


def unset_required(resource: dict) -> list[str]:
    """The outputs the schema says every apply sets (`required`: SDKs type them as present) that this resource's
    state lacks."""
    from pulumi_objectcopy import core
    schema = core.resource(resource["type"].split(":")[-1]).schema
    return [p.camel for p in schema.props if p.present and (p.output or p.echoed)
            and resource["outputs"].get(p.camel) is None]
