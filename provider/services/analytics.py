"""Oracle Analytics Cloud snapshots (REST API 20210901): create or register a snapshot, restore one, and follow
the work requests they start, with the one waiter in jobs.py.

The bearer token is never a resource input: tokens expire, and a refresh or destroy may run months later. It comes
from OAC_TOKEN, or from an identity domain's client-credentials flow (OAC_IDCS_URL, OAC_CLIENT_ID,
OAC_CLIENT_SECRET, OAC_SCOPE), each time a client is made.
"""
from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import quote

import requests

from .. import jobs
from ..answers import json_body, without
from ..errors import BadAnswer, BadRequest, ConfigError, NotFound
from ..http import ERROR_CODES, Request, transport

API = "/api/20210901"
WORK_REQUEST_TIMEOUT = 4 * 3600.0  # a snapshot of a large instance takes a long time; the id is kept meanwhile


def wrap_private_key(pem: str) -> str:
    """The API wants the PEM, BEGIN/END lines included, base64-encoded (`ociPrivateKeyWrapped`)."""
    return base64.b64encode(pem.strip().encode() + b"\n").decode()


def parse_error(resp: requests.Response):
    if resp.status_code < 300:
        return None
    try:
        body = resp.json()
    except ValueError:
        body = {}
    code = body.get("code") if isinstance(body, dict) else None
    return code or {404: "NotFound", 401: "NotAuthenticated", 409: "Conflict"}.get(resp.status_code), (
        body.get("message") if isinstance(body, dict) else None) or resp.reason or "", resp.headers.get(
        "opc-request-id")


def token_from_environment() -> str:
    env = os.environ
    if env.get("OAC_TOKEN"):
        return env["OAC_TOKEN"]
    idcs, client, secret = env.get("OAC_IDCS_URL"), env.get("OAC_CLIENT_ID"), env.get("OAC_CLIENT_SECRET")
    if not (idcs and client and secret):
        raise ConfigError("no Oracle Analytics token: set OAC_TOKEN, or OAC_IDCS_URL, OAC_CLIENT_ID, "
                          "OAC_CLIENT_SECRET and OAC_SCOPE for the client-credentials flow")
    body = f"grant_type=client_credentials&scope={quote(env.get('OAC_SCOPE', ''), safe='')}".encode()
    auth = base64.b64encode(f"{client}:{secret}".encode()).decode()
    resp = transport().send(Request("POST", idcs.rstrip("/") + "/oauth2/v1/token",
                                    {"Authorization": f"Basic {auth}",
                                     "Content-Type": "application/x-www-form-urlencoded"}, body,
                                    context=f"token from {idcs}", idempotent=True),  # a new token is harmless
                            parse_error=parse_error)
    token = json_body(resp, f"token from {idcs}", dict).get("access_token")
    if not isinstance(token, str) or not token:
        raise without(resp, "an access_token", f"token from {idcs}")
    return token


