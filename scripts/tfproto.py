#!/usr/bin/env python3
"""Generate the Terraform provider's gRPC stubs into provider/terraform/_proto/ (git ignores that folder).

The .proto files are HashiCorp's own (MPL-2.0), taken from the Go modules that hold them, at pinned versions:
tfplugin6.proto (protocol 6.11) from github.com/hashicorp/terraform-plugin-go and go-plugin's controller, stdio and
broker services from github.com/hashicorp/go-plugin. They are fetched with `go mod download` (or, without Go, read
from the Go module proxy's zip, checked against the module's pinned h1: hash), compiled with a pinned grpcio-tools,
and copied beside the stubs, so a built wheel carries both and the repository holds neither.

Run by `pip install` (setup.py's build_py) and by scripts/setup.sh; idempotent: a stamp records what was generated.
    python scripts/tfproto.py [--force]
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

# The oldest grpcio-tools whose generated code runs with the grpcio that pulumi 3.259.0 requires (>= 1.68.1). Its
# protoc (28.1) writes a guard for protobuf >= 5.28.1 and its stubs one for grpcio >= 1.68.1: pyproject.toml's lower
# bounds are these.
GRPCIO_TOOLS = "1.68.1"
# module, version, its go.sum h1: hash, the .proto files wanted (paths inside the module)
MODULES = (
    ("github.com/hashicorp/terraform-plugin-go", "v0.31.0", "h1:0Fz2r9DQ+kNNl6bx8HRxFd1TfMKUvnrOtvJPmp3Z0q8=",
     ("tfprotov6/internal/tfplugin6/tfplugin6.proto",)),
    ("github.com/hashicorp/go-plugin", "v1.8.0", "h1:ie8S6RRY8RvB2usYZv+AAZ/wBvx2AU5p5QeP5j/FORs=",
     ("internal/plugin/grpc_controller.proto", "internal/plugin/grpc_stdio.proto",
      "internal/plugin/grpc_broker.proto")),
)
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "provider" / "terraform" / "_proto"
CACHE = Path(os.environ.get("OBJECTCOPY_CACHE") or Path.home() / ".cache" / "objectcopy")
STAMP = "generated.json"


class GenerationError(Exception):
    pass


def log(message: str) -> None:
    print(f"[tfproto] {message}", file=sys.stderr, flush=True)


def wanted_stamp() -> dict:
    return {"grpcio-tools": GRPCIO_TOOLS, "modules": [f"{m}@{v}" for m, v, _, _ in MODULES]}


def up_to_date(out: Path = OUT) -> bool:
    try:
        return json.loads((out / STAMP).read_text()) == wanted_stamp()
    except (OSError, ValueError):
        return False


# --- the .proto files --------------------------------------------------------------------------------------------
def module_files(module: str, version: str, h1: str, paths: tuple[str, ...]) -> dict[str, bytes]:
    """The wanted files of one module: from `go mod download` when Go is here, else from the proxy's zip."""
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.access("/usr/local/go/bin/go", os.X_OK) else None)
    if go:
        with tempfile.TemporaryDirectory() as empty:  # outside any go.mod or workspace
            run = subprocess.run([go, "mod", "download", "-json", f"{module}@{version}"], cwd=empty,
                                 capture_output=True, text=True, env={**os.environ, "GOWORK": "off",
                                                                       "GOFLAGS": "-mod=mod"})
        info = json.loads(run.stdout or "{}")
        if run.returncode != 0 or "Dir" not in info:
            raise GenerationError(f"go mod download {module}@{version} failed: "
                                  f"{info.get('Error') or run.stderr.strip()}")
        if info.get("Sum") != h1:
            raise GenerationError(f"{module}@{version}: go reports {info.get('Sum')}, expected {h1}")
        return {p: (Path(info["Dir"]) / p).read_bytes() for p in paths}
    return _files_from_proxy(module, version, h1, paths)


