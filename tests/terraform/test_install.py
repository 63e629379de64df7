"""`objectcopy terraform install --mirror DIR`: the layout terraform reads, a launcher that holds no path of this
machine (so the lock file's hash is the same wherever the mirror was written), and a launcher that says what to do
when it cannot find the package."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pulumi_objectcopy import __version__

from .tfcli import Terraform, install_mirror

HCL = """terraform {
  required_providers {
    objectcopy = { source = "objectcopy/objectcopy" }
  }
}
"""


def launcher(mirror: Path, host: str = "registry.terraform.io") -> Path:
    [found] = (mirror / host / "objectcopy/objectcopy" / __version__).glob("*/terraform-provider-*")
    return found


def test_the_lock_file_is_the_same_wherever_the_mirror_was_written(tmp_path):
    locks = []
    for name in ("one", "two"):
        config = install_mirror(tmp_path / name)
        exe = launcher(tmp_path / name / "mirror")
        assert launcher(tmp_path / name / "mirror", "registry.opentofu.org").read_text() == exe.read_text()
        assert exe.name == f"terraform-provider-objectcopy_v{__version__}" and os.access(exe, os.X_OK)
        text = exe.read_text()
        assert str(tmp_path) not in text and sys.prefix not in text and str(Path.home()) not in text
        assert f'path    = "{tmp_path / name / "mirror"}"' in config.read_text()
        tf = Terraform("terraform", tmp_path / name / "work", config)
        tf.write(HCL)
        tf.run("init", "-input=false")
        locks.append((tmp_path / name / "work" / ".terraform.lock.hcl").read_text())
    assert locks[0] == locks[1] and 'version = "' + __version__ + '"' in locks[0] and "h1:" in locks[0]


def test_the_launcher_says_how_to_point_it_at_the_package(tmp_path):
    install_mirror(tmp_path)
    exe = str(launcher(tmp_path / "mirror"))
    missing = subprocess.run([exe], env={"PATH": "/nonexistent", "OBJECTCOPY_PYTHON": "python-that-is-not-here"},
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "set OBJECTCOPY_PYTHON" in missing.stderr
    bare = tmp_path / "bare"                       # a Python without pulumi-objectcopy
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    wrong = subprocess.run([exe], env={"PATH": f"{bare / 'bin'}:/usr/bin:/bin"}, capture_output=True, text=True,
                           timeout=30)
    assert wrong.returncode == 1 and "cannot import pulumi-objectcopy" in wrong.stderr
    found = subprocess.run([exe], env={"PATH": "/usr/bin:/bin", "OBJECTCOPY_PYTHON": sys.executable},
                           capture_output=True, text=True, timeout=30)
    assert found.returncode == 1 and "This binary is a plugin" in found.stderr   # the provider itself answered


def test_a_mirror_that_cannot_be_written_is_one_line_naming_the_option(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = subprocess.run([str(Path(sys.executable).parent / "objectcopy"), "terraform", "install", "--mirror",
                          str(blocker / "mirror")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == (f"objectcopy: error: --mirror: cannot write into {blocker / 'mirror'}: Not a "
                                  "directory; choose a folder you can write to")
