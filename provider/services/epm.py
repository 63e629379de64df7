"""Oracle EPM Cloud migration (interop) REST API: Copy To / Copy From Object Store v3, job status, files.

EPM's own credentials are never resource inputs: they come from EPM_USERNAME / EPM_PASSWORD (Basic; the user may be
`identitydomain.username`) or EPM_TOKEN (OAuth bearer) each time a client is made. The OCI API key that EPM needs to
reach the bucket travels in the request body, so it is a secret input of the resource instead.

Environment:
- EPM_USERNAME + EPM_PASSWORD, or EPM_TOKEN: EPM's credentials (above).
- OBJECTCOPY_EPM_FILE_FIELD: the name of the payload field that carries the file in Copy To Object Store v3.
  Oracle's v3 page as stored in seed 000 names it `filePath`, which is what this client sends by default; the v2
  API and other doc revisions use `fileName`. Set OBJECTCOPY_EPM_FILE_FIELD=fileName for an environment that
  refuses `filePath` (its error then names the missing or unknown parameter, and ours suggests this variable).

Copy From Object Store v3 takes, beside `url` and the credential fields, the name to give the file in the environment:
`fileName` (v2's name for it; EPM Automate's copyFromObjectStorage2 calls it targetFile). An environment answers a
request without it "EPM status 4: Invalid parameter: missing required parameter(s): fileName".

Assumptions not settled by Oracle's pages (specs/apis.md §6), each kept in one pure function in services/names.py (a
plan checks them without the HTTP client) and followed by the test emulator:
exported_object_name (the object Copy To writes when the URL names only the bucket), imported_file_name (the name
the environment lists an imported object under, by default) and copy_from_file_name (the `fileName` sent for it).
"""
from __future__ import annotations

import base64
import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote

import requests

from .. import jobs
from ..answers import json_body, without
from ..errors import AccessDenied, BadAnswer, ConfigError, NotFound, StoreError
from ..http import Request, transport

JOB_TIMEOUT = 4 * 3600.0

# The file field of Copy To Object Store v3: unconfirmed (apis.md §6). Seed 000 wins: `filePath`.
FILE_FIELD = "filePath"
FILE_FIELD_ENV = "OBJECTCOPY_EPM_FILE_FIELD"
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# An EPM error about a request parameter that concerns the file ("The required parameter 'filePath' is missing",
# "Unrecognized field fileName"). Only used to add a hint to the error, never to decide what the error is.
# EPM's own answer reads "Invalid parameter: missing required parameter(s): filePath".
_FILE_PARAMETER_PROBLEM = re.compile(r"(parameter|field|property|attribute|argument)(\(s\))?\W+\w*file|file\w*\W+"
                                     r"(parameter|field|property|attribute|argument)", re.IGNORECASE)


def file_field() -> str:
    """The payload field name for the file: OBJECTCOPY_EPM_FILE_FIELD when set, else FILE_FIELD."""
    name = os.environ.get(FILE_FIELD_ENV, "").strip() or FILE_FIELD
    if not _FIELD_NAME.match(name):
        raise ConfigError(f"{FILE_FIELD_ENV}={name!r} is not a JSON field name such as fileName or filePath")
    return name