def _files_from_proxy(module: str, version: str, h1: str, paths: tuple[str, ...]) -> dict[str, bytes]:
    proxy = next((p for p in os.environ.get("GOPROXY", "https://proxy.golang.org").split(",")
                  if p.startswith("http")), "https://proxy.golang.org")
    escaped = re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), module)
    url = f"{proxy.rstrip('/')}/{escaped}/@v/{version}.zip"
    log(f"no Go toolchain: reading {module}@{version} from the Go module proxy")
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            data = resp.read()
    except OSError as e:
        raise GenerationError(f"cannot fetch {url}: {e} (install Go, or set GOPROXY)") from None
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if _dirhash(zf) != h1:
            raise GenerationError(f"{url}: content does not match {h1}")
        prefix = f"{module}@{version}/"
        return {p: zf.read(prefix + p) for p in paths}


def _dirhash(zf: zipfile.ZipFile) -> str:
    """Go's dirhash.Hash1 of a module zip (the h1: of go.sum)."""
    names = sorted(n for n in zf.namelist() if not n.endswith("/"))
    summary = "".join(f"{hashlib.sha256(zf.read(n)).hexdigest()}  {n}\n" for n in names)
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


# --- the compiler ------------------------------------------------------------------------------------------------
def grpc_tools_python() -> str:
    """A Python with grpcio-tools at the pinned version: this one (pip's build environment has it), else a venv
    kept in the cache."""
    try:
        from importlib.metadata import version
        if version("grpcio-tools") == GRPCIO_TOOLS:
            return sys.executable
    except Exception:  # noqa: BLE001 - not installed here
        pass
    venv = CACHE / f"grpcio-tools-{GRPCIO_TOOLS}"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"installing grpcio-tools=={GRPCIO_TOOLS} into {venv}")
        tmp = venv.with_name(venv.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(tmp)], check=True)
        pip = subprocess.run([str(tmp / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              f"grpcio-tools=={GRPCIO_TOOLS}"], capture_output=True, text=True)
        if pip.returncode != 0:
            raise GenerationError(f"pip install grpcio-tools=={GRPCIO_TOOLS} failed:\n{pip.stderr[-2000:]}")
        try:
            tmp.rename(venv)
        except OSError:  # made by a concurrent run meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
    return str(python)


def generate(out: Path = OUT, force: bool = False) -> None:
    if not force and up_to_date(out):
        return
    files: dict[str, bytes] = {}
    for module, version, h1, paths in MODULES:
        for path, data in module_files(module, version, h1, paths).items():
            files[Path(path).name] = data
    python = grpc_tools_python()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="._proto.", dir=out.parent))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        include = subprocess.run([python, "-c", "import grpc_tools, os; "
                                  "print(os.path.join(os.path.dirname(grpc_tools.__file__), '_proto'))"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        protoc = subprocess.run([python, "-m", "grpc_tools.protoc", f"-I{staging}", f"-I{include}",
                                 f"--python_out={staging}", f"--grpc_python_out={staging}", *sorted(files)],
                                capture_output=True, text=True)
        if protoc.returncode != 0:
            raise GenerationError(f"protoc failed:\n{protoc.stderr}")
        for stub in staging.glob("*_pb2*.py"):
            # protoc writes top-level imports (`import tfplugin6_pb2`); the stubs live in a package
            text = re.sub(r"^import (\w+_pb2) as ", r"from . import \1 as ", stub.read_text(), flags=re.M)
            stub.write_text(text)
        (staging / "__init__.py").write_text(
            '"""Generated by scripts/tfproto.py from HashiCorp\'s .proto files (MPL-2.0), which sit beside the '
            'stubs:\n' + "".join(f"{m}@{v}: {', '.join(p)}\n" for m, v, _, p in MODULES) + '"""\n')
        (staging / STAMP).write_text(json.dumps(wanted_stamp(), indent=1) + "\n")
        old = out.with_name(out.name + f".old{os.getpid()}")
        if out.exists():
            out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"generated {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} with grpcio-tools {GRPCIO_TOOLS}")


def main(argv: list[str]) -> int:
    try:
        generate(force="--force" in argv)
    except (GenerationError, subprocess.CalledProcessError) as e:
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
