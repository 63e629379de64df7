"""Benchmark our copies against boto3, rclone and s5cmd on the local MinIO (see bench/README.md).

    .venv/bin/python bench/run.py [--quick] [--only N[,N]] [--runs R] [--swift] [--keep]

Each case runs its contenders interleaved (ours, peer, ours, peer, ...) so drift in the machine's state (page
cache, MinIO's background work) hits both alike, takes medians, and prints one table. Results also go to
bench/results/<timestamp>.json. A failing contender is an ERR cell, never a crash of the harness.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures as fx  # noqa: E402
from fixtures import BUCKET, GiB, MiB, PREFIX  # noqa: E402
from proxy import StreamingCountingProxy  # noqa: E402
from report import (Row, at_least, at_most, compare, median, op_cpu, op_time, proc_time, size_name,  # noqa: E402
                    table)

HERE = Path(__file__).resolve().parent
PY = sys.executable
WORKER = str(HERE / "worker.py")
# Requests ours may make beyond boto3's in case 1: the ones that carry tags across (GetObjectTagging) and one more
# for metadata/tagging on the multipart path. boto3's client.copy carries neither.
EXTRA_REQUESTS = 2
SMALL_OBJECT = 16 * 1024


@dataclass
class Contender:
    label: str
    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)
    dst: tuple[Any, str, str] | None = None      # (boto3 client, bucket, key) deleted before and after each run
    dst_prefix: tuple[Any, str] | None = None    # (client, prefix) for many-object runs
    proxy: StreamingCountingProxy | None = None  # reset before each run, its counts attached after
    size: int | None = None                      # the destination must have this size, or the run failed
    before: Callable[[], None] | None = None     # prepares each run (untimed), e.g. changes some source objects


ONLY_CONTENDERS: set[str] = set()  # --contenders: run only these (and "ours")


def run_interleaved(contenders: list[Contender], runs: int, timeout: float) -> dict[str, list[dict]]:
    if ONLY_CONTENDERS:
        contenders = [c for c in contenders if c.label in ONLY_CONTENDERS | {"ours"}]
    results: dict[str, list[dict]] = {c.label: [] for c in contenders}
    for i in range(runs):
        # ABBA order: whoever ran second would otherwise always meet a machine one step quieter (or busier)
        for c in (contenders if i % 2 == 0 else contenders[::-1]):
            if c.dst:
                fx.delete_key(c.dst[0], c.dst[2], c.dst[1])
            if c.dst_prefix:
                fx.delete_prefix(*c.dst_prefix)
            if c.before:
                c.before()
            if c.proxy:
                c.proxy.reset()
            need = 2 * (c.size or 0) + GiB  # the copy, plus room for whatever else MinIO writes meanwhile
            if not fx.wait_free(need):
                rec = {"ok": False, "error": f"not enough disk for this run ({need / GiB:.1f} GiB needed)",
                       "wall_s": 0.0, "cpu_s": 0.0, "peak_rss": 0}
                results[c.label].append(rec)
                fx.log(f"  run {i + 1}/{runs} {c.label}: {rec['error']}")
                continue
            rec = fx.measure(c.cmd, c.env, timeout)
            rec["peak_rss"] = max(rec.get("peak_rss", 0), rec.get("peak_rss_self", 0))
            if c.proxy:
                rec["proxy"] = c.proxy.stats()
            if rec["ok"] and c.dst and c.size is not None:
                # A fast copy that made the wrong object (or none, with exit 0) must not count as a result.
                got = fx.object_size(c.dst[0], c.dst[2], c.dst[1])
                if got != c.size:
                    rec["ok"], rec["error"] = False, f"destination has size {got}, expected {c.size}"
            if c.dst:
                fx.delete_key(c.dst[0], c.dst[2], c.dst[1])  # free the disk before the next contender
            results[c.label].append(rec)
            state = f"{rec.get('op_s', rec['wall_s']):.2f}s" if rec["ok"] else "ERR " + rec.get("error", "")[:120]
            fx.log(f"  run {i + 1}/{runs} {c.label}: {state}")
    return results


def worker(op: str, **kw: Any) -> list[str]:
    cmd = [PY, WORKER, op]
    for k, v in kw.items():
        if v is not None:
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    return cmd


def sized(cs: list[Contender], size: int) -> list[Contender]:
    for c in cs:
        c.size = size
    return cs


def ours_url(store: fx.Store, key: str, bucket: str = BUCKET) -> str:
    return f"s3://{store.name}@{bucket}/{key}"


class Bench:
    def __init__(self, args: argparse.Namespace, bindir: Path | None):
        self.args = args
        self.quick: bool = args.quick
        self.runs: int = args.runs or (1 if args.quick else 5)
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="objectcopy-bench-"))
        self.profiles = self.tmp / "profiles.toml"
        rclone_conf = self.tmp / "rclone.conf"
        rclone_conf.write_text("")  # remotes come from RCLONE_CONFIG_* variables
        self.stores = [fx.MINIO, fx.MINIO_OTHER] + ([fx.SWIFT] if args.swift else [])
        self.env: dict[str, str] = {"OBJECTCOPY_PROFILES": str(self.profiles), "RCLONE_CONFIG": str(rclone_conf),
                                    "PYTHONPATH": str(fx.ROOT)}
        self.env.update(fx.MINIO.env())
        for s in self.stores[1:]:
            self.env.update({k: v for k, v in s.env().items() if not k.startswith("AWS_")})
        fx.write_profiles(self.profiles, self.stores)
        self.s3 = fx.MINIO.boto3(pool=16)
        fx.ensure_bucket(self.s3)
        self.rows: list[Row] = []
        self.raw: dict[str, Any] = {}

    def timeout(self, size: int) -> float:
        return 300 + size / (5 * MiB)  # generous: 5 MiB/s is far below any healthy local copy

    def disk_ok(self, case: str, need: int) -> bool:
        if not fx.wait_free(need):
            free = fx.free_bytes()
            msg = f"skipped: needs {need / GiB:.1f} GiB free, {free / GiB:.1f} GiB free"
            fx.log(f"case {case} {msg}")
            self.rows.append(Row(case, "(all)", "-", "-", "-", None, msg, "SKIP"))
            return False
        return True

    def peer_bin(self, name: str) -> str | None:
        path = self.bindir / name if self.bindir else None
        return str(path) if path and path.exists() else None

    def rclone(self, src: str, dst: str) -> list[str]:
        # Defaults otherwise; --retries 1 only so a failure is reported once instead of three times.
        return [self.peer_bin("rclone") or "rclone-missing", "copyto", "--retries", "1", src, dst]

    def s5cmd(self, src_key: str, dst_key: str, endpoint: str) -> list[str]:
        return [self.peer_bin("s5cmd") or "s5cmd-missing", "--endpoint-url", endpoint, "cp",
                f"s3://{BUCKET}/{src_key}", f"s3://{BUCKET}/{dst_key}"]

    # --- case 1 -------------------------------------------------------------------------------------------------
    def case1(self) -> None:
        size = 256 * MiB if self.quick else 2 * GiB
        case = f"1 copy {size_name(size)} @8MiB/8MiB/10"
        if not self.disk_ok(case, 3 * size):
            return
        src, m = PREFIX + f"c1-src-{size_name(size)}", fx.MINIO
        fx.ensure_object(self.s3, src, size)
        cfg = {"threshold": 8 * MiB, "part_size": 8 * MiB, "concurrency": 10}

        def contenders(store: fx.Store, proxy: StreamingCountingProxy | None) -> list[Contender]:
            return [
                Contender("ours", worker("ours-copy", src=ours_url(store, src), dst=ours_url(store, src + ".ours"),
                                         **cfg), self.env, (self.s3, BUCKET, src + ".ours"), proxy=proxy),
                Contender("boto3", worker("boto3-copy", endpoint=store.endpoint, bucket=BUCKET, src=src,
                                          dst=src + ".boto3"), self.env, (self.s3, BUCKET, src + ".boto3"),
                          proxy=proxy),
            ]

        timed = run_interleaved(sized(contenders(m, None), size), self.runs, self.timeout(size))
        # Requests are counted in one extra run each through the proxy, so the timed runs carry no proxy cost.
        proxy = StreamingCountingProxy(m.endpoint)
        try:
            pstore = self.use_proxy(proxy)
            counted = run_interleaved(sized(contenders(pstore, proxy), size), 1, self.timeout(size))
        finally:
            proxy.close()
            fx.write_profiles(self.profiles, self.stores)
        self.raw[case] = {"timed": timed, "counted": counted}
        t_ours, t_boto = median(timed["ours"], op_time), median(timed["boto3"], op_time)
        method = next((r.get("method") for r in timed["ours"] if r.get("method")), "?")
        self.rows.append(compare(case, f"wall s (ours: {method})", t_ours, "boto3 copy", t_boto, "<= 1.05",
                                 at_most(1.05)))
        n_ours = median(counted["ours"], lambda r: r["proxy"]["requests"])
        n_boto = median(counted["boto3"], lambda r: r["proxy"]["requests"])
        self.rows.append(compare(case, "requests", n_ours, "boto3 copy", n_boto, f"<= boto3+{EXTRA_REQUESTS}",
                                 lambda o, p, r: o <= p + EXTRA_REQUESTS))
        self.cleanup([src])

    # --- case 2 -------------------------------------------------------------------------------------------------
    def case2(self) -> None:
        sizes = [256 * MiB, 512 * MiB] if self.quick else [2 * GiB, 6 * GiB]
        m = fx.MINIO
        for size in sizes:
            case = f"2 copy {size_name(size)} defaults"
            if not self.disk_ok(case, 3 * size):
                continue
            src = PREFIX + f"c2-src-{size_name(size)}"
            fx.ensure_object(self.s3, src, size)
            cs = [
                Contender("ours", worker("ours-copy", src=ours_url(m, src), dst=ours_url(m, src + ".ours")),
                          self.env, (self.s3, BUCKET, src + ".ours")),
                Contender("boto3", worker("boto3-copy", endpoint=m.endpoint, bucket=BUCKET, src=src,
                                          dst=src + ".boto3"), self.env, (self.s3, BUCKET, src + ".boto3")),
                Contender("rclone", self.rclone(f"{m.name}:{BUCKET}/{src}", f"{m.name}:{BUCKET}/{src}.rclone"),
                          self.env, (self.s3, BUCKET, src + ".rclone")),
                Contender("s5cmd", self.s5cmd(src, src + ".s5cmd", m.endpoint), self.env,
                          (self.s3, BUCKET, src + ".s5cmd")),
            ]
            res = run_interleaved(sized(cs, size), self.runs, self.timeout(size))
            self.raw[case] = res
            t = {k: median(v, op_time) for k, v in res.items()}
            w = {k: median(v, proc_time) for k, v in res.items()}
            method = next((r.get("method") for r in res["ours"] if r.get("method")), "?")
            self.rows.append(compare(case, f"wall s (ours: {method})", t["ours"], "boto3 copy", t["boto3"],
                                     "<= 0.8", at_most(0.8)))
            self.rows.append(compare(case, "process wall s", w["ours"], "rclone copyto", w["rclone"], "<= 1.0",
                                     at_most(1.0)))
            self.rows.append(compare(case, "process wall s", w["ours"], "s5cmd cp", w["s5cmd"], "shown as is",
                                     None))
            self.cleanup([src])

    # --- case 3 -------------------------------------------------------------------------------------------------
    def case3(self) -> None:
        n = 20 if self.quick else 1000
        case = f"3 {n} x {SMALL_OBJECT // 1024}KiB @10"
        m, src, dst = fx.MINIO, PREFIX + "c3-src/", PREFIX + "c3-dst/"
        fx.ensure_small(self.s3, src, n, SMALL_OBJECT)
        cs = [
            Contender("ours", worker("ours-many", src=ours_url(m, src), dst=ours_url(m, dst + "ours/"), n=n,
                                     concurrency=10), self.env, dst_prefix=(self.s3, dst + "ours/")),
            Contender("boto3", worker("boto3-many", endpoint=m.endpoint, bucket=BUCKET, src=src, dst=dst + "boto3/",
                                      n=n, concurrency=10), self.env, dst_prefix=(self.s3, dst + "boto3/")),
        ]
        res = run_interleaved(cs, self.runs, 600)
        self.raw[case] = res
        self.rows.append(compare(case, "wall s", median(res["ours"], op_time), "boto3 copy_object pool",
                                 median(res["boto3"], op_time), "<= 1.2", at_most(1.2)))
        self.rows.append(compare(case, "client CPU s", median(res["ours"], op_cpu), "boto3 copy_object pool",
                                 median(res["boto3"], op_cpu), "<= 1.2", at_most(1.2)))
        self.cleanup_prefix(src)
        self.cleanup_prefix(dst)

    # --- case 4 -------------------------------------------------------------------------------------------------
    def case4(self) -> None:
        small, big = (16 * MiB, 256 * MiB) if self.quick else (200 * MiB, 10 * GiB)
        case = f"4 client cost {size_name(small)} vs {size_name(big)}"
        if not self.disk_ok(case, 3 * big):
            return
        keys = {s: PREFIX + f"c4-src-{size_name(s)}" for s in (small, big)}
        for s, k in keys.items():
            fx.ensure_object(self.s3, k, s)
        proxy = StreamingCountingProxy(fx.MINIO.endpoint)
        try:
            p = self.use_proxy(proxy)
            cs = [Contender(size_name(s), worker("ours-copy", src=ours_url(p, k), dst=ours_url(p, k + ".ours")),
                            self.env, (self.s3, BUCKET, k + ".ours"), proxy=proxy, size=s)
                  for s, k in keys.items()]
            res = run_interleaved(cs, self.runs, self.timeout(big))
        finally:
            proxy.close()
            fx.write_profiles(self.profiles, self.stores)
        self.raw[case] = res
        for s in (small, big):
            recs = res[size_name(s)]
            moved = median(recs, lambda r: r["proxy"]["bytes_in"] + r["proxy"]["bytes_out"])
            method = next((r.get("method") for r in recs if r.get("method")), "?")
            self.rows.append(compare(case, f"client bytes, {size_name(s)} ({method})", moved, "object size", s,
                                     "< 0.001", lambda o, p, r: r < 0.001))
        rss = {s: median(res[size_name(s)], lambda r: r["peak_rss"] / MiB) for s in (small, big)}
        self.rows.append(compare(case, f"peak RSS MiB, {size_name(big)}", rss[big], f"ours {size_name(small)}",
                                 rss[small], "<= 1.1", at_most(1.1)))
        self.cleanup(list(keys.values()))

    # --- case 5 -------------------------------------------------------------------------------------------------
    def case5(self, dst_store: fx.Store) -> None:
        size = 256 * MiB if self.quick else 4 * GiB
        case = f"5 stream {size_name(size)} minio->{'swift' if dst_store is fx.SWIFT else 'minio@localhost'}"
        if not self.disk_ok(case, 4 * size):  # source, destination, and boto3's temporary file
            return
        m, src = fx.MINIO, PREFIX + f"c5-src-{size_name(size)}"
        fx.ensure_object(self.s3, src, size)
        dclient = dst_store.boto3()
        fx.ensure_bucket(dclient)
        dst = PREFIX + f"c5-dst-{size_name(size)}"
        tmpdir = fx.CACHE / "bench" / "tmp"
        tmpdir.mkdir(parents=True, exist_ok=True)
        denv = {k: v for k, v in dst_store.env().items() if not k.startswith("AWS_")}
        cs = [
            Contender("ours", worker("ours-copy", src=ours_url(m, src), dst=ours_url(dst_store, dst + ".ours")),
                      self.env, (dclient, BUCKET, dst + ".ours")),
            Contender("rclone", self.rclone(f"{m.name}:{BUCKET}/{src}", f"{dst_store.name}:{BUCKET}/{dst}.rclone"),
                      {**self.env, **denv}, (dclient, BUCKET, dst + ".rclone")),
            # The source client signs with AWS_* (MinIO's keys), the destination with BENCH_DST_*.
            Contender("boto3", worker("boto3-downup", endpoint=m.endpoint, bucket=BUCKET, src=src,
                                      dst_endpoint=dst_store.endpoint, dst_bucket=BUCKET, dst=dst + ".boto3",
                                      tmpdir=tmpdir),
                      {**self.env, "BENCH_DST_KEY": dst_store.key, "BENCH_DST_SECRET": dst_store.secret},
                      (dclient, BUCKET, dst + ".boto3")),
        ]
        res = run_interleaved(sized(cs, size), self.runs, self.timeout(size) * 2)
        self.raw[case] = res
        tput = {k: median(v, lambda r: size / op_time(r) / MiB) for k, v in res.items()}
        ptput = {k: median(v, lambda r: size / proc_time(r) / MiB) for k, v in res.items()}
        method = next((r.get("method") for r in res["ours"] if r.get("method")), "?")
        self.rows.append(compare(case, f"MiB/s, process (ours: {method})", ptput["ours"], "rclone copyto",
                                 ptput["rclone"],
                                 ">= 0.9", at_least(0.9)))
        self.rows.append(compare(case, "MiB/s", tput["ours"], "boto3 down+up", tput["boto3"], ">= 1.2",
                                 at_least(1.2)))
        ok = [r for r in res["ours"] if r["ok"]]
        # The bound depends on the part size and concurrency the planner chose; taken from the result when it
        # says, else TransferConfig's default concurrency (8) and an assumed 8 MiB part.
        part = next((r["part_size"] for r in ok if r.get("part_size")), None)
        conc = next((r["concurrency"] for r in ok if r.get("concurrency")), 8)
        bound = ((part or 8 * MiB) * (conc + 2) + 100 * MiB) / MiB
        note = f"P={size_name(part) if part else '8MiB?'},C={conc}"
        self.rows.append(compare(case, "peak RSS MiB", median(res["ours"], lambda r: r["peak_rss"] / MiB),
                                 f"bound P*(C+2)+100MiB {note}", bound, "<= 1.0", at_most(1.0)))
        self.rows.append(compare(case, "peak RSS MiB", median(res["ours"], lambda r: r["peak_rss"] / MiB),
                                 "rclone", median(res["rclone"], lambda r: r["peak_rss"] / MiB), "shown", None))
        self.cleanup([src])  # destinations were deleted after each run

    def use_proxy(self, proxy: StreamingCountingProxy) -> fx.Store:
        """A profile `benchproxy` for MinIO through `proxy` (the Host header is kept, so signatures verify)."""
        p = fx.proxied(fx.MINIO, proxy.url)
        fx.write_profiles(self.profiles, self.stores + [p])
        self.env.update({k: v for k, v in p.env().items() if not k.startswith("AWS_")})
        return p

    # --- bookkeeping ----------------------------------------------------------------------------------------------
    def cleanup(self, keys: list[str]) -> None:
        if self.args.keep:
            return
        for k in keys:
            fx.delete_key(self.s3, k)

    def cleanup_prefix(self, prefix: str) -> None:
        if not self.args.keep:
            fx.delete_prefix(self.s3, prefix)

    def finish(self) -> None:
        if not self.args.keep:
            # The sync cases' source trees (100,000 objects take minutes to upload) stay for the next run
            import tree
            n = fx.delete_prefix(self.s3, PREFIX, keep=tuple(t["prefix"] for t in tree.TREES.values()))
            if self.args.swift:
                n += fx.delete_prefix(fx.SWIFT.boto3(), PREFIX)
            fx.log(f"deleted {n} leftover objects under {PREFIX}")
        for f in self.tmp.iterdir():
            f.unlink()
        self.tmp.rmdir()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, 1 run: a smoke test of the harness")
    ap.add_argument("--only", help="comma-separated case numbers, e.g. 1,3")
    ap.add_argument("--runs", type=int, help="runs per contender (default 5, --quick 1)")
    ap.add_argument("--swift", action="store_true", help="also run case 5 from MinIO to Swift's s3api")
    ap.add_argument("--keep", action="store_true", help="keep test objects on the servers for the next run")
    ap.add_argument("--no-peers", action="store_true", help="do not run bench/peers.sh (rclone/s5cmd cells ERR)")
    ap.add_argument("--mixed", action="store_true", help="also case 9: 1,000 objects, ~20 GiB (needs ~60 GiB free)")
    ap.add_argument("--contenders", help="comma-separated peers to run beside ours (e.g. aws,s5cmd); cells of the "
                                         "others are ERR")
    args = ap.parse_args()
    ONLY_CONTENDERS.update(args.contenders.split(",") if args.contenders else ())
    only = {int(x) for x in args.only.split(",")} if args.only else {1, 2, 3, 4, 5, 6, 7, 8} | (
        {9} if args.mixed else set())

    bindir = None
    if not args.no_peers and only & {2, 5, 6, 7, 8, 9}:
        import subprocess
        out = subprocess.run([str(HERE / "peers.sh")], stdout=subprocess.PIPE, text=True)
        bindir = Path(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else None
        if bindir is None:
            fx.log("bench/peers.sh failed: rclone and s5cmd cells will be ERR")
    fx.start_server("minio.sh")
    if args.swift:
        fx.start_server("swift-aio.sh")

    bench = Bench(args, bindir)
    started = time.strftime("%Y%m%dT%H%M%S")
    t0 = time.monotonic()
    try:
        steps: list[tuple[int, Callable[[], None]]] = [
            (1, bench.case1), (2, bench.case2), (3, bench.case3), (4, bench.case4),
            (5, lambda: bench.case5(fx.MINIO_OTHER))]
        if args.swift:
            steps.append((5, lambda: bench.case5(fx.SWIFT)))
        from sync_cases import SyncCases
        sync = SyncCases(bench, Contender, run_interleaved)
        steps += [(6, sync.case6), (7, sync.case7), (8, sync.case8), (9, sync.case9)]
        for n, step in steps:
            if n in only:
                fx.log(f"case {n} ...")
                try:
                    step()
                except Exception as e:  # noqa: BLE001 - a broken case (e.g. fixture upload) must not hide others
                    fx.log(f"case {n} failed: {type(e).__name__}: {e}")
                    bench.rows.append(Row(str(n), "(harness)", f"ERR: {type(e).__name__}: {e}", "-", "-", None,
                                          "-", "ERR"))
    finally:
        bench.finish()
    print(table(bench.rows))
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"{started}.json"
    peers = (bindir / "PEERS").read_text() if bindir and (bindir / "PEERS").exists() else ""
    path.write_text(json.dumps({
        "started": started, "elapsed_s": time.monotonic() - t0, "quick": args.quick, "runs": bench.runs,
        "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())}, "peers": peers,
        "rows": [r.__dict__ for r in bench.rows], "raw": bench.raw}, indent=1, default=str))
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
