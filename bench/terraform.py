"""The Terraform provider's own cost, per command (issue 13's speed figures). Not a test.

    .venv/bin/python bench/terraform.py [--runs 3] [--launches 20] [--objects 100]

1. Process start to handshake: the mirror's launcher started as terraform starts it (sh, then Python), to the
   handshake line; goal under 150 ms.
2. A no-op `terraform plan` of N objectcopy_copied_object on MinIO, side by side (interleaved) with the same plan
   over N `terraform_data`, and the HEADs our plan must make (refresh HEADs each destination, plan each source),
   made by our store code in one process, ten at a time as terraform runs them; goal: ours within 1.5 s of
   terraform_data + those HEADs. Beside the wall times, the CPU time each used (terraform and the provider
   processes it started; the HEADs' process), which a busy machine changes less.

The package's bytecode is compiled first, as `pip install` does: an editable install has none, and where
PYTHONDONTWRITEBYTECODE is set (as on this project's machine) every provider process would compile the package's
modules again, some 40 ms of CPU per start that an installed provider does not pay (`--as-is` measures that).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.fixtures import compile_package  # noqa: E402
COOKIE = {"TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
          "PLUGIN_PROTOCOL_VERSIONS": "6"}
MINIO = {"endpoint": "http://127.0.0.1:19000", "key": "minioadmin", "secret": "minioadmin"}
HEADER = 'terraform {\n  required_providers {\n    objectcopy = { source = "objectcopy/objectcopy" }\n  }\n}\n'
PROVIDER = """provider "objectcopy" {
  profiles = {
    bench = {
      scheme = "s3", endpoint = "%s", provider = "minio", addressing = "path",
      access_key_id_env = "BENCH_TF_KEY", secret_access_key_env = "BENCH_TF_SECRET"
    }
  }
}
""" % MINIO["endpoint"]


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def handshakes(launcher: Path, n: int, env: dict) -> tuple[list[float], list[float]]:
    """Wall time and the process's CPU time (from /proc, in 10 ms ticks) from exec to the handshake line. On a
    busy machine the CPU time says more: the wall time then counts the waits for a core."""
    walls, cpus = [], []
    tick = os.sysconf("SC_CLK_TCK")
    for _ in range(n):
        start = time.perf_counter()
        proc = subprocess.Popen([str(launcher)], env={**env, **COOKIE}, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        line = proc.stdout.readline()
        walls.append(time.perf_counter() - start)
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpus.append((int(fields[11]) + int(fields[12])) / tick)
        proc.kill()
        proc.wait()
        assert line.startswith(b"1|6|unix|"), line
    return walls, cpus


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_plan(terraform: str, work: Path, env: dict) -> tuple[float, float]:
    """Wall time, and the CPU time of terraform and the provider processes it started (it waits for them)."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = run([terraform, "plan", "-detailed-exitcode", "-input=false", "-no-color"], cwd=work, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the plan in {work} is not empty:\n{proc.stdout}")
    return elapsed, children_cpu() - cpu


