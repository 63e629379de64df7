"""`objectcopy drift`: check a stack's copies without the engine, for a cron job in CI.

Reads the state `pulumi stack export` prints (or a file of it), HEADs every CopiedObject's destination and source
concurrently, and compares them with what the resource recorded when it copied.
"""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable

from . import profiles, transfer
from .stores.base import NotFound, ObjectCopyError, UsageError
from .urls import URLError, parse

RESOURCE_TYPE = "pulumi-python:dynamic/objectcopy:CopiedObject"
IN_SYNC, DEST_CHANGED, DEST_MISSING, SOURCE_CHANGED, ERROR = (
    "in sync", "destination changed", "destination missing", "source changed", "error")


@dataclass(frozen=True)
class Finding:
    name: str
    destination: str
    status: str
    detail: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "destination": self.destination, "status": self.status, "detail": self.detail}


def _pulumi(*args: str) -> str:
    try:
        proc = subprocess.run(["pulumi", *args], capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise UsageError("the pulumi CLI is not on PATH; use --state FILE with the output of "
                         "`pulumi stack export`") from None
    if proc.returncode != 0:
        raise UsageError(f"pulumi {' '.join(args)} failed: {proc.stderr.strip()[:500]}")
    return proc.stdout


def load_stack(stack: str | None) -> dict:
    """The stack's state, and its `objectcopy:*` config so profiles defined there resolve as in the program."""
    selector = ["--stack", stack] if stack else []
    state = json.loads(_pulumi("stack", "export", *selector))
    config = json.loads(_pulumi("config", "--json", "--show-secrets", *selector) or "{}")
    profiles.set_stack_config({k: v.get("value") for k, v in config.items()
                               if k.startswith("objectcopy:") and isinstance(v, dict) and "value" in v})
    return state


def load_state_file(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"--state {path}: {e}") from None


def copied_objects(state: dict) -> list[dict[str, Any]]:
    resources = state.get("deployment", state).get("resources") or []
    return [r for r in resources if r.get("type") == RESOURCE_TYPE and not r.get("delete")]


def check_one(resource: dict[str, Any]) -> Finding:
    out = resource.get("outputs") or {}
    name = resource.get("urn", "").rsplit("::", 1)[-1]
    destination = out.get("destination") or ""
    try:
        try:
            live = transfer.head(parse(destination, field="destination"))
        except NotFound:
            return Finding(name, destination, DEST_MISSING, "deleted since the last update")
        if live.etag != out.get("written_etag"):
            return Finding(name, destination, DEST_CHANGED,
                           f"ETag {live.etag}, written {out.get('written_etag')}")
        if out.get("track_source", True):
            src = transfer.head(parse(out.get("source") or "", field="source"),
                                version_id=out.get("source_version_id"))
            if src.etag != out.get("source_etag"):
                return Finding(name, destination, SOURCE_CHANGED,
                               f"source ETag {src.etag}, copied {out.get('source_etag')}")
        return Finding(name, destination, IN_SYNC)
    except (ObjectCopyError, URLError) as e:
        return Finding(name, destination, ERROR, str(e))


def check_all(resources: Iterable[dict[str, Any]], concurrency: int = 16) -> list[Finding]:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(check_one, resources))


def table(findings: list[Finding]) -> str:
    rows = [("NAME", "STATUS", "DESTINATION", "DETAIL")] + [(f.name, f.status, f.destination, f.detail)
                                                          for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
                     for r in rows)
