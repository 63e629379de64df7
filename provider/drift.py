"""`objectcopy drift`: check a stack's resources without the engine, for a cron job in CI.

Reads the state `pulumi stack export` prints (or a file of it) and checks, concurrently, every resource whose type
has a checker in CHECKERS against what the resource recorded when it last wrote:

- CopiedObject: the destination's ETag against `written_etag` ("destination changed" / "destination missing"),
  and with track_source the source's against `source_etag` ("source changed").
- CopiedPrefix: the destination listed against the record of what the resource wrote ("destination changed":
  objects edited or deleted, named), then the source's listing against `source_digest` ("source changed").
- AnalyticsSnapshot: the snapshot still registered with the instance ("snapshot missing"; OAC_TOKEN or the
  client-credentials variables, as for the provider), and when the resource tracks its BAR, the ETag of
  `bar_object` against `registered_bar_etag` ("BAR changed" / "BAR missing").
- EpmObjectStoreExport: the object written (`object_url`) against `written_etag` ("destination changed" /
  "destination missing").
- EpmObjectStoreImport: `file_name` still listed by the environment ("file missing"; EPM_USERNAME/EPM_PASSWORD
  or EPM_TOKEN), and with track_source the source object (`url`, read with `object_profile`) against
  `source_etag` ("source changed" / "source missing").

AnalyticsSnapshotRestore is not listed: a restore is an action, with nothing left behind to compare; the snapshot it
restored is checked through its AnalyticsSnapshot. A resource that cannot be checked is reported as "error" with the
message, never a traceback.
"""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from . import profiles, transfer
from .stores.base import NotFound, ObjectCopyError, UsageError, same_etag
from .urls import URLError, parse

TYPE_PREFIX = "pulumi-python:dynamic/objectcopy:"
RESOURCE_TYPE = TYPE_PREFIX + "CopiedObject"
IN_SYNC, DEST_CHANGED, DEST_MISSING, SOURCE_CHANGED, ERROR = (
    "in sync", "destination changed", "destination missing", "source changed", "error")
SNAPSHOT_MISSING, BAR_CHANGED, BAR_MISSING, FILE_MISSING, SOURCE_MISSING = (
    "snapshot missing", "BAR changed", "BAR missing", "file missing", "source missing")


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


# --- the checkers: outputs in, (status, detail) out; a failed call raises --------------------------------------------
def _etag_check(url: str | None, field: str, recorded: str | None, *, changed: str, missing: str,
                done: str) -> tuple[str, str] | None:
    """None when the object at `url` still has the ETag recorded, else the status and detail to report. `done`:
    what the resource did when it recorded the ETag (written, registered, copied)."""
    try:
        live = transfer.head(parse(url or "", field=field))
    except NotFound:
        return missing, f"deleted since it was {done}"
    if not same_etag(live.etag, recorded):
        return changed, f"ETag {live.etag}, {done} {recorded}"
    return None


def check_copied_object(resource: dict[str, Any], out: dict[str, Any]) -> tuple[str, str]:
    destination = out.get("destination")
    found = _etag_check(destination, "destination", out.get("written_etag"), changed=DEST_CHANGED,
                        missing=DEST_MISSING, done="written")
    if found:
        return found
    if out.get("track_source", True):
        src = transfer.head(parse(out.get("source") or "", field="source"), version_id=out.get("source_version_id"))
        if not same_etag(src.etag, out.get("source_etag")):
            return SOURCE_CHANGED, f"source ETag {src.etag}, copied {out.get('source_etag')}"
    return IN_SYNC, ""


def check_analytics_snapshot(resource: dict[str, Any], out: dict[str, Any]) -> tuple[str, str]:
    from .services.analytics import AnalyticsClient
    snapshot_id = out.get("snapshot_id") or resource.get("id") or ""
    try:
        AnalyticsClient(out.get("instance_url") or "").get_snapshot(snapshot_id)
    except NotFound:
        return SNAPSHOT_MISSING, f"snapshot {out.get('name')!r} ({snapshot_id}) is no longer registered"
    except ObjectCopyError as e:
        return ERROR, f"Oracle Analytics instance {out.get('instance_url')}: {e}"
    if not out.get("registered_bar_etag"):
        return IN_SYNC, "BAR not tracked (no registered_bar_etag: see object_profile)"
    return _etag_check(out.get("bar_object"), "bar_object", out.get("registered_bar_etag"), changed=BAR_CHANGED,
                       missing=BAR_MISSING, done="registered") or (IN_SYNC, "")