def file_field_hint(message: str) -> str:
    """A sentence to add to an EPM error that names a missing or unknown file parameter, else ""."""
    if not _FILE_PARAMETER_PROBLEM.search(message):
        return ""
    sent = file_field()
    other = "filePath" if sent == "fileName" else "fileName"
    why = f"from {FILE_FIELD_ENV}" if sent != FILE_FIELD else "as Oracle's v3 page (seed 000) names it"
    return (f" (EPM's name for this field is unconfirmed: this client sends the file as `{sent}`, {why}; the "
            f"server may expect `{other}`: set {FILE_FIELD_ENV}={other} to send that instead)")


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
        "InvalidRequest" if resp.status_code < 500 else None)  # a 429 is a throttle whatever this says (http.py)
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
        # The triggers are POSTs: http.py does not send them again once they may have reached EPM (a lost
        # answer raises AnswerLost), since EPM offers no call to find a running job; an answered 5xx or 429 is
        # retried, as nothing was started.
        headers = credentials_from_environment()
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return transport().send(Request(method, self.environment_url.rstrip("/") + path, headers, data,
                                        context=context), parse_error=parse_error)

    def _job(self, resp: requests.Response, what: str) -> str:
        """The job id, from the link whose rel is "Job Status" (its href ends in /status/jobs/<id>)."""
        body = json_body(resp, what, dict)
        for link in body.get("links") if isinstance(body.get("links"), list) else []:
            if isinstance(link, dict) and str(link.get("rel") or "").lower() == "job status" \
                    and "/status/jobs/" in str(link.get("href") or ""):
                return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
        raise without(resp, f"a link of rel 'Job Status' (EPM status {body.get('status')!r})", what)

    def copy_to_object_store(self, *, file_path: str, url: str, tenancy: str, user: str, fingerprint: str,
                             private_key_pem: str) -> str:
        body = {file_field(): file_path, "url": url, "tenancyOcid": tenancy, "userOcid": user,
                "fingerprint": fingerprint, "privateKey": private_key_field(private_key_pem)}
        what = f"copy {file_path!r} to {url}"
        try:
            resp = self._send("POST", "/interop/rest/v3/objectstorage/copyto", body=body, context=what)
        except StoreError as e:
            hint = file_field_hint(str(e))
            if not hint:
                raise
            raise type(e)(f"{e}{hint}", status=e.status, code=e.code, request_id=e.request_id) from None
        return self._job(resp, what)

    def copy_from_object_store(self, *, url: str, file_name: str, tenancy: str, user: str, fingerprint: str,
                               private_key_pem: str) -> str:
        """Start copying the object at `url` into the environment as `file_name` (the `fileName` sent)."""
        body = {"url": url, "tenancyOcid": tenancy, "userOcid": user, "fingerprint": fingerprint,
                "privateKey": private_key_field(private_key_pem), "fileName": file_name}
        what = f"copy {url} into the environment"
        return self._job(self._send("POST", "/interop/rest/v3/objectstorage/copyfrom", body=body, context=what), what)

    def wait(self, job_id: str, what: str, *, timeout: float = JOB_TIMEOUT,
             cancelled: threading.Event | None = None) -> jobs.JobStatus:
        def poll() -> jobs.JobStatus:
            # A failed job answers a positive status: read it here rather than as an HTTP error.
            resp = transport().send(
                Request("GET", f"{self.environment_url.rstrip('/')}/interop/rest/v3/status/jobs/{quote(job_id)}",
                        credentials_from_environment(), context=f"EPM job {job_id}"),
                parse_error=lambda r: parse_error(r) if r.status_code >= 300 else None)
            body = json_body(resp, f"EPM job {job_id}", dict)
            status = body.get("status", -1)
            if not isinstance(status, int) or isinstance(status, bool):
                raise BadAnswer(f"EPM job {job_id}: answered a JSON object whose status is {status!r}, not a number")
            return jobs.JobStatus(jobs.epm_state(status), None, body.get("details"), body)

        return jobs.wait(poll, what=f"{what} (EPM job {job_id})", timeout=timeout, backoff=self.backoff,
                         cancelled=cancelled)

    def files(self) -> list[dict]:
        items = json_body(self._send("GET", "/interop/rest/11.1.2.3.600/applicationsnapshots",
                                     context="list EPM files"), "list EPM files", dict).get("items")
        return [f for f in items if isinstance(f, dict)] if isinstance(items, list) else []

    def find_file(self, name: str) -> dict | None:
        """The listing entry ({name, type, size, lastmodifiedtime}) of one file, or None when it is not listed."""
        return next((f for f in self.files() if f.get("name") == name), None)

    def delete_file(self, name: str) -> None:
        """Delete a file; one that is already gone is fine (EPM answers a positive status for it, not a 404, so
        the listing decides)."""
        try:
            self._send("DELETE", f"/interop/rest/11.1.2.3.600/applicationsnapshots/{quote(name, safe='')}",
                       context=f"delete EPM file {name!r}")
        except NotFound:
            pass
        except AccessDenied:
            raise
        except StoreError:
            if self.find_file(name) is not None:
                raise
