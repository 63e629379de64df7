"""In-memory emulator of the Oracle Analytics Cloud snapshots API 20210901 (apis.md section 7).

    emu = start_oac({"good-token"})
    emu.url                       # http://127.0.0.1:<port>; the API lives under emu.api (= url + /api/20210901)
    emu.bars[("ns", "bucket", "folder/name.bar")] = bar_bytes("Passw0rd")   # a BAR already in storage
    emu.snapshots                 # id -> Snapshot (CREATING until its work request succeeds, then ACTIVE)
    emu.restored                  # snapshot ids restored, in order
    emu.fail_next_work_request("InternalServerError", "boom")   # the next work request ends FAILED
    emu.fail_next_request(500, "InternalServerError", "boom")   # the next authenticated request gets this
    emu.requests                  # [OacRequest(method, path, headers, body)]; emu.before_request(emu, req) hook
    emu.stop()

Work requests advance per GET /workRequests/{id}, never on wall time: with `polls_to_finish` = 4 (the default)
the polls see ACCEPTED 0%, IN_PROGRESS 33.3%, IN_PROGRESS 66.7%, then SUCCEEDED/FAILED 100%. The operation's
effect (BAR written, snapshot ACTIVE, restore recorded) happens when the terminal state is first reported.
"""
from __future__ import annotations

import base64
import collections
import hashlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

API_PREFIX = "/api/20210901"
DEFAULT_NAMESPACE = "oacemulatorns"     # the bucket's namespace when bucketOciNamespace is not given
PASSWORD_RULE = ("bar.password must be between 8 and 50 characters long and contain at least one numeric "
                 "character, one uppercase letter, and one lowercase letter")
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED")
BarKey = tuple[str, str, str]           # (namespace, bucket, object name)


class OacError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def password_ok(password: str) -> bool:
    return (8 <= len(password) <= 50 and any(c.isdigit() for c in password)
            and any(c.isupper() for c in password) and any(c.islower() for c in password))


def bar_bytes(password: str | None, name: str = "snapshot") -> bytes:
    """The content of a BAR file as this emulator writes it: a JSON header carrying the password's digest
    (so a registered BAR can be restored only with its password), then filler."""
    digest = None if password is None else hashlib.sha256(password.encode()).hexdigest()
    return json.dumps({"oacBar": 1, "name": name, "passwordSha256": digest}).encode() + b"\n" + b"\0" * 64


def _bar_password_digest(data: bytes) -> str | None:
    try:
        header = json.loads(data.split(b"\n", 1)[0])
        assert header["oacBar"] == 1
        return header["passwordSha256"]
    except Exception as e:  # noqa: BLE001
        raise OacError(400, "InvalidBar", "the BAR file is not a valid snapshot archive") from e


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


@dataclass
class Snapshot:
    id: str
    name: str
    description: str
    type: str                          # CREATE | REGISTER: how it came to be
    bar_key: BarKey
    bar_uri: str
    storage: dict[str, Any]            # as posted, minus the auth secrets
    time_created: str
    lifecycle_state: str = "CREATING"  # CREATING -> ACTIVE
    password: str | None = None        # CREATE only

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description, "type": self.type,
                "storage": self.storage, "bar": {"uri": self.bar_uri}, "timeCreated": self.time_created,
                "lifecycleState": self.lifecycle_state}


@dataclass
class WorkRequest:
    id: str
    operation_type: str                # CREATE_SNAPSHOT | RESTORE_SNAPSHOT
    resource_type: str                 # SNAPSHOT | SYSTEM
    resource_id: str
    finish: Callable[[], None]         # the effect; raises OacError to fail the work request
    injected: tuple[str, str] | None = None
    status: str = "ACCEPTED"
    percent: float = 0.0
    polls: int = 0
    action_result: str = "IN_PROGRESS"
    errors: list[dict[str, str]] = field(default_factory=list)
    time_accepted: str = field(default_factory=_now)
    time_started: str | None = None
    time_finished: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "operationType": self.operation_type, "status": self.status,
               "percentComplete": self.percent,
               "resources": [{"actionResult": self.action_result, "id": self.resource_id,
                              "resourceType": self.resource_type, "metadata": {}}],
               "timeAccepted": self.time_accepted, "errors": self.errors}
        if self.time_started:
            out["timeStarted"] = self.time_started
        if self.time_finished:
            out["timeFinished"] = self.time_finished
        return out


