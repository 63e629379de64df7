"""`objectcopy terraform install --mirror DIR`: the provider as an unpacked filesystem mirror for
registry.terraform.io/objectcopy/objectcopy (and registry.opentofu.org/objectcopy/objectcopy), the layout both
`terraform init -plugin-dir DIR` and a CLI config's `provider_installation { filesystem_mirror { path = DIR } }` read.

What terraform runs is a small launcher: it holds no path of the machine it was written on (the lock file's h1:
hash covers it, so a lock file made here holds on a colleague's machine and in CI), and finds Python through
OBJECTCOPY_PYTHON or PATH, as the `objectcopy` command is found.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

from .. import __version__

# `source = "objectcopy/objectcopy"` means the first for terraform and the second for OpenTofu (its default
# registry): the mirror serves both.
SOURCES = ("registry.terraform.io/objectcopy/objectcopy", "registry.opentofu.org/objectcopy/objectcopy")
BINARY = "terraform-provider-objectcopy"

LAUNCHER = """#!/bin/sh
# terraform-provider-objectcopy {version}: the provider runs in the Python that has pulumi-objectcopy installed,
# $OBJECTCOPY_PYTHON if set, else the python3 on PATH (put your virtualenv's bin on PATH).
py="${{OBJECTCOPY_PYTHON:-python3}}"
command -v "$py" >/dev/null 2>&1 || {{
    echo "terraform-provider-objectcopy: no $py found; set OBJECTCOPY_PYTHON or put a virtualenv's bin on PATH" >&2
    exit 1
}}
exec "$py" -c 'import sys
try:
    from pulumi_objectcopy.terraform.main import main
except ImportError as e:
    sys.exit("terraform-provider-objectcopy: %s cannot import pulumi-objectcopy (%s); set OBJECTCOPY_PYTHON to the "
             "python of the virtualenv it is installed in, or put that bin on PATH" % (sys.executable, e))
sys.exit(main())' "$@"
"""

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386",
         "armv7l": "arm"}


def this_platform() -> str:
    """Terraform's name for this machine's platform: linux_amd64, darwin_arm64, ..."""
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{_ARCH.get(machine, machine)}"


def write_mirror(mirror: Path, platforms: list[str] | None = None, version: str = __version__) -> list[Path]:
    written = []
    for source, plat in ((source, plat) for source in SOURCES for plat in platforms or [this_platform()]):
        folder = mirror / source / version / plat
        folder.mkdir(parents=True, exist_ok=True)
        launcher = folder / f"{BINARY}_v{version}"
        tmp = launcher.with_name(launcher.name + ".tmp")
        tmp.write_text(LAUNCHER.format(version=version))
        tmp.chmod(0o755)
        os.replace(tmp, launcher)
        written.append(launcher)
    return written


def cli_config(mirror: Path) -> str:
    sources = ", ".join(f'"{source}"' for source in SOURCES)
    implicit = mirror.resolve() == (Path.home() / ".terraform.d" / "plugins").resolve()
    note = ("# ~/.terraform.d/plugins is one of terraform's implicit mirrors: with no provider_installation block\n"
            "# in your CLI config, `terraform init` finds the provider there already. Otherwise add:\n"
            if implicit else
            "# Use it with `terraform init -plugin-dir " + str(mirror) + "`, or put this block in your CLI config\n"
            "# (~/.terraformrc, or the file TF_CLI_CONFIG_FILE names):\n")
    return (note +
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f"    path    = \"{mirror}\"\n"
            f"    include = [{sources}]\n"
            "  }\n"
            "  direct {\n"
            f"    exclude = [{sources}]\n"
            "  }\n"
            "}\n")
