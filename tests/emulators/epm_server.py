"""In-memory emulator of the Oracle EPM Cloud REST calls the EPM copier uses (specs/apis.md §6, seed 000).

    emu = start_epm({"admin": "pw"}, tokens={"tok"})
    emu.add_file("Artifact Snapshot", b"PK...", type="LCM")
    POST {emu.url}/interop/rest/v3/objectstorage/copyto   {"url", "tenancyOcid", "userOcid", "fingerprint",
                                                           "privateKey": base64(PEM), "filePath"}
    POST {emu.url}/interop/rest/v3/objectstorage/copyfrom {"url", "tenancyOcid", "userOcid", "fingerprint",
                                                           "privateKey", "fileName"}
    GET  {emu.url}/interop/rest/v3/status/jobs/<id>        -1, -1, then 0 (or > 0 with details)
    emu.objects[(namespace, bucket, object)] -> bytes;  emu.jobs -> [job records];  emu.fail_next_job(9, "boom")

Every answer is the EPM envelope {"status", "details", "items", "links"}. As in Oracle's own samples, which read
`status` from the body, operation errors come back as HTTP 200 with status > 0 (only auth uses HTTP 401 and an
unknown route HTTP 404), so a client that only checks the HTTP code is caught out.

As strict as the pages: every parameter they mark required must be there, a non-blank string, or the trigger answers
status 4 "Invalid parameter: missing required parameter(s): <names>" (as an EPM server does) and starts no job; a
parameter the page does not name answers status 4 "Invalid parameter: unknown parameter(s): <names>" (ASSUMPTION:
the pages list every parameter; refusing others catches a field our client names differently from the page).

Assumptions beyond apis.md and the seed (all marked ASSUMPTION below):
- copyto without /o/<object>: the object is the file's base name (after the last '/' or '\\') plus ".zip" for an
  LCM snapshot ("copied with its original name"; a snapshot's file is a zip).
- /o/<object> in the url is percent-decoded; copyfrom also accepts the Swift form .../v1/<ns>/<bucket>/<object>.
- copyfrom: the file gets the name in `fileName` (v2's name for it; EPM Automate's copyFromObjectStorage2 calls it
  targetFile); a name ending in ".zip" is a snapshot, "extracted on arrival" as an LCM entry without the ".zip".
- The private key must load as PEM and its public key's MD5 fingerprint must equal `fingerprint` (OCI would
  refuse the signature otherwise); both checks fail the job, not the trigger.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Mapping, MutableMapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives import serialization

CREDENTIALS = ("url", "tenancyOcid", "userOcid", "fingerprint", "privateKey")
REQUIRED = {"copyto": CREDENTIALS + ("filePath",),     # seed 000, Copy To Object Store (v3)
            "copyfrom": CREDENTIALS + ("fileName",)}   # Copy from Object Store (v3)
_NATIVE = re.compile(r"^https://objectstorage\.[a-z0-9-]+\.oraclecloud\.com/n/([^/]+)/b/([^/]+)(?:/o/(.+))?/?$")
_SWIFT = re.compile(r"^https://swiftobjectstorage\.[a-z0-9-]+\.oraclecloud\.com/v1/([^/]+)/([^/]+)/(.+)$")
POLLS_TO_FINISH = 3          # the job answers -1 on polls 1..2 and its outcome on poll 3


def _basename(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _fingerprint(private_pem: bytes) -> str:
    key = serialization.load_pem_private_key(private_pem, password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


class EpmEmulator:
    def __init__(self, users: Mapping[str, str], tokens: set[str] | None = None,
                 storage: MutableMapping[tuple[str, str, str], bytes] | None = None) -> None:
        self.users = dict(users)                        # username -> password (Basic)
        self.tokens = set(tokens or ())                 # bearer tokens
        self.files: dict[str, dict[str, Any]] = {}      # name -> {type, bytes, size, lastmodifiedtime}
        # the buckets: a dict, or an OCI emulator's objects (oci.OciEmulator.objects())
        self.objects: MutableMapping[tuple[str, str, str], bytes] = {} if storage is None else storage
        self.jobs: list[dict[str, Any]] = []            # {id, operation, user, request, status, details, polls}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self._fault: tuple[int, str] | None = None
        # Required parameters let through, for tests of state an older release wrote (v0.1.0 sent no fileName,
        # which a server following the page refuses): empty, the emulator is as strict as the page.
        self.not_required: set[str] = set()
        self._ids = itertools.count(1502357937045)
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"epm:{self.port}", daemon=True)
        self._thread.start()

    # -- test helpers -------------------------------------------------------------------------------------
    def add_file(self, name: str, data: bytes = b"", type: str = "EXTERNAL") -> None:  # noqa: A002
        with self._lock:
            self.files[name] = {"type": type, "bytes": data, "size": len(data),
                                "lastmodifiedtime": int(time.time() * 1000)}

    def fail_next_job(self, status: int = 1, details: str = "EPMCSS-00001: Job failed.") -> None:
        """Make the next triggered job (copyto or copyfrom) end with `status` > 0 and `details`, writing nothing."""
        with self._lock:
            self._fault = (status, details)

    def job(self, job_id: int | str) -> dict[str, Any]:
        return next(j for j in self.jobs if str(j["id"]) == str(job_id))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EpmEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- operations -----------------------------------------------------------------------------------------
    def authenticate(self, header: str | None) -> str | None:
        """The user name for a valid Authorization header, else None. Basic accepts `user` or
        `identitydomain.user` (a name in `users` is tried whole first, then without its domain prefix)."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return "<bearer>" if value.strip() in self.tokens else None
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        candidates = [user] + ([user.split(".", 1)[1]] if "." in user else [])
        return next((u for u in candidates if sep and self.users.get(u) == password), None)

    def trigger(self, operation: str, body: Any, user: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            return {"status": 1, "details": "Invalid request payload: a JSON object is expected."}
        missing = [n for n in REQUIRED[operation] if n not in self.not_required
                   and (not isinstance(body.get(n), str) or not body[n].strip())]
        if missing:
            return {"status": 4, "details": f"Invalid parameter: missing required parameter(s): {', '.join(missing)}"}
        unknown = sorted(set(body) - set(REQUIRED[operation]))
        if unknown:
            return {"status": 4, "details": f"Invalid parameter: unknown parameter(s): {', '.join(unknown)}"}
        with self._lock:
            job = {"id": next(self._ids), "operation": operation, "user": user, "request": dict(body),
                   "status": -1, "details": None, "polls": 0, "fault": self._fault}
            self._fault = None
            self.jobs.append(job)
        return {"status": -1, "details": None, "job": job}

    def poll(self, job: dict[str, Any]) -> None:
        with self._lock:
            if job["status"] != -1:
                return
            job["polls"] += 1
            if job["polls"] < POLLS_TO_FINISH:
                return
            status, details = job["fault"] or self._run(job)
            job["status"], job["details"] = status, details

    def _run(self, job: dict[str, Any]) -> tuple[int, str | None]:
        body = job["request"]
        try:
            pem = base64.b64decode(body["privateKey"], validate=True)
        except binascii.Error:
            return 1, "EPMLCM-14001: privateKey is not the base64-encoded content of a PEM file."
        if b"-----BEGIN" not in pem or b"PRIVATE KEY-----" not in pem:
            return 1, "EPMLCM-14001: privateKey is not the base64-encoded content of a PEM file."
        try:
            fingerprint = _fingerprint(pem)
        except (ValueError, TypeError) as exc:
            return 1, f"EPMLCM-14001: privateKey could not be loaded: {exc}"
        if fingerprint != body["fingerprint"].strip().lower():
            return 1, "EPMLCM-14002: Object Storage refused the request: NotAuthenticated (fingerprint mismatch)."
        url = body["url"].strip()
        match = _NATIVE.match(url) or (_SWIFT.match(url) if job["operation"] == "copyfrom" else None)
        if not match:
            return 1, f"EPMLCM-14003: Invalid Object Storage URL '{url}'."
        namespace, bucket, obj = match.group(1), match.group(2), unquote(match.group(3) or "")
        if job["operation"] == "copyto":
            name = body["filePath"]
            entry = self.files.get(name)
            if entry is None:
                return 1, f"EPMLCM-14004: File '{name}' does not exist in the environment."
            # ASSUMPTION: no /o/<object>: the base name, plus ".zip" for an LCM snapshot.
            obj = obj or _basename(name) + (".zip" if entry["type"] == "LCM" else "")
            self.objects[(namespace, bucket, obj)] = entry["bytes"]
            job["object"] = (namespace, bucket, obj)
            return 0, None
        if not obj:
            return 1, "EPMLCM-14003: The Object Storage URL must name the object to copy."
        data = self.objects.get((namespace, bucket, obj))
        if data is None:
            return 1, f"EPMLCM-14005: Object '{obj}' not found in bucket '{bucket}' (namespace '{namespace}')."
        # ASSUMPTION: "*.zip" is a snapshot, extracted as LCM and listed without the ".zip".
        # Without fileName (let through by not_required only), the file takes the object's name, as v0.1.0 assumed.
        name = (body.get("fileName") or _basename(obj)).strip()
        if name.lower().endswith(".zip"):
            self.add_file(name[:-4], data, type="LCM")
            job["file"] = name[:-4]
        else:
            self.add_file(name, data)
            job["file"] = name
        return 0, None

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"name": name, "type": f["type"],
                     "size": None if f["type"] == "LCM" else str(f["size"]),
                     "lastmodifiedtime": None if f["type"] == "LCM" else str(f["lastmodifiedtime"])}
                    for name, f in self.files.items()]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EPM-Emulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep pytest output quiet
        pass

    def _send(self, http_status: int, status: int, details: str | None = None, items: Any = None,
              links: list[dict[str, Any]] | None = None, **extra_headers: str) -> None:
        emu: EpmEmulator = self.server.emulator  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        self_link = {"rel": "self", "href": emu.url + path, "data": None, "action": self.command}
        body = json.dumps({"status": status, "details": details, "items": items,
                           "links": [self_link] + (links or [])}).encode()
        self.send_response(http_status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        emu: EpmEmulator = self.server.emulator  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        emu.requests.append((self.command, self.path, dict(self.headers.items()), raw))
        user = emu.authenticate(self.headers.get("Authorization"))
        if user is None:
            self._send(401, 9, "EPMCSS-00301: Failed to authenticate. Invalid credentials.",
                       WWW_Authenticate='Basic realm="EPM"')
            return
        path = urlsplit(self.path).path
        if self.command == "POST" and path in ("/interop/rest/v3/objectstorage/copyto",
                                               "/interop/rest/v3/objectstorage/copyfrom"):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            result = emu.trigger(path.rsplit("/", 1)[1], body, user)
            if result["status"] != -1:
                self._send(200, result["status"], result["details"])
                return
            href = f"{emu.url}/interop/rest/v3/status/jobs/{result['job']['id']}"
            self._send(200, -1, None, links=[{"rel": "Job Status", "href": href, "data": None, "action": "GET"}])
            return
        match = re.fullmatch(r"/interop/rest/v3/status/jobs/(\d+)", path)
        if self.command == "GET" and match:
            job = next((j for j in emu.jobs if str(j["id"]) == match.group(1)), None)
            if job is None:
                self._send(404, 8, f"EPMLCM-14006: Job {match.group(1)} not found.")
                return
            emu.poll(job)
            self._send(200, job["status"], job["details"] if job["status"] > 0 else None)
            return
        prefix = "/interop/rest/11.1.2.3.600/applicationsnapshots"
        if self.command == "GET" and path.rstrip("/") == prefix:
            self._send(200, 0, None, items=emu.listing())
            return
        if self.command == "DELETE" and path.startswith(prefix + "/"):
            name = unquote(path[len(prefix) + 1:])
            with emu._lock:
                found = emu.files.pop(name, None)
            if found is None:
                self._send(200, 8, f"EPMLCM-14007: File '{name}' does not exist.")
            else:
                self._send(200, 0, None)
            return
        self._send(404, 1, f"Unknown resource {self.command} {path}")

    do_GET = do_POST = do_DELETE = do_PUT = _handle


def start_epm(users: Mapping[str, str], tokens: set[str] | None = None,
              storage: MutableMapping[tuple[str, str, str], bytes] | None = None) -> EpmEmulator:
    return EpmEmulator(users, tokens, storage)