@dataclass(frozen=True)
class OacRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class OacEmulator:
    def __init__(self, tokens: set[str], storage: MutableMapping[BarKey, bytes] | None = None,
                 namespace: str = DEFAULT_NAMESPACE) -> None:
        self.tokens = set(tokens)
        self.snapshots: dict[str, Snapshot] = {}
        # the buckets BAR files live in: a dict, or an OCI emulator's objects (oci.OciEmulator.objects())
        self.bars: MutableMapping[BarKey, bytes] = {} if storage is None else storage
        self.namespace = namespace  # the bucket's namespace when bucketOciNamespace is not given
        self.restored: list[str] = []
        self.work_requests: dict[str, WorkRequest] = {}
        self.requests: list[OacRequest] = []
        self.before_request: Callable[[OacEmulator, OacRequest], None] | None = None
        self.polls_to_finish = 4
        self._wr_faults: collections.deque[tuple[str, str]] = collections.deque()
        self._http_faults: collections.deque[OacError] = collections.deque()
        self._ids = itertools.count(100)
        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = self.url + API_PREFIX
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"oac:{self.port}", daemon=True)
        self._thread.start()

    # -- test controls ----------------------------------------------------------------------------
    def fail_next_work_request(self, code: str = "InternalServerError",
                               message: str = "The operation failed.") -> None:
        """The next work request created ends FAILED with errors [{code, message}], without its effect."""
        with self.lock:
            self._wr_faults.append((code, message))

    def fail_next_request(self, status: int = 500, code: str = "InternalServerError",
                          message: str = "Internal server error.") -> None:
        """The next authenticated request is answered `status` {code, message}, doing nothing."""
        with self.lock:
            self._http_faults.append(OacError(status, code, message))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OacEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- operations (called with the lock held) ----------------------------------------------------
    def _new_work_request(self, op: str, rtype: str, rid: str, finish: Callable[[], None]) -> WorkRequest:
        n = next(self._ids)
        wr = WorkRequest(f"lfc-c2:{n}-cd:{uuid.uuid4().int % 1000}", op, rtype, rid, finish,
                         self._wr_faults.popleft() if self._wr_faults else None)
        self.work_requests[wr.id] = wr
        return wr

    def create_snapshot(self, body: Any) -> WorkRequest:
        if not isinstance(body, dict):
            raise OacError(400, "InvalidParameter", "the request body must be a JSON object")
        kind = body.get("type")
        if kind not in ("CREATE", "REGISTER"):
            raise OacError(400, "InvalidParameter", "type must be CREATE or REGISTER")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise OacError(400, "InvalidParameter", "name is required")
        storage = body.get("storage")
        if not isinstance(storage, dict) or storage.get("type") != "OCI_NATIVE":
            raise OacError(400, "InvalidParameter", "storage.type must be OCI_NATIVE")
        bucket = storage.get("bucket")
        if not isinstance(bucket, str) or not bucket:
            raise OacError(400, "InvalidParameter", "storage.bucket is required")
        auth = storage.get("auth")
        if not isinstance(auth, dict) or auth.get("type") not in ("OSS_AUTH_OCI_USER_ID", "OCI_RESOURCE_PRINCIPAL"):
            raise OacError(400, "InvalidParameter",
                           "storage.auth.type must be OSS_AUTH_OCI_USER_ID or OCI_RESOURCE_PRINCIPAL")
        if auth["type"] == "OSS_AUTH_OCI_USER_ID":
            for key in ("ociRegion", "ociTenancyId", "ociUserId", "ociKeyFingerprint", "ociPrivateKeyWrapped"):
                if not isinstance(auth.get(key), str) or not auth[key]:
                    raise OacError(400, "InvalidParameter", f"storage.auth.{key} is required")
            try:
                pem = base64.b64decode(auth["ociPrivateKeyWrapped"], validate=True)
            except ValueError:
                pem = b""
            if b"-----BEGIN" not in pem or b"-----END" not in pem:
                raise OacError(400, "InvalidParameter", "storage.auth.ociPrivateKeyWrapped must be the base64 "
                                                        "of a PEM private key including its BEGIN/END lines")
        bar = body.get("bar")
        uri = bar.get("uri") if isinstance(bar, dict) else None
        if not isinstance(uri, str) or not uri.startswith("file:///") or not uri[len("file:///"):].strip("/"):
            raise OacError(400, "InvalidParameter", "bar.uri must be file:///<folder>/<name>.bar")
        password = bar.get("password")
        if password is not None and not isinstance(password, str):
            raise OacError(400, "InvalidParameter", "bar.password must be a string")
        if kind == "CREATE" and password is not None and not password_ok(password):
            raise OacError(400, "InvalidParameter", PASSWORD_RULE)
        if any(s.name == name for s in self.snapshots.values()):
            raise OacError(409, "Conflict", f"a snapshot named {name!r} already exists")
        key: BarKey = (storage.get("bucketOciNamespace") or self.namespace, bucket,
                       uri[len("file:///"):].lstrip("/"))
        public_storage = {k: v for k, v in storage.items() if k != "auth"}
        public_storage["auth"] = {"type": auth["type"]}
        snap = Snapshot(uuid.uuid4().hex.upper(), name, str(body.get("description") or ""), kind, key, uri,
                        public_storage, _now(), password=password if kind == "CREATE" else None)
        self.snapshots[snap.id] = snap

        def finish() -> None:
            if snap.id not in self.snapshots:
                raise OacError(404, "NotFound", "the snapshot was deleted")
            if kind == "CREATE":
                self.bars[key] = bar_bytes(password, name)
            elif key not in self.bars:
                raise OacError(404, "BarNotFound", f"no BAR file {key[2]!r} in bucket {key[1]!r} "
                                                   f"(namespace {key[0]!r})")
            else:
                _bar_password_digest(self.bars[key])
            snap.lifecycle_state = "ACTIVE"

        return self._new_work_request("CREATE_SNAPSHOT", "SNAPSHOT", snap.id, finish)

    def restore(self, body: Any) -> WorkRequest:
        snap_ref = body.get("snapshot") if isinstance(body, dict) else None
        sid = snap_ref.get("id") if isinstance(snap_ref, dict) else None
        if not isinstance(sid, str) or not sid:
            raise OacError(400, "InvalidParameter", "snapshot.id is required")
        snap = self.snapshots.get(sid)
        if snap is None:
            raise OacError(404, "NotFound", f"snapshot {sid} not found")
        if snap.lifecycle_state != "ACTIVE":
            raise OacError(409, "Conflict", f"snapshot {sid} is {snap.lifecycle_state}")
        given = snap_ref.get("password")

        def finish() -> None:
            data = self.bars.get(snap.bar_key)
            if data is None:
                raise OacError(404, "BarNotFound", f"the BAR file of snapshot {sid} is no longer in storage")
            digest = _bar_password_digest(data)
            if digest is not None and (not isinstance(given, str)
                                       or hashlib.sha256(given.encode()).hexdigest() != digest):
                raise OacError(400, "InvalidPassword", "the snapshot password is incorrect")
            self.restored.append(sid)

        return self._new_work_request("RESTORE_SNAPSHOT", "SYSTEM", sid, finish)

    def advance_creating(self) -> None:
        """Reading a snapshot still CREATING counts as a poll of its work request: a client that lost the work
        request's id (an interrupted run) follows the snapshot instead, as it would see it advance on a real
        instance."""
        for wr in list(self.work_requests.values()):
            snap = self.snapshots.get(wr.resource_id)
            if wr.operation_type == "CREATE_SNAPSHOT" and snap is not None and snap.lifecycle_state == "CREATING":
                self.poll(wr)

    def poll(self, wr: WorkRequest) -> None:
        if wr.status in TERMINAL:
            return
        wr.polls += 1
        if wr.polls < max(self.polls_to_finish, 1):
            if wr.polls > 1:
                wr.status = "IN_PROGRESS"
                wr.time_started = wr.time_started or _now()
                wr.percent = round(100.0 * (wr.polls - 1) / (self.polls_to_finish - 1), 1)
            return
        wr.time_started = wr.time_started or _now()
        wr.time_finished = _now()
        try:
            if wr.injected:
                raise OacError(500, *wr.injected)
            wr.finish()
        except OacError as e:
            wr.status, wr.action_result = "FAILED", "FAILED"
            wr.errors = [{"code": e.code, "message": e.message}]
            snap = self.snapshots.get(wr.resource_id)
            if wr.operation_type == "CREATE_SNAPSHOT" and snap and snap.lifecycle_state == "CREATING":
                del self.snapshots[wr.resource_id]      # a failed create/register leaves nothing registered
            return
        wr.status, wr.percent = "SUCCEEDED", 100.0
        wr.action_result = "CREATED" if wr.operation_type == "CREATE_SNAPSHOT" else "UPDATED"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oac-emulator"
    sys_version = ""
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_GET

    def _send(self, status: int, doc: Any = None, headers: dict[str, str] | None = None) -> None:
        body = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("opc-request-id", uuid.uuid4().hex.upper())
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self) -> None:
        emu: OacEmulator = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        req = OacRequest(self.command, self.path, dict(self.headers.items()), raw)
        try:
            with emu.lock:
                emu.requests.append(req)
                if emu.before_request is not None:
                    emu.before_request(emu, req)
                scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
                if scheme.lower() != "bearer" or token.strip() not in emu.tokens:
                    raise OacError(401, "NotAuthenticated", "a valid Bearer token is required")
                if emu._http_faults:
                    raise emu._http_faults.popleft()
                self._route(emu, raw)
        except OacError as e:
            self._send(e.status, {"code": e.code, "message": e.message})
        except Exception as e:  # noqa: BLE001 - an emulator bug reaches the client as a 500
            self._send(500, {"code": "InternalServerError", "message": f"emulator error: {type(e).__name__}: {e}"})

    def _route(self, emu: OacEmulator, raw: bytes) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if not parts.path.startswith(API_PREFIX + "/"):
            raise OacError(404, "NotFound", f"no such resource {parts.path}")
        segs = [unquote(s) for s in parts.path[len(API_PREFIX) + 1:].split("/")]
        method = self.command

        def body() -> Any:
            try:
                return json.loads(raw or b"null")
            except ValueError as e:
                raise OacError(400, "InvalidParameter", f"the request body is not JSON: {e}") from e

        def accepted(wr: WorkRequest) -> None:
            self._send(202, {"workRequestId": wr.id}, {"oa-work-request-id": wr.id})

        if segs == ["snapshots"] and method == "POST":
            accepted(emu.create_snapshot(body()))
        elif segs == ["snapshots"] and method == "GET":
            emu.advance_creating()
            self._send(200, {"items": [s.to_json() for s in emu.snapshots.values()]})
        elif len(segs) == 2 and segs[0] == "snapshots" and method in ("GET", "DELETE"):
            if method == "GET":
                emu.advance_creating()
            snap = emu.snapshots.get(segs[1])
            if snap is None:
                raise OacError(404, "NotFound", f"snapshot {segs[1]} not found")
            if method == "GET":
                self._send(200, snap.to_json())
                return
            flag = query.get("deleteStorage", "false").lower()
            if flag not in ("true", "false"):
                raise OacError(400, "InvalidParameter", "deleteStorage must be true or false")
            if snap.lifecycle_state != "ACTIVE":
                raise OacError(409, "Conflict", f"snapshot {snap.id} is {snap.lifecycle_state}")
            del emu.snapshots[snap.id]
            if flag == "true":
                emu.bars.pop(snap.bar_key, None)
            self._send(200)
        elif segs == ["system", "actions", "restoreSnapshot"] and method == "POST":
            accepted(emu.restore(body()))
        elif len(segs) == 2 and segs[0] == "workRequests" and method == "GET":
            wr = emu.work_requests.get(segs[1])
            if wr is None:
                raise OacError(404, "NotFound", f"work request {segs[1]} not found")
            emu.poll(wr)
            self._send(200, wr.to_json())
        else:
            raise OacError(404, "NotFound", f"no operation {method} {parts.path}")


def start_oac(tokens: set[str], storage: MutableMapping[BarKey, bytes] | None = None,
              namespace: str = DEFAULT_NAMESPACE) -> OacEmulator:
    return OacEmulator(tokens, storage, namespace)


__all__ = ["OacEmulator", "OacError", "Snapshot", "WorkRequest", "bar_bytes", "password_ok", "start_oac",
           "PASSWORD_RULE", "DEFAULT_NAMESPACE"]
