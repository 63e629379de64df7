"""`objectcopy drift`: check a stack's resources without the engine, for a cron job in CI.

Reads the state `pulumi stack export` prints (or a file of it) and checks, concurrently, every resource of ours in
it, dynamic or provider plugin, with the resource's own core read, check and diff (core/drift.py): what a refresh
and the next preview would find, in the resource's own words (ResourceSchema.drift):

- CopiedObject: "destination changed" / "destination missing", and with track_source "source changed" / "source
  missing".
- CopiedPrefix: "destination changed" (objects it wrote edited or deleted, named) / "source changed".
- AnalyticsSnapshot: "snapshot missing" (deregistered; OAC_TOKEN or the client-credentials variables, as for the
  provider), and when the resource tracks its BAR, "BAR changed" / "BAR missing".
- EpmObjectStoreExport: "destination changed" / "destination missing" (the object written).
- EpmObjectStoreImport: "file missing" (EPM_USERNAME/EPM_PASSWORD or EPM_TOKEN), and with track_source "source
  changed" / "source missing".

AnalyticsSnapshotRestore declares no drift: a restore is an action, with nothing left behind to compare; the snapshot
it restored is checked through its AnalyticsSnapshot. A resource that cannot be checked is reported as "error" with
the message, never a traceback.
"""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable

from . import core, profiles
from .core.api import Context
from .core.drift import checks_drift, drift
from .errors import ObjectCopyError, UsageError

TYPE_PREFIX = "pulumi-python:dynamic/objectcopy:"
RESOURCE_TYPE = TYPE_PREFIX + "CopiedObject"
IN_SYNC, ERROR = "in sync", "error"


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
    state = checked_state(_pulumi("stack", "export", *selector), "pulumi stack export")
    try:
        config = json.loads(_pulumi("config", "--json", "--show-secrets", *selector) or "{}")
    except ValueError as e:
        raise UsageError(f"pulumi config --json printed something that is not JSON ({e})") from None
    if not isinstance(config, dict):
        raise UsageError("pulumi config --json printed no object of config keys")
    profiles.set_stack_config({k: v.get("value") for k, v in config.items()
                               if k.startswith("objectcopy:") and isinstance(v, dict) and "value" in v})
    return state


def load_state_file(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--state {path}: {getattr(e, 'strerror', None) or e}") from None
    return checked_state(text, f"--state {path}")


STATE_VERSION = 3  # what `pulumi stack export` writes (Pulumi 3); older exports differ in shape


def checked_state(text: str, where: str) -> dict:
    """A stack export, checked for the shape drift reads: {"version": 3, "deployment": {"resources": [{"urn",
    "type", "outputs"}, ...]}}. Anything else is one UsageError saying what the file is instead."""
    fix = "write it with `pulumi stack export --file FILE`"
    if not text.strip():
        raise UsageError(f"{where}: empty; {fix}")
    try:
        state = json.loads(text)
    except ValueError as e:
        raise UsageError(f"{where}: not JSON ({e}); {fix}") from None
    if not isinstance(state, dict) or "deployment" not in state:
        what = f"a JSON {type(state).__name__}" if not isinstance(state, dict) else "JSON with no 'deployment'"
        raise UsageError(f"{where}: {what}, not a stack export; {fix}")
    if state.get("version") != STATE_VERSION:
        raise UsageError(f"{where}: a stack export of version {state.get('version')!r}; drift reads version "
                         f"{STATE_VERSION}: re-export it with a current pulumi (`pulumi stack export --file FILE`)")
    resources = state["deployment"].get("resources") if isinstance(state["deployment"], dict) else ()
    if not isinstance(resources, list):
        raise UsageError(f"{where}: its deployment has no list of resources; {fix}")
    for n, resource in enumerate(resources):
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str) \
                or not isinstance(resource.get("type"), str) \
                or not isinstance(resource.get("outputs", {}), dict):
            raise UsageError(f"{where}: resource {n} is not a resource of a stack export (an object with a "
                             f"'urn', a 'type' and 'outputs'); {fix}")
    return state


# --- the resources: each checked by its own core read, check and diff (core/drift.py) ---------------------------------
# Type tokens: the dynamic resources' and the provider plugin's (whose outputs are camelCase).
DYNAMIC_PREFIX, PLUGIN_PREFIX = TYPE_PREFIX, "objectcopy:index:"


def _place(name: str, out: dict[str, Any]) -> str:
    """What the DESTINATION column shows for a resource."""
    if name == "AnalyticsSnapshot":
        return out.get("bar_object") or f"{out.get('name')} on {out.get('instance_url')}"
    if name == "EpmObjectStoreExport":
        return out.get("object_url") or ""
    if name == "EpmObjectStoreImport":
        return f"{out.get('file_name')} in {out.get('environment_url')}"
    return out.get("destination") or ""


def _checked(resource: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
    """(the core resource, its state in snake_case) for a resource of ours that drift checks, else None."""
    kind = resource.get("type") or ""
    name = kind[len(DYNAMIC_PREFIX):] if kind.startswith(DYNAMIC_PREFIX) else \
        kind[len(PLUGIN_PREFIX):] if kind.startswith(PLUGIN_PREFIX) else None
    if name not in core.RESOURCE_MODULES:
        return None
    found = core.resource(name)
    if not checks_drift(found):
        return None
    # The outputs, over the inputs the engine recorded (a state whose outputs leave some inputs out still checks)
    out = {k: v for k, v in {**(resource.get("inputs") or {}), **(resource.get("outputs") or {})}.items()
           if k != "__provider"}
    if kind.startswith(PLUGIN_PREFIX):
        snake = {p.camel: p.name for p in found.schema.props}
        out = {snake.get(k, k): v for k, v in out.items()}
    return found, out


def checked_resources(state: dict) -> list[dict[str, Any]]:
    """The live resources of the state that drift checks, by name (then type and URN): the same order every run,
    whatever order the engine last wrote them in."""
    resources = state.get("deployment", state).get("resources") or []
    live = [r for r in resources if not r.get("delete") and _checked(r) is not None]
    return sorted(live, key=lambda r: (_name(r), r.get("type", ""), r.get("urn", "")))


def _name(resource: dict[str, Any]) -> str:
    return resource.get("urn", "").rsplit("::", 1)[-1]


def copied_objects(state: dict) -> list[dict[str, Any]]:
    return [r for r in checked_resources(state) if r.get("type") == RESOURCE_TYPE]


def check_one(resource: dict[str, Any]) -> Finding:
    name = _name(resource)
    found, out = _checked(resource) or (None, {})
    destination = _place(found.schema.name, out) if found else ""
    try:
        result = drift(found, str(resource.get("id") or ""), out, Context())
        return Finding(name, destination, result.status, result.detail)
    except ObjectCopyError as e:
        return Finding(name, destination, ERROR, str(e))
    except Exception as e:  # noqa: BLE001 - state we do not understand: one finding, not a traceback
        return Finding(name, destination, ERROR, f"{type(e).__name__}: {e}")


def check_all(resources: Iterable[dict[str, Any]], concurrency: int = 16) -> list[Finding]:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(check_one, resources))


def kinds() -> str:
    """The resource types drift checks, for a message."""
    return ", ".join(name for name in core.RESOURCE_MODULES if checks_drift(core.resource(name)))


def table(findings: list[Finding]) -> str:
    rows = [("NAME", "STATUS", "DESTINATION", "DETAIL")] + [(f.name, f.status, f.destination, f.detail)
                                                          for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
                     for r in rows)
