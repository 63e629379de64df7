"""Load: one stack of N CopiedObject resources (small objects) on the local MinIO, through the real `pulumi` CLI.

    .venv/bin/python bench/load.py [-n 500] [--size 1024] [--direct] [--destroy] [--keep]

Times `pulumi up` (N copies), a second `pulumi up` (must make no copy: CopyObject requests are counted at a proxy
in front of MinIO), and `objectcopy drift` on the stack (N destinations HEADed without the engine). Prints one
table, and writes it to bench/results/load-<timestamp>.json. See bench/README.md ("Load").
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import fixtures as fx  # noqa: E402

from tests.counting_proxy import CountingProxy  # noqa: E402
from tests.lifecycle.test_pulumi_cli import Stack  # noqa: E402

HERE = Path(__file__).resolve().parent
# N resources from two config values (a config object of 500 copies is too long for one command-line argument)
PROGRAM = """
import pulumi
from pulumi_objectcopy import CopiedObject

c = pulumi.Config()
base = c.require("base")
for i in range(c.require_int("n")):
    CopiedObject(f"c{i:05d}", source=f"{base}src/{i:05d}", destination=f"{base}dst/{i:05d}")
"""


def pulumi_bin() -> str:
    proc = subprocess.run(["bash", str(fx.ROOT / "scripts" / "pulumi-cli.sh")], capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode != 0:
        sys.exit(f"scripts/pulumi-cli.sh failed:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip().splitlines()[-1]


def copy_requests(proxy: CountingProxy) -> int:
    """CopyObject and UploadPartCopy requests the proxy saw (a PUT naming a copy source)."""
    return sum(1 for m, _, h in proxy.requests if m == "PUT" and any(k.lower() == "x-amz-copy-source" for k in h))


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=500, help="CopiedObject resources in the stack (default 500)")
    ap.add_argument("--size", type=int, default=1024, help="bytes per source object (default 1024)")
    ap.add_argument("--direct", action="store_true",
                    help="no counting proxy: the engine talks to MinIO directly (times without the proxy's cost; "
                         "the no-copy check of the second up is then skipped)")
    ap.add_argument("--destroy", action="store_true", help="also time `pulumi destroy`")
    ap.add_argument("--keep", action="store_true", help="leave the objects and the stack's directory")
    args = ap.parse_args()

    bindir = pulumi_bin()
    fx.start_server("minio.sh")
    s3 = fx.MINIO.boto3(pool=16)
    bucket = f"objectcopy-load-{uuid.uuid4().hex[:6]}"
    fx.ensure_bucket(s3, bucket)
    prefix = "load/"
    body = os.urandom(args.size)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"{prefix}src/{i:05d}", Body=body), range(args.n)))
    fx.log(f"{args.n} sources of {args.size} bytes in s3://{bucket}/{prefix}src/")

    proxy = None if args.direct else CountingProxy(fx.MINIO.endpoint)
    work = Path(tempfile.mkdtemp(prefix="objectcopy-load-"))
    os.environ.update(OC_LOAD_KEY=fx.MINIO.key)
    program = work / "program"
    program.mkdir()
    (program / "__main__.py").write_text(PROGRAM)
    stack = Stack(bindir, work, program=program, name="load")
    profile = {"scheme": "s3", "endpoint": proxy.url if proxy else fx.MINIO.endpoint, "provider": "minio",
               "access_key_id_env": "OC_LOAD_KEY", "secret_access_key_config": "loadSecret"}
    stack.run("config", "set", "objectcopy:profiles", json.dumps({"load": profile}))
    stack.run("config", "set", "--secret", "objectcopy:loadSecret", fx.MINIO.secret)
    stack.run("config", "set", "n", str(args.n))
    stack.run("config", "set", "base", f"s3://load@{bucket}/{prefix}")
    rows: list[dict] = []

    def step(name: str, fn, check) -> None:
        if proxy:
            proxy.reset()
        wall, proc = timed(fn)
        row = {"step": name, "wall_s": round(wall, 2), "resources_per_s": round(args.n / wall, 1),
               "requests": len(proxy.requests) if proxy else None,
               "copy_requests": copy_requests(proxy) if proxy else None, "ok": True, "note": ""}
        problem = check(proc, row)
        if problem:
            row.update(ok=False, note=problem)
        rows.append(row)
        fx.log(f"{name}: {wall:.1f} s{'' if row['ok'] else ' FAILED: ' + problem}")

    def created(proc, row):
        m = re.search(r"\+ (\d+) created", proc.stdout)
        if proc.returncode != 0 or not m or int(m.group(1)) != args.n + 1:
            return f"exit {proc.returncode}: {proc.stdout[-600:]} {proc.stderr[-600:]}"
        return "" if not proxy or row["copy_requests"] == args.n else f"{row['copy_requests']} copy requests"

    def unchanged(proc, row):
        if proc.returncode != 0 or f"{args.n + 1} unchanged" not in proc.stdout:
            return f"exit {proc.returncode}: {proc.stdout[-600:]} {proc.stderr[-600:]}"
        return "" if not proxy or row["copy_requests"] == 0 else f"{row['copy_requests']} copy requests (want 0)"

    def in_sync(proc, row):
        if proc.returncode != 0:
            return f"exit {proc.returncode}: {proc.stdout[-600:]} {proc.stderr[-600:]}"
        findings = json.loads(proc.stdout)
        bad = [f for f in findings if f["status"] != "in sync"]
        return "" if len(findings) == args.n and not bad else f"{len(findings)} findings, {len(bad)} not in sync"

    exe = str(Path(sys.executable).parent / "objectcopy")
    drift = lambda: subprocess.run([exe, "drift", "--stack", "dev", "--json"], cwd=stack.dir, env=stack.env,  # noqa: E731
                                   capture_output=True, text=True, timeout=1800)
    try:
        step("pulumi up", lambda: stack.run("up", "--yes", check=False), created)
        step("pulumi up (again)", lambda: stack.run("up", "--yes", check=False), unchanged)
        step("objectcopy drift", drift, in_sync)
        if args.destroy:
            step("pulumi destroy", lambda: stack.run("destroy", "--yes", check=False),
                 lambda p, r: "" if p.returncode == 0 else f"exit {p.returncode}: {p.stdout[-600:]}")
    finally:
        if proxy:
            proxy.close()
        if not args.keep:
            fx.delete_prefix(s3, prefix, bucket)
            s3.delete_bucket(Bucket=bucket)
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nLoad: {args.n} CopiedObject resources, {args.size}-byte objects, "
          f"{'direct to MinIO' if args.direct else 'through the counting proxy'}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}\n")
    print(f"{'step':<20} {'wall s':>8} {'res/s':>7} {'requests':>9} {'copies':>7}  verdict")
    for r in rows:
        reqs = "-" if r["requests"] is None else r["requests"]
        copies = "-" if r["copy_requests"] is None else r["copy_requests"]
        print(f"{r['step']:<20} {r['wall_s']:>8.1f} {r['resources_per_s']:>7.1f} {reqs:>9} {copies:>7}  "
              f"{'PASS' if r['ok'] else 'FAIL: ' + r['note'][:200]}")
    out = HERE / "results" / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"n": args.n, "size": args.size, "direct": args.direct, "rows": rows}, indent=2))
    print(f"\nwritten to {out}" + (f"; stack kept in {stack.dir}" if args.keep else ""))
    sys.exit(0 if all(r["ok"] for r in rows) else 1)


if __name__ == "__main__":
    main()
