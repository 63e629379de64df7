"""The provider plugin's speed (issue 14), not a timed test:

    .venv/bin/python bench/plugin.py [-n 500] [--runs 3] [--starts 10]

1. Start to serving: `pulumi-resource-objectcopy` launched as the engine launches it, timed from exec to the port on
   its first stdout line (the median of --starts launches). Goal: under 300 ms.
2. A no-op `pulumi preview` of N plugin CopiedObjects against the same stack made with the dynamic provider, side by
   side (interleaved runs, medians). Goal: the plugin within 1.2x the dynamic provider's time. Local files, so the
   figures are the engine's, the provider's and the source HEADs', with no server in the way.
Writes bench/results/plugin-<timestamp>.json. The package's bytecode is compiled first, as `pip install` does
(`--as-is` measures the tree as it is: see fixtures.compile_package).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fixtures import compile_package  # noqa: E402
from tests.plugin.cli import Project  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PROGRAM = """
import pulumi
from pulumi_objectcopy{module} import CopiedObject

c = pulumi.Config()
src, dst = c.require("src"), c.require("dst")
for i in range(c.require_int("n")):
    CopiedObject(f"c{{i:05d}}", source=f"{{src}}{{i:05d}}", destination=f"{{dst}}{{i:05d}}")
"""


def start_to_serving(starts: int) -> tuple[list[float], list[float]]:
    """Wall time to the port, and the CPU time the process used (it idles once it serves): on a loaded machine
    the CPU time is the steadier figure."""
    times, cpu = [], []
    for _ in range(starts):
        t0 = time.monotonic()
        proc = subprocess.Popen([str(VENV_BIN / "pulumi-resource-objectcopy"), "127.0.0.1:1"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        line = proc.stdout.readline()
        times.append(time.monotonic() - t0)
        proc.kill()
        _, _, usage = os.wait4(proc.pid, 0)
        cpu.append(usage.ru_utime + usage.ru_stime)
        assert line.strip().isdigit(), line
    return times, cpu


def pulumi_bin() -> str:
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "pulumi-cli.sh")], capture_output=True, text=True,
                          check=True, timeout=1800)
    return proc.stdout.strip().splitlines()[-1]


def stack(bin_dir: str, work: Path, name: str, module: str, n: int) -> Project:
    program = work / name / "program"
    program.mkdir(parents=True)
    (program / "Pulumi.yaml").write_text(f"name: bench-{name}\nruntime:\n  name: python\n  options:\n"
                                         f"    virtualenv: {VENV_BIN.parent}\n")
    (program / "__main__.py").write_text(PROGRAM.format(module=module))
    project = Project(bin_dir, work / name, program, copy=False).stack("bench")
    project.config("src", f"file://{work}/data/src/")
    project.config("dst", f"file://{work}/data/{name}/")
    project.config("n", str(n))
    project.run("up", "--yes", "--skip-preview")
    return project


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--as-is", action="store_true", help="do not compile the package's bytecode first")
    args = ap.parse_args()
    if not args.as_is:
        compile_package()

    starts, cpu = start_to_serving(args.starts)
    print(f"start to serving: median {statistics.median(starts) * 1000:.0f} ms, min {min(starts) * 1000:.0f} ms, "
          f"CPU median {statistics.median(cpu) * 1000:.0f} ms ({args.starts} launches; goal < 300 ms; load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)

    bin_dir = pulumi_bin()
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as tmp:
        work = Path(tmp)
        for i in range(args.n):
            (work / "data" / "src").mkdir(parents=True, exist_ok=True)
            (work / "data" / "src" / f"{i:05d}").write_bytes(f"object {i}\n".encode())
        stacks = {}
        for kind, module in (("dynamic", ""), ("plugin", ".plugin")):
            t0 = time.monotonic()
            stacks[kind] = stack(bin_dir, work, kind, module, args.n)
            print(f"{kind}: up of {args.n} resources in {time.monotonic() - t0:.1f} s", flush=True)
        previews: dict[str, list[float]] = {"dynamic": [], "plugin": []}
        for _ in range(args.runs):
            for kind in ("dynamic", "plugin"):
                t0 = time.monotonic()
                stacks[kind].run("preview", "--expect-no-changes")
                previews[kind].append(time.monotonic() - t0)
    medians = {k: statistics.median(v) for k, v in previews.items()}
    ratio = medians["plugin"] / medians["dynamic"]
    print(f"no-op preview of {args.n}: dynamic {medians['dynamic']:.1f} s, plugin {medians['plugin']:.1f} s, "
          f"ratio {ratio:.2f} (goal <= 1.2; runs: {previews})")
    out = ROOT / "bench" / "results" / f"plugin-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": args.n, "start_to_serving_s": starts, "start_cpu_s": cpu, "previews_s": previews,
                               "ratio": ratio, "load": os.getloadavg()}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
