"""One benchmark operation in its own process, so peak RSS and CPU time belong to that one run.

    python bench/worker.py OP --arg value ...

Prints one JSON line: {"ok", "op_s", "op_cpu_s", "method", "error", ...}. `op_s`/`op_cpu_s` cover the operation
only (after imports), so the interpreter's start-up, which is the same for ours and boto3, does not dilute the
ratio; the parent also records the whole process (wall, CPU, peak RSS) from os.wait4.

Credentials: ours reads the profiles file in OBJECTCOPY_PROFILES; boto3 reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return r.ru_utime + r.ru_stime


def _vm_hwm() -> int:
    """This process's peak RSS in bytes (exact, unlike the parent's polling, which may miss a last spike)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _boto3_client(endpoint: str, pool: int = 10, key: str | None = None, secret: str | None = None) -> Any:
    import boto3
    from botocore.config import Config
    # Path style and the region MinIO is started with; everything else is boto3's default (pool 10 = the
    # default max_concurrency, so the pool is never the bottleneck at defaults).
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=max(pool, 10)))


def _boto3_config(a: argparse.Namespace) -> Any:
    from boto3.s3.transfer import TransferConfig
    kw: dict[str, Any] = {}
    if a.threshold:
        kw["multipart_threshold"] = a.threshold
    if a.part_size:
        kw["multipart_chunksize"] = a.part_size
    if a.concurrency:
        kw["max_concurrency"] = a.concurrency
    return TransferConfig(**kw)


def _ours_config(a: argparse.Namespace) -> Any:
    from pulumi_objectcopy.transfer import TransferConfig
    kw: dict[str, Any] = {}
    if a.threshold:
        kw["multipart_threshold"] = a.threshold
    if a.part_size:
        kw["part_size"] = a.part_size
    if a.concurrency:
        kw["concurrency"] = a.concurrency
    return TransferConfig(**kw)


def op_ours_copy(a: argparse.Namespace) -> dict:
    from pulumi_objectcopy.transfer import copy_object
    from pulumi_objectcopy.urls import parse
    cfg = _ours_config(a)
    t0, c0 = time.perf_counter(), _cpu()
    result = copy_object(parse(a.src), parse(a.dst), config=cfg)
    out = {"op_s": time.perf_counter() - t0, "op_cpu_s": _cpu() - c0, "method": result.method}
    # Whatever the planner chose, if the result says (the memory bound in case 5 depends on it).
    for name in ("part_size", "parts", "concurrency"):
        if getattr(result, name, None) is not None:
            out[name] = getattr(result, name)
    out["size"] = result.destination.size
    return out


def op_boto3_copy(a: argparse.Namespace) -> dict:
    client = _boto3_client(a.endpoint, a.concurrency or 10)
    cfg = _boto3_config(a)
    t0, c0 = time.perf_counter(), _cpu()
    client.copy({"Bucket": a.bucket, "Key": a.src}, a.bucket, a.dst, Config=cfg)
    return {"op_s": time.perf_counter() - t0, "op_cpu_s": _cpu() - c0, "method": "boto3 client.copy"}


def _many(n: int, concurrency: int, one: Callable[[int], Any]) -> None:
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(one, i) for i in range(n)]:
            f.result()  # the first failure fails the run


def op_ours_many(a: argparse.Namespace) -> dict:
    """Ours copies many objects the way `objectcopy cp --recursive` does: one listing, then one pinned copy per
    object (the listing's ETag is the pin, so no HEAD each)."""
    from pulumi_objectcopy.batch import copy_prefix
    from pulumi_objectcopy.stores.base import WriteOptions
    from pulumi_objectcopy.transfer import TransferConfig
    from pulumi_objectcopy.urls import parse

    t0, c0 = time.perf_counter(), _cpu()
    report = copy_prefix(parse(a.src, allow_prefix=True), parse(a.dst, allow_prefix=True), options=WriteOptions(),
                         config=TransferConfig(), concurrency=a.concurrency)
    elapsed, cpu = time.perf_counter() - t0, _cpu() - c0
    if report.failed or len(report.copied) != a.n:
        raise RuntimeError(f"copied {len(report.copied)} of {a.n}: {report.failed[:3]}")
    methods: dict[str, int] = {}
    for r in report.copied:
        methods[r.method] = methods.get(r.method, 0) + 1
    return {"op_s": elapsed, "op_cpu_s": cpu, "method": ",".join(f"{k}x{v}" for k, v in methods.items())}


def op_boto3_many(a: argparse.Namespace) -> dict:
    client = _boto3_client(a.endpoint, a.concurrency)  # one client, shared by threads (it is thread-safe)

    def one(i: int) -> None:
        client.copy_object(CopySource={"Bucket": a.bucket, "Key": f"{a.src}{i:05d}"},
                           Bucket=a.bucket, Key=f"{a.dst}{i:05d}")

    t0, c0 = time.perf_counter(), _cpu()
    _many(a.n, a.concurrency, one)
    return {"op_s": time.perf_counter() - t0, "op_cpu_s": _cpu() - c0, "method": "boto3 copy_object"}


def op_boto3_downup(a: argparse.Namespace) -> dict:
    """The obvious boto3 way to move an object between two stores: download to a file, upload the file."""
    src = _boto3_client(a.endpoint)
    # Another store may need other keys (Swift's s3api); unset, both use AWS_*.
    dst = _boto3_client(a.dst_endpoint, key=os.environ.get("BENCH_DST_KEY"),
                        secret=os.environ.get("BENCH_DST_SECRET"))
    t0, c0 = time.perf_counter(), _cpu()
    with tempfile.TemporaryDirectory(dir=a.tmpdir) as tmp:
        path = os.path.join(tmp, "object")
        src.download_file(a.bucket, a.src, path)
        dst.upload_file(path, a.dst_bucket, a.dst)
    return {"op_s": time.perf_counter() - t0, "op_cpu_s": _cpu() - c0, "method": "boto3 download+upload"}


OPS: dict[str, Callable[[argparse.Namespace], dict]] = {
    "ours-copy": op_ours_copy, "boto3-copy": op_boto3_copy, "ours-many": op_ours_many,
    "boto3-many": op_boto3_many, "boto3-downup": op_boto3_downup,
}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("op", choices=sorted(OPS))
    p.add_argument("--src")
    p.add_argument("--dst")
    p.add_argument("--endpoint")
    p.add_argument("--dst-endpoint")
    p.add_argument("--bucket")
    p.add_argument("--dst-bucket")
    p.add_argument("--threshold", type=int)
    p.add_argument("--part-size", type=int)
    p.add_argument("--concurrency", type=int)
    p.add_argument("--n", type=int)
    p.add_argument("--tmpdir")
    a = p.parse_args()
    try:
        out = {"ok": True, **OPS[a.op](a)}
    except BaseException as e:  # noqa: BLE001 - any failure is a result cell, not a crash of the harness
        traceback.print_exc(file=sys.stderr)
        out = {"ok": False, "error": f"{type(e).__name__}: {str(e)[:300]}"}
    out["peak_rss_self"] = _vm_hwm()
    print(json.dumps(out), flush=True)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
