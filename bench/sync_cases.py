"""Cases 6-9 of bench/run.py: a whole prefix kept in step (`objectcopy sync`, CopiedPrefix through the real pulumi
CLI) against `rclone copy/sync`, `s5cmd sync` and `aws s3 sync`, all at their defaults, on the local MinIO.

6. first copy of 100,000 x 1 KiB (bench/tree.py small100k): process wall time and peak RSS, each contender
   into its own destination prefix (emptied before each run); requests per object counted through the proxy on a
   2,000-object prefix (small2k), where the proxy's own cost stays small.
7. nothing changed: `objectcopy sync --dry-run` against `rclone sync --dry-run` (each on a destination it made
   itself, brought in step before the timed runs, untimed), listing requests only (counted); a no-op `pulumi up`
   of a stack holding one CopiedPrefix of the 100,000 (created by adopting the synced destination: no copy), the
   provider's peak RSS, and the state's size.
8. 100 of the 100,000 changed (the same 100 source keys rewritten before every run): only those copied.
9. 1,000 objects of 1 KiB to 256 MiB (~20 GiB, bench/tree.py mixed), first copy; only with --mixed and the disk.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import fixtures as fx
import tree
from fixtures import BUCKET, GiB, MiB
from report import Row, at_most, compare, median, proc_time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CHANGED = 100
DST = "bench/sync-dst/"
PEERS = ("ours", "rclone", "s5cmd", "aws")


class SyncCases:
    def __init__(self, bench: Any, contender_cls: Any, run_interleaved: Any):
        self.b, self.Contender, self.run = bench, contender_cls, run_interleaved
        self.quick = bench.quick
        self.big = "small2k" if self.quick else "small100k"
        self.objectcopy = str(Path(sys.executable).parent / "objectcopy")
        wanted = getattr(bench.args, "contenders", None)
        self.rclone_wanted = not wanted or "rclone" in wanted.split(",")

    # --- the contenders' commands ----------------------------------------------------------------------------
    def ours(self, src: str, dst: str, *flags: str, store: fx.Store = fx.MINIO) -> list[str]:
        return [self.objectcopy, "sync", f"s3://{store.name}@{BUCKET}/{src}", f"s3://{store.name}@{BUCKET}/{dst}",
                "--json", *flags]

    def rclone(self, verb: str, src: str, dst: str, *flags: str, store: fx.Store = fx.MINIO) -> list[str]:
        return [self.b.peer_bin("rclone") or "rclone-missing", verb, "--retries", "1", *flags,
                f"{store.name}:{BUCKET}/{src}", f"{store.name}:{BUCKET}/{dst}"]

    def s5cmd(self, src: str, dst: str, store: fx.Store = fx.MINIO) -> list[str]:
        return [self.b.peer_bin("s5cmd") or "s5cmd-missing", "--endpoint-url", store.endpoint, "sync",
                f"s3://{BUCKET}/{src}*", f"s3://{BUCKET}/{dst}"]

    def aws(self, src: str, dst: str, store: fx.Store = fx.MINIO) -> list[str]:
        return [self.b.peer_bin("aws") or "aws-missing", "--endpoint-url", store.endpoint, "s3", "sync",
                "--only-show-errors", f"s3://{BUCKET}/{src}", f"s3://{BUCKET}/{dst}"]

    def contenders(self, src: str, dst: str, store: fx.Store = fx.MINIO, proxy=None) -> list[Any]:
        C, env, s3 = self.Contender, self.b.env, self.b.s3
        return [C("ours", self.ours(src, dst + "ours/", store=store), env, dst_prefix=(s3, dst + "ours/"), proxy=proxy),
                C("rclone", self.rclone("copy", src, dst + "rclone/", store=store), env,
                  dst_prefix=(s3, dst + "rclone/"), proxy=proxy),
                C("s5cmd", self.s5cmd(src, dst + "s5cmd/", store), env, dst_prefix=(s3, dst + "s5cmd/"), proxy=proxy),
                C("aws", self.aws(src, dst + "aws/", store), env, dst_prefix=(s3, dst + "aws/"), proxy=proxy)]

    def tree(self, name: str) -> tuple[str, int]:
        spec = tree.TREES[name]
        t0 = time.monotonic()
        made = tree.ensure_small(self.b.s3, spec["prefix"], spec["count"]) if name.startswith("small") else \
            tree.ensure_mixed(self.b.s3, spec["prefix"], spec["count"])
        if made:
            fx.log(f"tree {name}: wrote {made} objects in {time.monotonic() - t0:.0f} s")
        return spec["prefix"], spec["count"]

    # --- case 6 ---------------------------------------------------------------------------------------------------
    def case6(self) -> None:
        src, n = self.tree(self.big)
        case = f"6 first copy {n:,} x 1KiB"
        res = self.run(self.contenders(src, DST + "c6/"), self.b.runs, 7200)
        self.b.raw[case] = res
        w = {k: median(res.get(k, []), proc_time) for k in PEERS}
        for peer, label in (("rclone", "rclone copy"), ("s5cmd", "s5cmd sync"), ("aws", "aws s3 sync")):
            self.b.rows.append(compare(case, "process wall s", w["ours"], label, w[peer], "<= 1.0", at_most(1.0)))
        rss = median(res["ours"], lambda r: r["peak_rss"] / MiB)
        self.b.rows.append(compare(case, "peak RSS MiB (ours)", rss, "limit", 200, "< 200 MiB", at_most(1.0)))
        for peer in PEERS[1:]:
            self.b.rows.append(compare(case, "peak RSS MiB", rss, peer,
                                       median(res.get(peer, []), lambda r: r["peak_rss"] / MiB), "shown", None))
        self.count_requests()

    def count_requests(self) -> None:
        """Requests per object for the same work, through the counting proxy, on a 2,000-object prefix."""
        src, n = self.tree("small2k")
        case = f"6 requests, first copy of {n:,}"
        from proxy import StreamingCountingProxy
        proxy = StreamingCountingProxy(fx.MINIO.endpoint)
        try:
            store = self.b.use_proxy(proxy)
            res = self.run(self.contenders(src, DST + "c6r/", store, proxy), 1, 1800)
        finally:
            proxy.close()
            fx.write_profiles(self.b.profiles, self.b.stores)
        self.b.raw[case] = res
        per = {k: median(res.get(k, []), lambda r: r["proxy"]["requests"] / n) for k in PEERS}
        for peer in PEERS[1:]:
            self.b.rows.append(compare(case, "requests per object", per["ours"], peer, per[peer], "<= 1.0",
                                       at_most(1.0)))
        self.b.cleanup_prefix(DST + "c6r/")

    # --- cases 7 and 8 ----------------------------------------------------------------------------------------------
    def in_step(self, src: str) -> dict[str, str]:
        """A destination per contender, brought in step by that contender (untimed): rclone records its own
        modification times on its copies, so only its own destination is in step for it."""
        dsts = {"ours": DST + "c7/ours/", "rclone": DST + "c7/rclone/"}
        # rclone's second pass settles what its first left (the modification times it records)
        rclone = [self.rclone("sync", src, dsts["rclone"])] * 2 if self.rclone_wanted else []
        for cmd in [self.ours(src, dsts["ours"])] + rclone:
            rec = fx.measure(cmd, self.b.env, 7200)
            if not rec["ok"]:
                raise RuntimeError(f"bringing {cmd[0]} in step failed: {rec.get('error')}")
        return dsts

    def case7(self) -> None:
        src, n = self.tree(self.big)
        case = f"7 nothing changed, {n:,}"
        dsts = self.in_step(src)
        C, env = self.Contender, self.b.env
        res = self.run([C("ours", self.ours(src, dsts["ours"], "--dry-run"), env),
                        C("rclone", self.rclone("sync", src, dsts["rclone"], "--dry-run"), env)], self.b.runs, 3600)
        self.b.raw[case] = res
        t_dry = median(res["ours"], proc_time)
        self.b.rows.append(compare(case, "dry run, process wall s", t_dry, "rclone sync --dry-run",
                                   median(res.get("rclone", []), proc_time), "<= 1.0", at_most(1.0)))
        self.listing_only(src, dsts["ours"], case)
        self.pulumi_noop(src, dsts["ours"], case, t_dry)

    def listing_only(self, src: str, dst: str, case: str) -> None:
        from proxy import StreamingCountingProxy
        proxy = StreamingCountingProxy(fx.MINIO.endpoint)
        try:
            store = self.b.use_proxy(proxy)
            rec = fx.measure(self.ours(src, dst, "--dry-run", store=store), self.b.env, 3600)
            stats = proxy.stats()
        finally:
            proxy.close()
            fx.write_profiles(self.b.profiles, self.b.stores)
        other = stats.get("requests", 0) - stats.get("listings", 0)
        self.b.rows.append(Row(case, "requests other than listings (dry run)", other, "-", "-", None, "0",
                               "PASS" if rec["ok"] and other == 0 else "FAIL"))
        self.b.rows.append(Row(case, "listing requests (dry run)", stats.get("listings", 0), "-", "-", None,
                               "shown", "INFO"))

    def case8(self) -> None:
        src, n = self.tree(self.big)
        case = f"8 {CHANGED} of {n:,} changed"
        dsts = self.in_step(src)
        keys = tree.small_keys(n)[:: n // CHANGED][:CHANGED]
        generation = [0]

        def change() -> None:
            generation[0] += 1
            for k in keys:
                self.b.s3.put_object(Bucket=BUCKET, Key=src + k, Body=f"changed {generation[0]} {k}".encode())

        C, env = self.Contender, self.b.env
        res = self.run([C("ours", self.ours(src, dsts["ours"]), env, before=change),
                        C("rclone", self.rclone("sync", src, dsts["rclone"]), env, before=change)], self.b.runs, 3600)
        self.b.raw[case] = res
        copied = [r.get("copied") for r in res["ours"] if r["ok"]]
        self.b.rows.append(compare(case, f"process wall s (ours copied {copied})", median(res["ours"], proc_time),
                                   "rclone sync", median(res.get("rclone", []), proc_time), "<= 1.0", at_most(1.0)))
        if any(c != CHANGED for c in copied):
            self.b.rows.append(Row(case, "objects copied", copied, "-", "-", None, f"= {CHANGED}", "FAIL"))

    # --- the stack --------------------------------------------------------------------------------------------------
    def pulumi_noop(self, src: str, dst: str, case: str, t_dry: float) -> None:
        from load import pulumi_bin
        from tests.lifecycle.test_pulumi_cli import Stack
        import tempfile
        work = Path(tempfile.mkdtemp(prefix="objectcopy-bench-stack-"))
        program = work / "program"
        program.mkdir()
        (program / "__main__.py").write_text(
            "import pulumi\nfrom pulumi_objectcopy import CopiedPrefix\nc = pulumi.Config()\n"
            "CopiedPrefix('golden', source=c.require('src'), destination=c.require('dst'))\n")
        stack = Stack(pulumi_bin(), work, program=program, name="bench")
        stack.env.update(self.b.env)
        stack.run("config", "set", "src", f"s3://bench@{BUCKET}/{src}")
        stack.run("config", "set", "dst", f"s3://bench@{BUCKET}/{dst}")
        first, provider_rss = self.timed_up(stack)
        self.b.rows.append(Row(case, "pulumi up creating the stack (adopts every object: no copy)", round(first, 1),
                               "-", "-", None, "shown", "INFO"))
        self.b.rows.append(compare(case, "provider peak RSS MiB", provider_rss / MiB, "limit", 200, "< 200 MiB",
                                   at_most(1.0)))
        times = [self.timed_up(stack)[0] for _ in range(self.b.runs)]
        skip = [self.timed_up(stack, "--skip-preview")[0] for _ in range(self.b.runs)]
        import statistics
        self.b.rows.append(compare(case, "no-op pulumi up s", statistics.median(times), "ours sync --dry-run", t_dry,
                                   "<= 1.5", at_most(1.5)))
        self.b.rows.append(compare(case, "no-op pulumi up --skip-preview s", statistics.median(skip),
                                   "ours sync --dry-run", t_dry, "shown", None))
        state = json.loads(stack.run("stack", "export").stdout)
        [res] = [r for r in state["deployment"]["resources"] if r["type"].endswith("CopiedPrefix")]
        self.b.rows.append(Row(case, "state size bytes (whole stack export)", len(json.dumps(state)), "-", "-", None,
                               "shown", "INFO"))
        self.b.rows.append(Row(case, "record bytes per object (`written`)",
                               round(len(res["outputs"]["written"]) / max(1, res["outputs"]["written_count"]), 2),
                               "-", "-", None, "shown", "INFO"))
        self.b.raw[case + " pulumi"] = {"first_up_s": first, "noop_up_s": times, "skip_preview_s": skip,
                                        "provider_peak_rss": provider_rss}

    def timed_up(self, stack: Any, *flags: str) -> tuple[float, int]:
        """`pulumi up`, its wall time, and the peak RSS of the provider process (polled from /proc)."""
        from tests.lifecycle.test_interrupted import _cmdline, _descendants
        t0 = time.monotonic()
        proc = subprocess.Popen(["pulumi", "--non-interactive", "up", "--yes", *flags], cwd=stack.dir,
                                env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        peak, done = [0], threading.Event()

        def poll() -> None:
            while not done.wait(0.1):
                for pid in _descendants(proc.pid):
                    if "pulumi.dynamic" in _cmdline(pid):
                        peak[0] = max(peak[0], fx._vm_hwm(pid))

        t = threading.Thread(target=poll, daemon=True)
        t.start()
        out, _ = proc.communicate(timeout=7200)
        wall = time.monotonic() - t0
        done.set()
        t.join()
        if proc.returncode != 0:
            raise RuntimeError(f"pulumi up failed:\n{out[-2000:]}")
        return wall, peak[0]

    # --- case 9 -----------------------------------------------------------------------------------------------------
    def case9(self) -> None:
        spec = tree.TREES["mixed"]
        total = sum(tree.mixed_sizes(spec["count"]))
        case = f"9 first copy {spec['count']:,} mixed ({total / GiB:.0f} GiB)"
        if not self.b.disk_ok(case, 3 * total):
            return
        src, n = self.tree("mixed")
        res = self.run(self.contenders(src, DST + "c9/"), self.b.runs, 7200)
        self.b.raw[case] = res
        w = {k: median(res.get(k, []), proc_time) for k in PEERS}
        for peer, label in (("rclone", "rclone copy"), ("s5cmd", "s5cmd sync"), ("aws", "aws s3 sync")):
            self.b.rows.append(compare(case, "process wall s", w["ours"], label, w[peer], "<= 1.0", at_most(1.0)))
        for c in ("ours", "rclone", "s5cmd", "aws"):
            self.b.cleanup_prefix(DST + f"c9/{c}/")

