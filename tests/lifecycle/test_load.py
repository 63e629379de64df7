"""Load: one stack of 500 CopiedObject resources (1 KiB objects) on MinIO, through the real `pulumi` CLI: `up`
copies each once, a second `up` makes no copy request at all, and `objectcopy drift` finds all 500 in sync.

bench/load.py runs the same and prints the times. Measured on the 2-core VM (load average 4, other suites running):
up 52 s, second up 24 s, drift 4 s; this test takes about 1.5 min in all, inside the 3-minute budget, so it runs
the full 500.
"""
from __future__ import annotations

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

from ..conftest import run_cli
from ..counting_proxy import CountingProxy
from .test_pulumi_cli import Stack, pulumi_bin  # noqa: F401 - pulumi_bin is a fixture

N = 500
PROGRAM = """
import pulumi
from pulumi_objectcopy import CopiedObject

c = pulumi.Config()
base = c.require("base")
for i in range(c.require_int("n")):
    CopiedObject(f"c{i:05d}", source=f"{base}src/{i:05d}", destination=f"{base}dst/{i:05d}")
"""


def copy_requests(proxy: CountingProxy) -> int:
    return sum(1 for m, _, h in proxy.requests if m == "PUT" and any(k.lower() == "x-amz-copy-source" for k in h))


def test_500_copies_up_noop_up_and_drift(pulumi_bin, tmp_path, backends, key_prefix):
    minio = backends("minio")
    body = os.urandom(1024)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: minio.put(f"{key_prefix}src/{i:05d}", body), range(N)))
    proxy = CountingProxy("http://127.0.0.1:19000")
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(PROGRAM)
    try:
        stack = Stack(pulumi_bin, tmp_path, program=program, name="load")
        profile = {"scheme": "s3", "endpoint": proxy.url, "provider": "minio",
                   "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_env": "OC_TEST_MINIO_SECRET"}
        stack.run("config", "set", "objectcopy:profiles", json.dumps({"load": profile}))
        stack.run("config", "set", "n", str(N))
        stack.run("config", "set", "base", f"s3://load@{minio.bucket}/{key_prefix}")
        times = {}

        t0 = time.monotonic()
        up = stack.run("up", "--yes")
        times["up"] = time.monotonic() - t0
        assert re.search(rf"\+ {N + 1} created", up.stdout), up.stdout[-2000:]
        assert copy_requests(proxy) == N

        proxy.reset()
        t0 = time.monotonic()
        again = stack.run("up", "--yes")
        times["second up"] = time.monotonic() - t0
        assert f"{N + 1} unchanged" in again.stdout, again.stdout[-2000:]
        assert copy_requests(proxy) == 0 and proxy.copies() == [], proxy.copies()[:10]

        t0 = time.monotonic()
        drift = run_cli("drift", "--stack", "dev", "--json", env=stack.env, cwd=stack.dir)
        times["drift"] = time.monotonic() - t0
        assert drift.returncode == 0, drift.stderr
        findings = json.loads(drift.stdout)
        assert len(findings) == N and {f["status"] for f in findings} == {"in sync"}
        assert minio.get(f"{key_prefix}dst/{N - 1:05d}") == body
        print("load, 500 resources: " + ", ".join(f"{k} {v:.1f} s ({N / v:.0f} resources/s)"
                                                  for k, v in times.items()))
    finally:
        proxy.close()
        keys = [{"Key": f"{key_prefix}{d}/{i:05d}"} for d in ("src", "dst") for i in range(N)]
        for chunk in range(0, len(keys), 1000):
            minio.client.delete_objects(Bucket=minio.bucket, Delete={"Objects": keys[chunk:chunk + 1000],
                                                                     "Quiet": True})
