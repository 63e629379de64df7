"""Prefixes of many objects for the sync cases of bench/run.py (see bench/README.md): made once from a fixed seed
and kept on the server between runs (a 100,000-object tree takes minutes to upload).

    .venv/bin/python bench/tree.py small100k|mixed [--check]
"""
from __future__ import annotations

import argparse
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures as fx  # noqa: E402
from fixtures import BUCKET, MiB  # noqa: E402

SEED = 20261121
TREES = {
    # 100,000 objects of 1 KiB in 100 folders of 1,000 (rclone lists folder by folder, s5cmd flat: both ~100 pages)
    "small100k": {"prefix": "bench/sync-small100k/src/", "count": 100_000},
    # the same shape at 2,000: requests counted through the proxy, and --quick
    "small2k": {"prefix": "bench/sync-small2k/src/", "count": 2_000},
    # 1,000 objects from 1 KiB to 256 MiB, sizes log-uniform from a fixed seed (about 20 GiB in all)
    "mixed": {"prefix": "bench/sync-mixed/src/", "count": 1000},
}


def small_keys(n: int) -> list[str]:
    return [f"d{i // 1000:03d}/obj-{i:06d}.bin" for i in range(n)]


def mixed_sizes(n: int) -> list[int]:
    rng = random.Random(SEED)
    # log-uniform between 1 KiB and 256 MiB: mean ~ 256 MiB / ln(2^18) ~ 20 MiB, so ~20 GiB for 1,000
    return [int(2 ** rng.uniform(10, 28)) for _ in range(n)]


def listed(client: Any, prefix: str) -> dict[str, int]:
    return {o["Key"][len(prefix):]: o["Size"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
            for o in page.get("Contents", [])}


def body(i: int, size: int) -> bytes:
    """Distinct content per object (so every ETag differs), cheap to make: a seeded header then filler."""
    head = f"{SEED}:{i}:".encode()
    return (head + random.Random(SEED + i).randbytes(min(size, 1024)) * (size // 1024 + 1))[:size]


def ensure_small(client: Any, prefix: str, n: int, size: int = 1024) -> int:
    have = listed(client, prefix)
    missing = [(i, k) for i, k in enumerate(small_keys(n)) if have.get(k) != size]
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda ik: client.put_object(Bucket=BUCKET, Key=prefix + ik[1], Body=body(ik[0], size)),
                      missing))
    return len(missing)


def ensure_mixed(client: Any, prefix: str, n: int) -> int:
    have = listed(client, prefix)
    todo = [(i, f"f{i // 100:02d}/obj-{i:04d}.bin", s) for i, s in enumerate(mixed_sizes(n))]
    todo = [t for t in todo if have.get(t[1]) != t[2]]
    block = random.Random(SEED).randbytes(4 * MiB)

    def one(t: tuple[int, str, int]) -> None:
        i, key, size = t
        head = f"{SEED}:{i}:".encode()
        if size <= 4 * MiB:
            client.put_object(Bucket=BUCKET, Key=prefix + key, Body=(head + block)[:size])
        else:  # streamed from a repeating block, never held whole
            client.upload_fileobj(fx.RepeatReader(size, head + block), BUCKET, prefix + key)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, todo))
    return len(todo)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree", choices=sorted(TREES))
    args = ap.parse_args()
    client = fx.MINIO.boto3(pool=32)
    fx.ensure_bucket(client)
    spec = TREES[args.tree]
    made = (ensure_small(client, spec["prefix"], spec["count"]) if args.tree.startswith("small")
            else ensure_mixed(client, spec["prefix"], spec["count"]))
    fx.log(f"{args.tree}: {made} objects written under {spec['prefix']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