def check_epm_export(resource: dict[str, Any], out: dict[str, Any]) -> tuple[str, str]:
    return _etag_check(out.get("object_url"), "object_url", out.get("written_etag"), changed=DEST_CHANGED,
                       missing=DEST_MISSING, done="written") or (IN_SYNC, "")


def check_epm_import(resource: dict[str, Any], out: dict[str, Any]) -> tuple[str, str]:
    from .services.buckets import parse_bucket_url
    from .services.epm import EpmClient
    name = out.get("file_name") or ""
    try:
        listed = {item.get("name") for item in EpmClient(out.get("environment_url") or "").files()}
    except ObjectCopyError as e:
        return ERROR, f"EPM environment {out.get('environment_url')}: {e}"
    if name not in listed and not (name.endswith(".zip") and name[:-4] in listed):  # a snapshot is unzipped
        return FILE_MISSING, f"{name!r} is no longer in the environment's files"
    if out.get("track_source", True):
        source = parse_bucket_url(out.get("url") or "", field="url", swift=True)
        if not source.object:
            raise URLError(f"url: {out.get('url')!r} names no object")
        found = _etag_check(str(source.oci(out.get("object_profile"))), "url", out.get("source_etag"),
                            changed=SOURCE_CHANGED, missing=SOURCE_MISSING, done="imported")
        if found:
            return found
    return IN_SYNC, ""


def check_copied_prefix(resource: dict[str, Any], out: dict[str, Any]) -> tuple[str, str]:
    from .core.copied_prefix import drift_status
    side, detail = drift_status(out)
    return {"destination": DEST_CHANGED, "source": SOURCE_CHANGED}.get(side, IN_SYNC), detail


def _snapshot_place(out: dict[str, Any]) -> str:
    return out.get("bar_object") or f"{out.get('name')} on {out.get('instance_url')}"


# type token -> (checker, what the DESTINATION column shows)
Checker = Callable[[dict[str, Any], dict[str, Any]], tuple[str, str]]
CHECKERS: dict[str, tuple[Checker, Callable[[dict[str, Any]], str]]] = {
    RESOURCE_TYPE: (check_copied_object, lambda o: o.get("destination") or ""),
    TYPE_PREFIX + "AnalyticsSnapshot": (check_analytics_snapshot, _snapshot_place),
    TYPE_PREFIX + "EpmObjectStoreExport": (check_epm_export, lambda o: o.get("object_url") or ""),
    TYPE_PREFIX + "EpmObjectStoreImport": (check_epm_import,
                                           lambda o: f"{o.get('file_name')} in {o.get('environment_url')}"),
    TYPE_PREFIX + "CopiedPrefix": (check_copied_prefix, lambda o: o.get("destination") or ""),
}


def checked_resources(state: dict) -> list[dict[str, Any]]:
    """The live resources of the state that have a checker, by name (then type and URN): the same order every run,
    whatever order the engine last wrote them in."""
    resources = state.get("deployment", state).get("resources") or []
    live = [r for r in resources if r.get("type") in CHECKERS and not r.get("delete")]
    return sorted(live, key=lambda r: (_name(r), r.get("type", ""), r.get("urn", "")))


def _name(resource: dict[str, Any]) -> str:
    return resource.get("urn", "").rsplit("::", 1)[-1]


def copied_objects(state: dict) -> list[dict[str, Any]]:
    return [r for r in checked_resources(state) if r.get("type") == RESOURCE_TYPE]


def check_one(resource: dict[str, Any]) -> Finding:
    out = resource.get("outputs") or {}
    name = _name(resource)
    checker, place = CHECKERS.get(resource.get("type"), CHECKERS[RESOURCE_TYPE])
    destination = str(place(out))
    try:
        status, detail = checker(resource, out)
        return Finding(name, destination, status, detail)
    except ObjectCopyError as e:
        return Finding(name, destination, ERROR, str(e))
    except Exception as e:  # noqa: BLE001 - state we do not understand: one finding, not a traceback
        return Finding(name, destination, ERROR, f"{type(e).__name__}: {e}")


def check_all(resources: Iterable[dict[str, Any]], concurrency: int = 16) -> list[Finding]:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(check_one, resources))


def table(findings: list[Finding]) -> str:
    rows = [("NAME", "STATUS", "DESTINATION", "DETAIL")] + [(f.name, f.status, f.destination, f.detail)
                                                          for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
                     for r in rows)