@dataclass
class AnalyticsClient:
    instance_url: str
    token: Callable[[], str] = token_from_environment
    backoff: jobs.Backoff = jobs.Backoff()

    def _send(self, method: str, path: str, *, body: Mapping[str, Any] | None = None, query: str = "",
              context: str) -> requests.Response:
        url = self.instance_url.rstrip("/") + API + path + (f"?{query}" if query else "")
        headers = {"Authorization": f"Bearer {self.token()}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return transport().send(Request(method, url, headers, data, context=context), parse_error=parse_error)

    # --- snapshots ------------------------------------------------------------------------------------------------
    def create_snapshot(self, payload: Mapping[str, Any]) -> str:
        """POST a CREATE or REGISTER; the work request's id (header oa-work-request-id, or the body's)."""
        resp = self._send("POST", "/snapshots", body=payload, context=f"{payload.get('type')} snapshot "
                                                                       f"{payload.get('name')!r}")
        return _work_request_id(resp, f"{payload.get('type')} snapshot {payload.get('name')!r}")

    def snapshots(self) -> list[dict]:
        answer = self._send("GET", "/snapshots", context="list snapshots")
        items = json_body(answer, "list snapshots", dict).get("items")
        return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []

    def find_snapshot(self, name: str) -> dict | None:
        return next((s for s in self.snapshots() if s.get("name") == name), None)

    def get_snapshot(self, snapshot_id: str) -> dict:
        context = f"snapshot {snapshot_id}"
        return json_body(self._send("GET", f"/snapshots/{quote(snapshot_id, safe='')}", context=context), context, dict)

    def delete_snapshot(self, snapshot_id: str, *, delete_storage: bool) -> None:
        try:
            self._send("DELETE", f"/snapshots/{quote(snapshot_id, safe='')}",
                       query=f"deleteStorage={'true' if delete_storage else 'false'}",
                       context=f"delete snapshot {snapshot_id}")
        except NotFound:
            pass  # already gone: deleting it again is fine

    def restore(self, snapshot_id: str, password: str | None) -> str:
        body = {"snapshot": {"id": snapshot_id, **({"password": password} if password else {})}}
        resp = self._send("POST", "/system/actions/restoreSnapshot", body=body,
                          context=f"restore snapshot {snapshot_id}")
        return _work_request_id(resp, f"restore snapshot {snapshot_id}")

    def wait_for_snapshot(self, name: str, what: str, *, timeout: float = WORK_REQUEST_TIMEOUT,
                          cancelled: threading.Event | None = None) -> dict:
        """Follow a snapshot found by name (taken over from an interrupted run, its work request unknown) until it
        is ACTIVE. The instance drops a snapshot whose create failed, so one no longer listed has failed."""
        def poll() -> jobs.JobStatus:
            snap = self.find_snapshot(name)
            if snap is None:
                return jobs.JobStatus(jobs.FAILED, None, "it is no longer listed: its work request failed", {})
            state = str(snap.get("lifecycleState") or "ACTIVE")
            known = {"ACTIVE": jobs.SUCCEEDED, "CREATING": jobs.RUNNING, "UPDATING": jobs.RUNNING}
            return jobs.JobStatus(known.get(state, jobs.FAILED), None, None if state in known else
                                  f"it is {state}", snap)

        return jobs.wait(poll, what=f"{what} (taken over by name)", timeout=timeout, backoff=self.backoff,
                         cancelled=cancelled).raw

    # --- work requests --------------------------------------------------------------------------------------------
    def work_request(self, work_request_id: str) -> dict:
        """One GET of a work request: {id, operationType, status, percentComplete, resources, errors, ...}."""
        context = f"work request {work_request_id}"
        return json_body(self._send("GET", f"/workRequests/{quote(work_request_id, safe='')}", context=context),
                         context, dict)

    def wait(self, work_request_id: str, what: str, *, timeout: float = WORK_REQUEST_TIMEOUT,
             on_progress: Callable[[jobs.JobStatus], None] | None = None,
             cancelled: threading.Event | None = None) -> jobs.JobStatus:
        def poll() -> jobs.JobStatus:
            data = self.work_request(work_request_id)
            state = jobs.vendor_state(jobs.OAC_WORK_REQUEST, data.get("status", ""),
                                      f"{what}: work request {work_request_id}")
            errors = [e for e in data.get("errors") or [] if isinstance(e, dict)] \
                if isinstance(data.get("errors"), list) else []
            detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or None
            percent = data.get("percentComplete")
            percent = float(percent) if isinstance(percent, (int, float)) and not isinstance(percent, bool) else None
            return jobs.JobStatus(state, percent, detail, {**data, "error_codes": [e.get("code") for e in errors]})

        try:
            return jobs.wait(poll, what=f"{what} (work request {work_request_id})", timeout=timeout,
                             on_progress=on_progress, backoff=self.backoff, cancelled=cancelled)
        except jobs.JobFailed as e:
            kind = next((ERROR_CODES[c] for c in e.status.raw.get("error_codes", []) if c in ERROR_CODES),
                        BadRequest)
            raise kind(str(e)) from None


def _work_request_id(resp: requests.Response, context: str) -> str:
    wr = resp.headers.get("oa-work-request-id")
    if not wr:
        wr = json_body(resp, context, dict).get("workRequestId")
    if not isinstance(wr, str) or not wr:
        raise BadAnswer(f"{context}: answered HTTP {resp.status_code} without an oa-work-request-id header, and "
                        f"with a JSON object without a workRequestId", status=resp.status_code)
    return wr
