"""Oracle EPM Cloud migration (interop) REST API: Copy To / Copy From Object Store v3, job status, files.

EPM's own credentials are never resource inputs: they come from EPM_USERNAME / EPM_PASSWORD (Basic; the user may be
`identitydomain.username`) or EPM_TOKEN (OAuth bearer) each time a client is made. The OCI API key that EPM needs to
reach the bucket travels in the request body, so it is a secret input of the resource instead.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote

import requests

from .. import jobs
from ..http import Request, transport
from ..stores.base import BadRequest, ConfigError, NotFound

JOB_TIMEOUT = 4 * 3600.0


def parse_error(resp: requests.Response):
    """EPM answers {"status", "details", ...}: a 4xx/5xx, or a positive status in a 200, is an error."""
    try:
        body = resp.json()
    except ValueError:
        body = {}
    status = body.get("status") if isinstance(body, dict) else None
    if resp.status_code < 300 and not (isinstance(status, int) and status > 0):
        return None
    code = {401: "NotAuthenticated", 403: "AccessDenied", 404: "NotFound"}.get(resp.status_code) or (
        "InvalidRequest" if resp.status_code < 500 else None)
    detail = (body.get("details") if isinstance(body, dict) else None) or resp.reason or ""
    return code, f"EPM status {status}: {detail}" if status is not None else detail, None


def credentials_from_environment() -> dict[str, str]:
    env = os.environ
    if env.get("EPM_TOKEN"):
        return {"Authorization": f"Bearer {env['EPM_TOKEN']}"}
    if env.get("EPM_USERNAME") and env.get("EPM_PASSWORD"):
        basic = base64.b64encode(f"{env['EPM_USERNAME']}:{env['EPM_PASSWORD']}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    raise ConfigError("no EPM credentials: set EPM_USERNAME and EPM_PASSWORD (identitydomain.username where the "
                      "environment needs it), or EPM_TOKEN")


def private_key_field(pem: str) -> str:
    """The seed (000) sends `privateKey` as the base64 of the PEM file's content."""
    return base64.b64encode(pem.strip().encode() + b"\n").decode()


@dataclass
class EpmClient:
    environment_url: str
    backoff: jobs.Backoff = jobs.Backoff()

    def _send(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
              context: str) -> requests.Response:
        headers = credentials_from_environment()
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return transport().send(Request(method, self.environment_url.rstrip("/") + path, headers, data,
                                        context=context), parse_error=parse_error)

    def _job(self, resp: requests.Response, what: str) -> str:
        """The job id, from the link whose rel is "Job Status" (its href ends in /status/jobs/<id>)."""
        body = resp.json()
        for link in body.get("links") or []:
            if (link.get("rel") or "").lower() == "job status" and "/status/jobs/" in (link.get("href") or ""):
                return link["href"].rstrip("/").rsplit("/", 1)[-1]
        raise BadRequest(f"{what}: EPM accepted the request but linked no job status (status {body.get('status')})")

    def copy_to_object_store(self, *, file_path: str, url: str, tenancy: str, user: str, fingerprint: str,
                             private_key_pem: str) -> str:
        body = {"filePath": file_path, "url": url, "tenancyOcid": tenancy, "userOcid": user,
                "fingerprint": fingerprint, "privateKey": private_key_field(private_key_pem)}
        what = f"copy {file_path!r} to {url}"
        return self._job(self._send("POST", "/interop/rest/v3/objectstorage/copyto", body=body, context=what), what)

    def copy_from_object_store(self, *, url: str, tenancy: str, user: str, fingerprint: str,
                               private_key_pem: str) -> str:
        body = {"url": url, "tenancyOcid": tenancy, "userOcid": user, "fingerprint": fingerprint,
                "privateKey": private_key_field(private_key_pem)}
        what = f"copy {url} into the environment"
        return self._job(self._send("POST", "/interop/rest/v3/objectstorage/copyfrom", body=body, context=what),
                         what)

    def wait(self, job_id: str, what: str, *, timeout: float = JOB_TIMEOUT) -> jobs.JobStatus:
        def poll() -> jobs.JobStatus:
            # A failed job answers a positive status: read it here rather than as an HTTP error.
            resp = transport().send(
                Request("GET", f"{self.environment_url.rstrip('/')}/interop/rest/v3/status/jobs/{quote(job_id)}",
                        credentials_from_environment(), context=f"EPM job {job_id}"),
                parse_error=lambda r: parse_error(r) if r.status_code >= 300 else None)
            body = resp.json()
            status = int(body.get("status", -1))
            return jobs.JobStatus(jobs.epm_state(status), None, body.get("details"), body)

        return jobs.wait(poll, what=f"{what} (EPM job {job_id})", timeout=timeout, backoff=self.backoff)

    def files(self) -> list[dict]:
        return self._send("GET", "/interop/rest/11.1.2.3.600/applicationsnapshots",
                          context="list EPM files").json().get("items") or []

    def delete_file(self, name: str) -> None:
        try:
            self._send("DELETE", f"/interop/rest/11.1.2.3.600/applicationsnapshots/{quote(name, safe='')}",
                       context=f"delete EPM file {name!r}")
        except NotFound:
            pass
