"""The build hook: every build (wheel, editable, sdist; `pip install` runs one) generates the Terraform provider's gRPC
stubs before setuptools looks for the packages (scripts/tfproto.py, with the grpcio-tools pinned in pyproject.toml's
build requirements). The repository holds neither HashiCorp's .proto files nor code generated from them."""
import runpy
from pathlib import Path

from setuptools import setup

tfproto = runpy.run_path(str(Path(__file__).resolve().parent / "scripts" / "tfproto.py"))
try:
    tfproto["generate"]()
except tfproto["GenerationError"] as e:
    raise SystemExit(f"terraform provider stubs: {e}") from None

setup()
