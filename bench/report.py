"""The numbers side of bench/run.py: medians, ratios against goals, and the printed table."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Callable

from fixtures import GiB, MiB


@dataclass
class Row:
    case: str
    metric: str
    ours: Any
    peer_label: str
    peer: Any
    ratio: float | None
    goal: str
    verdict: str


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def size_name(n: int) -> str:
    return f"{n // GiB}GiB" if n % GiB == 0 else f"{n // MiB}MiB"


def median(recs: list[dict], key: Callable[[dict], float]) -> float | str:
    """Median of the runs, or an error string if any run failed: a copy that fails one time in five has not
    met a goal, however fast the other four were."""
    if not recs:
        return "ERR: no runs"
    failed = [r for r in recs if not r["ok"]]
    if failed:
        return f"ERR {len(failed)}/{len(recs)}: {failed[0].get('error', '?')[:150]}"
    return statistics.median(key(r) for r in recs)


def op_time(r: dict) -> float:
    return r.get("op_s", r["wall_s"])  # Python workers time the operation; binaries are timed as a process


def proc_time(r: dict) -> float:
    """The whole process, start-up included: the fair measure against a Go binary, which has no interpreter to
    start (against boto3, both sides start the same interpreter, so the operation alone is compared)."""
    return r["wall_s"]


def op_cpu(r: dict) -> float:
    return r.get("op_cpu_s", r["cpu_s"])


Check = Callable[[float, float, float], bool]  # (ours, peer, ratio) -> goal met


def at_most(limit: float) -> Check:
    return lambda ours, peer, ratio: ratio <= limit


def at_least(limit: float) -> Check:
    return lambda ours, peer, ratio: ratio >= limit


def compare(case: str, metric: str, ours: float | str, peer_label: str, peer: float | str, goal: str,
            check: Check | None) -> Row:
    """One table row; ratio is always ours/peer of the metric shown. No check: an INFO row (shown as is)."""
    if isinstance(ours, str) or isinstance(peer, str) or not peer:
        return Row(case, metric, ours, peer_label, peer, None, goal, "ERR" if check else "INFO")
    ratio = ours / peer
    verdict = "INFO" if check is None else "PASS" if check(ours, peer, ratio) else "FAIL"
    return Row(case, metric, ours, peer_label, peer, ratio, goal, verdict)


def table(rows: list[Row]) -> str:
    head = ["case", "metric", "ours", "peer", "peer value", "ratio", "goal", "result"]
    body = [[r.case, r.metric, fmt(r.ours), r.peer_label, fmt(r.peer), fmt(r.ratio) if r.ratio is not None else "-",
             r.goal, r.verdict] for r in rows]
    # Error texts can be long; cap a cell so the table stays readable (full text is in the JSON).
    body = [[c if len(c) <= 60 else c[:57] + "..." for c in row] for row in body]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(b) for b in body])
