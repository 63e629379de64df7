"""What `pip install .` (or a wheel from PyPI) puts on a user's machine: pyproject.toml lists the packages one by one,
so a sub-package missing from that list is absent from every built wheel, though the editable install the tests
use finds it anyway."""
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_under_provider_is_in_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    [(name, folder)] = setuptools["package-dir"].items()
    on_disk = {".".join([name, *init.parent.relative_to(ROOT / folder).parts])
               for init in (ROOT / folder).rglob("__init__.py")}
    generated = {f"{name}.terraform._proto"}  # made at build time by scripts/tfproto.py, not in the checkout
    assert on_disk - set(setuptools["packages"]) == set(), "add these to pyproject.toml's [tool.setuptools] packages"
    assert set(setuptools["packages"]) - on_disk - generated == set(), "pyproject.toml lists packages that do not exist"