def heads(bucket: str, keys: list[str]) -> tuple[float, float]:
    """What our plan must ask MinIO for, made by our store code, ten at a time: wall and this process's CPU time."""
    from pulumi_objectcopy import transfer, urls
    targets = [urls.parse(f"s3://bench@{bucket}/{k}") for k in keys]
    transfer.head(targets[0])  # the session and signing set up, as a provider process has them after its first
    cpu, start = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(transfer.head, targets))
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--launches", type=int, default=20)
    ap.add_argument("--objects", type=int, default=100)
    ap.add_argument("--as-is", action="store_true", help="do not compile the package's bytecode first")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    if not args.as_is:
        compile_package()
    subprocess.run(["bash", str(ROOT / "scripts" / "minio.sh"), "start"], check=True)
    terraform = run(["bash", str(ROOT / "scripts" / "terraform.sh"), "path", "terraform"]).stdout.split()[-1]
    import boto3
    s3 = boto3.client("s3", endpoint_url=MINIO["endpoint"], aws_access_key_id=MINIO["key"],
                      aws_secret_access_key=MINIO["secret"], region_name="us-east-1")
    bucket = f"objectcopy-bench-tf-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    keys = [f"golden/{i:03d}.bin" for i in range(args.objects)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode() * 64)

    with tempfile.TemporaryDirectory(prefix="bench-tf-") as tmp:
        tmp_path = Path(tmp)
        cli = run([str(Path(sys.executable).parent / "objectcopy"), "terraform", "install", "--mirror",
                   str(tmp_path / "mirror")]).stdout
        (tmp_path / "cli.tfrc").write_text(cli)
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "cli.tfrc"), "CHECKPOINT_DISABLE": "1",
               "TF_IN_AUTOMATION": "1", "BENCH_TF_KEY": MINIO["key"], "BENCH_TF_SECRET": MINIO["secret"],
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "OBJECTCOPY_PROFILES": str(tmp_path / "profiles.toml")}
        (tmp_path / "profiles.toml").write_text(
            f'[profiles.bench]\nscheme = "s3"\nendpoint = "{MINIO["endpoint"]}"\nprovider = "minio"\n'
            'addressing = "path"\naccess_key_id_env = "BENCH_TF_KEY"\nsecret_access_key_env = "BENCH_TF_SECRET"\n')
        os.environ.update(env)
        [launcher] = (tmp_path / "mirror" / "registry.terraform.io").rglob("terraform-provider-objectcopy_v*")
        launch, launch_cpu = handshakes(launcher, args.launches, env)

        ours, data = tmp_path / "ours", tmp_path / "data"
        ours.mkdir()
        data.mkdir()
        (ours / "main.tf").write_text(HEADER + PROVIDER + "".join(
            f'resource "objectcopy_copied_object" "c{i}" {{\n  source      = "s3://bench@{bucket}/{k}"\n'
            f'  destination = "s3://bench@{bucket}/{k.replace("golden/", "env/")}"\n}}\n'
            for i, k in enumerate(keys)))
        (data / "main.tf").write_text("".join(
            f'resource "terraform_data" "d{i}" {{\n  input = "s3://{bucket}/{k}"\n}}\n' for i, k in enumerate(keys)))
        for work in (ours, data):
            run([terraform, "init", "-input=false", "-no-color"], cwd=work, env=env)
            start = time.perf_counter()
            run([terraform, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=work, env=env)
            print(f"apply of {args.objects} in {work.name}: {time.perf_counter() - start:.2f} s", file=sys.stderr)
        plans: dict[str, list[tuple[float, float]]] = {"ours": [], "data": [], "heads": []}
        dest_keys = [k.replace("golden/", "env/") for k in keys]
        for _ in range(args.runs):
            plans["ours"].append(timed_plan(terraform, ours, env))
            plans["data"].append(timed_plan(terraform, data, env))
            plans["heads"].append(heads(bucket, keys + dest_keys))
        run([terraform, "destroy", "-auto-approve", "-input=false", "-no-color"], cwd=ours, env=env)

    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=bucket)

    med = {k: statistics.median(wall for wall, _ in v) for k, v in plans.items()}
    cpu = {k: statistics.median(used for _, used in v) for k, v in plans.items()}
    overhead = med["ours"] - med["data"] - med["heads"]
    print(f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} "
          f"cores; bytecode {'as installed' if args.as_is else 'compiled first'}")
    print(f"start to handshake: median {statistics.median(launch) * 1000:.0f} ms, min {min(launch) * 1000:.0f} ms "
          f"over {len(launch)} launches (goal < 150 ms): {'PASS' if statistics.median(launch) < 0.150 else 'FAIL'}; "
          f"CPU time median {statistics.median(launch_cpu) * 1000:.0f} ms")
    print(f"no-op plan of {args.objects}: objectcopy_copied_object {med['ours']:.2f} s, terraform_data "
          f"{med['data']:.2f} s, {2 * args.objects} HEADs {med['heads']:.2f} s (median of {args.runs})")
    print(f"  CPU time: objectcopy_copied_object {cpu['ours']:.2f} s (terraform and its provider processes), "
          f"terraform_data {cpu['data']:.2f} s, HEADs {cpu['heads']:.2f} s: "
          f"{cpu['ours'] - cpu['data'] - cpu['heads']:.2f} s more")
    print(f"  provider overhead {overhead:.2f} s (goal <= 1.5 s): {'PASS' if overhead <= 1.5 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
