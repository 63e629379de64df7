"""OCI Object Storage emulator (native API, 20160918): objects in memory, CopyObject as a real asynchronous work
request, and every request's signature checked with the OCI Python SDK's own code. Standalone: it runs under the
python of the venv `scripts/oci-oracle.sh` prints, and tests start it through tests/emulators/oci.py.

    python oci_server.py --port 0 --keys keys.json [--namespace ns] [--regions r1,r2] [--copy-seconds 0.3]
    # keys.json: {keyId: public key PEM}. First stdout line: the port. Serves until killed (--watch-stdin: or
    # until its stdin closes, so a test run that dies cannot leave it behind).

Signatures. `oci.signer.Signer` builds its signing string with the vendored httpsig_cffi `generate_message` and signs
it RSA-SHA256. The same package ships `HeaderVerifier`, which rebuilds that string with the same `generate_message`
from the headers received, over exactly the names the Authorization's headers="..." lists (method and path as on the
request line, host from the Host header) and checks the signature with the key registered for keyId. On top, what
the service checks and the SDK cannot: keyId known, rsa-sha256 and version "1"; date (or x-date), (request-target)
and host signed; content-length, content-type and x-content-sha256 signed on POST/PUT/PATCH except PutObject and
UploadPart; a signed x-content-sha256 equal to the body's hash; the date within 5 minutes. Any failure: 401
NotAuthenticated.

Regions. One port serves all --regions. Each bucket lives in one region (control API; default the first) and bucket
names are unique across regions, so any request reaches a bucket wherever it lives. Regions matter to CopyObject:
destinationRegion must be an emulator region (else 400) and the destination bucket must live in it (else the work
request fails BucketNotFound), so a client naming the wrong region is caught.

Control API: unauthenticated JSON under /_emulator/ (never an OCI path), in oci_control.py; tests/emulators/oci.py
wraps it.

This file is the HTTP side (signatures, routing, the operations); oci_copy.py holds the state, OciStore and the
work requests' copy engine.

Assumed where OCI's documentation is silent (each one a guess; a real tenancy may differ):
- Failed conditions answer 412 IfMatchFailed / IfNoneMatchFailed (both seen on a live tenancy by a third party;
  the SDK itself special-cases 412 IfNoneMatchFailed), a GET/HEAD whose if-none-match matches answers 304; an
  if-match on a missing object is 412 for PUT and 404 for DELETE.
- ETags are opaque UUIDs; part ETags are the part's MD5 hex. opc-multipart-md5 is base64(md5 of the parts' binary
  MD5s) + "-<count>"; a listing's md5 of a multipart object is that value. HEAD/GET send content-md5 (single PUT) or
  opc-multipart-md5, not opc-content-md5 (PutObject/UploadPart answers only); a ranged GET omits content-md5.
- Every object has a version-id, versioned bucket or not. Parts but the last must be >= --min-part-size (10 MiB).
- CopyObject checks the source (bucket, object, version, sourceObjectIfMatchETag: 404/412) when it is asked; the
  destination (namespace, bucket, region, its if-match / if-none-match) when the copy finishes, failing the work
  request with the same codes. A source that changes while the copy runs fails it with IfMatchFailed. A copy keeps
  the source's content type, content headers and digest; without destinationObjectStorageTier it is Standard.
  destinationObjectMetadata keys must start with opc-meta-.
- Work request resources: the source (actionType READ) and destination (IN_PROGRESS, then WRITTEN once COMPLETED),
  entityType "object", identifier "<ns>/<bucket>/<object>", metadata {REGION, NAMESPACE, BUCKET, OBJECT} (+
  VERSION_ID of the version read, for the source). GET /workRequests needs a compartmentId and lists every work
  request whatever the compartment. Cancelling a finished work request is 409 Conflict.
- A chunked request body is refused with 411 MissingContentLength (the SDK strips Transfer-Encoding because Object
  Storage rejects it).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

# This directory also holds oci.py (the launcher), which as the script's sys.path[0] would shadow the SDK.
sys.path[:] = [p for p in sys.path if Path(p or os.getcwd()).resolve() != Path(__file__).resolve().parent]
from oci._vendor.httpsig_cffi.utils import parse_authorization_header  # noqa: E402
from oci._vendor.httpsig_cffi.verify import HeaderVerifier  # noqa: E402


def _load(name: str, filename: str) -> Any:
    # By path: the package's __init__ imports the COS/OSS SDKs, absent here (and this folder is off sys.path, above);
    # store.py and oci_copy.py themselves are stdlib only.
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(filename))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


_store = _load("objectcopy_emulator_store", "store.py")
_copy = _load("objectcopy_emulator_oci_copy", "oci_copy.py")  # after store.py: it subclasses store.py's Store
_control = _load("objectcopy_emulator_oci_control", "oci_control.py")  # after both: it uses their errors
StoreError = _store.StoreError
OciError, OciStore, State, WorkRequest = _copy.OciError, _copy.OciStore, _copy.State, _copy.WorkRequest
b64md5, check_write, iso = _copy.b64md5, _copy.check_write, _copy.iso
SKEW = 300
TIERS = ("Standard", "InfrequentAccess", "Archive")
BODY_HEADERS = ["content-length", "content-type", "x-content-sha256"]
CONTENT_HEADERS = {"content-encoding": "contentEncoding", "content-language": "contentLanguage",
                   "content-disposition": "contentDisposition", "cache-control": "cacheControl"}
LIST_FIELDS = {"name", "size", "etag", "md5", "timeCreated", "timeModified", "storageTier", "archivalState"}
UNSIGNED_BODY = re.compile(r"^/n/[^/]+/b/[^/]+/[ou]/.")   # PutObject, UploadPart: the SDK does not hash the body
TERMINAL = ("COMPLETED", "FAILED", "CANCELED")


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single bytes range; None for a syntax HTTP says to ignore; 416 when it names no byte."""
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", value)
    if not m or not (m[1] or m[2]) or (m[1] and m[2] and int(m[1]) > int(m[2])):
        return None
    first, last = (size - int(m[2]), size - 1) if not m[1] else (int(m[1]), int(m[2]) if m[2] else size - 1)
    if first >= size or not size or (not m[1] and not int(m[2])):
        raise OciError(416, "InvalidRange", f"The requested range {value!r} is not satisfiable (size {size})")
    return max(first, 0), min(last, size - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"    # keep-alive, as the SDK's pooled sessions expect (and 100-continue)
    server_version = "objectcopy-oci-emulator"
    timeout = 30                     # idle keep-alive connections close, so no thread outlives a test run

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        pass

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes: without this, Nagle holds the body for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self.rid = uuid.uuid4().hex.upper()
        self.body = b""
        try:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                self.close_connection = True  # the body is left unread
                raise OciError(411, "MissingContentLength", "Object Storage needs a Content-Length, not chunked")
            self.body = self.rfile.read(int(self.headers.get("content-length") or 0))
            path, _, query = self.path.partition("?")
            self.query = dict(parse_qsl(query, keep_blank_values=True))
            if path.startswith("/_emulator/"):
                return _control.handle(self, path[len("/_emulator/"):])
            self.state.log.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                                   "body": base64.b64encode(self.body[:65536]).decode(), "size": len(self.body)})
            self.authenticate(path)
            fault = self.state.take_fault(f"{self.command} {self.path}")
            if fault:
                raise OciError(fault.get("status", 503), fault.get("code", "ServiceUnavailable"),
                               fault.get("message", "The service is unavailable (emulator fault)"))
            self.route(path)
        except OciError as e:
            self.send_json(e.status, {"code": e.code, "message": e.message})
        except Exception as e:  # noqa: BLE001 - an emulator bug must reach the client as a 500, not a hang
            self.send_json(500, {"code": "InternalServerError", "message": f"emulator: {type(e).__name__}: {e}"})

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def send(self, status: int, body: bytes = b"", headers: dict[str, Any] | None = None,
             length: int | None = None) -> None:
        self.send_response(status)
        out = {"opc-request-id": self.rid, "opc-client-request-id": self.headers.get("opc-client-request-id")}
        out.update(headers or {})
        if status not in (204, 304):
            out.setdefault("content-length", len(body) if length is None else length)
        for name, value in out.items():
            if value is not None:
                self.send_header(name, str(value))
        self.end_headers()
        if body and self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, headers: dict[str, Any] | None = None) -> None:
        self.send(status, json.dumps(data).encode(), {"content-type": "application/json", **(headers or {})})

    def json_body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            raise OciError(400, "CannotParseRequest", "The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise OciError(400, "CannotParseRequest", "The request body must be a JSON object")
        return data

    # -- authentication -----------------------------------------------------------------------------------------
    def authenticate(self, path: str) -> None:
        def denied(why: str) -> OciError:
            return OciError(401, "NotAuthenticated", f"The required information to complete authentication was not "
                            f"provided or was incorrect: {why}")
        h = {k.lower(): v for k, v in self.headers.items()}
        try:
            scheme, parsed = parse_authorization_header(h.get("authorization", ""))
        except ValueError:
            raise denied("malformed Authorization header") from None
        params = {k.lower(): v for k, v in parsed.items()}  # the SDK's dict lower-cases names but not in .get
        if scheme != "Signature" or "signature" not in params:
            raise denied("no Authorization: Signature header")
        public_pem = self.state.keys.get(params.get("keyid", ""))
        if public_pem is None:
            raise denied(f"unknown keyId {params.get('keyid')!r}")
        if params.get("algorithm") != "rsa-sha256" or params.get("version") != "1":
            raise denied('algorithm must be "rsa-sha256" and version "1"')
        names = params.get("headers", "date").split()
        date_name = "x-date" if "x-date" in names else "date"
        required = [date_name, "(request-target)", "host"]
        if self.command in ("POST", "PUT", "PATCH") and not (self.command == "PUT" and UNSIGNED_BODY.match(path)):
            required += BODY_HEADERS
        if missing := [n for n in required if n not in names]:
            raise denied(f"these headers must be signed: {' '.join(missing)}")
        try:  # the SDK's own verifier: the signer's generate_message over the listed headers, then RSA-SHA256
            good = HeaderVerifier(h, public_pem, required_headers=required, method=self.command,
                                  path=self.path).verify()
        except Exception:  # noqa: BLE001 - a listed header missing, undecodable signature, non-ASCII value
            good = False
        if not good:
            raise denied("the signature does not match the request")
        try:
            skew = abs(time.time() - parsedate_to_datetime(h.get(date_name, "")).timestamp())
        except (TypeError, ValueError):
            raise denied(f"{date_name} is not an RFC 1123 date") from None
        if skew > SKEW:
            raise denied(f"{date_name} {h[date_name]!r} is more than 5 minutes from the server's clock")
        if "x-content-sha256" in names and h.get("x-content-sha256") != base64.b64encode(
                hashlib.sha256(self.body).digest()).decode():
            raise denied("x-content-sha256 does not match the body")

    # -- routing --------------------------------------------------------------------------------------------------
    def route(self, path: str) -> None:
        parts, m = path.split("/", 6), self.command
        if parts[1] == "workRequests":
            return self.work_requests(parts[2:])
        if parts[1] != "n" or (len(parts) > 3 and parts[3] != "b") or len(parts) == 3 and parts[2]:
            raise OciError(404, "NotFound", "There is no operation supported at the URI path and HTTP method")
        if len(parts) == 2 or not parts[2]:
            return self.send_json(200, self.state.namespace) if m == "GET" else self.no_op()
        if unquote(parts[2]) != self.state.namespace:
            raise OciError(404, "NamespaceNotFound", f"Namespace '{unquote(parts[2])}' does not exist")
        if len(parts) == 4 or not parts[4]:
            self.no_op()
        bucket = unquote(parts[4])
        store = self.state.bucket(bucket)
        kind, name = (parts[5] if len(parts) > 5 else ""), (unquote(parts[6]) if len(parts) > 6 else "")
        try:
            if kind == "" and m in ("GET", "HEAD"):
                return self.get_bucket(bucket)
            if kind == "o" and not name and m == "GET":
                return self.list_objects(store, bucket)
            if kind == "o" and name and m in ("GET", "HEAD"):
                return self.get_object(store, bucket, name)
            if kind == "o" and name and m == "PUT":
                return self.put_object(store, bucket, name)
            if kind == "o" and name and m == "DELETE":
                return self.delete_object(store, bucket, name)
            if kind == "u":
                return self.multipart(store, bucket, name)
            if kind == "actions" and name == "copyObject" and m == "POST":
                return self.copy_object(store, bucket)
        except StoreError as e:
            if e.code in ("NoSuchKey", "NoSuchVersion"):
                raise OciError(404, "ObjectNotFound", f"The object '{name}' was not found in the bucket "
                               f"'{bucket}'") from None
            if e.code == "NoSuchUpload":
                raise OciError(404, "NoSuchUpload", f"The upload {self.query.get('uploadId')!r} does not exist in "
                               f"the bucket '{bucket}'") from None
            raise OciError(400, "InvalidParameter", e.message) from None
        self.no_op()

    def no_op(self) -> None:
        raise OciError(404, "NotFound", "There is no operation supported at the URI path and HTTP method")

    # -- buckets and objects --------------------------------------------------------------------------------------
    def bucket_json(self, name: str) -> dict[str, Any]:
        b = self.state.buckets[name]
        return {"namespace": self.state.namespace, "name": name, "compartmentId": b["compartment"],
                "createdBy": "ocid1.user.oc1..emulator", "timeCreated": iso(b["created"]), "etag": b["etag"],
                "storageTier": "Standard", "publicAccessType": "NoPublicAccess", "metadata": {},
                "versioning": "Enabled" if b["versioning"] else "Disabled"}

    def get_bucket(self, bucket: str) -> None:
        self.send_json(200, self.bucket_json(bucket), {"etag": self.state.buckets[bucket]["etag"]})

    def object_headers(self, obj: Any) -> dict[str, Any]:
        headers = {"etag": obj.etag, "last-modified": formatdate(obj.last_modified, usegmt=True),
                   "content-type": obj.content_type, "version-id": obj.version_id, "storage-tier": obj.storage_class,
                   "archival-state": "Archived" if obj.storage_class == "Archive" else None, "accept-ranges": "bytes"}
        headers.update(obj.content_headers)
        headers.update({f"opc-meta-{k}": v for k, v in obj.metadata.items()})
        return headers

    def get_object(self, store: OciStore, bucket: str, name: str) -> None:
        obj = store.get(bucket, name, self.query.get("versionId"))
        headers = self.object_headers(obj)
        if_match, if_none_match = self.headers.get("if-match"), self.headers.get("if-none-match")
        if if_match is not None and if_match.strip().strip('"') not in (obj.etag, "*"):
            raise OciError(412, "IfMatchFailed", f"The If-Match header '{if_match}' does not match the current entity")
        if if_none_match is not None and if_none_match.strip().strip('"') in (obj.etag, "*"):
            return self.send(304, b"", headers)
        span = parse_range(self.headers["range"], obj.size) if self.headers.get("range") else None
        if span is None:
            return self.send(200, obj.data, headers)
        headers.pop("content-md5", None)  # it describes the whole object, not this range
        headers["content-range"] = f"bytes {span[0]}-{span[1]}/{obj.size}"
        self.send(206, obj.data[span[0]:span[1] + 1], headers)

    def content_attrs(self, tier: str | None, content_type: str | None, headers: dict[str, str],
                      metadata: dict[str, str]) -> dict[str, Any]:
        if (tier or "Standard") not in TIERS:
            raise OciError(400, "InvalidParameter", f"Storage tier {tier!r} is not one of {', '.join(TIERS)}")
        if bad := [k for k in metadata if not k.lower().startswith("opc-meta-")]:
            raise OciError(400, "InvalidParameter", f"Metadata keys must start with 'opc-meta-': {bad}")
        return {"storage_class": tier or "Standard", "content_type": content_type or "application/octet-stream",
                "content_headers": {k: v for k, v in headers.items() if v},
                "metadata": {k[9:].lower(): v for k, v in metadata.items()}}

    def check_md5(self) -> None:
        sent = self.headers.get("content-md5")
        if sent is not None and sent.strip() != b64md5(self.body):
            raise OciError(400, "UnmatchedContentMD5", f"The Content-MD5 you specified ({sent}) did not match the "
                           f"body's ({b64md5(self.body)})")

    def put_object(self, store: OciStore, bucket: str, name: str) -> None:
        self.check_md5()
        h = self.headers
        attrs = self.content_attrs(h.get("storage-tier"), h.get("content-type"),
                                   {n: h.get(n) for n in CONTENT_HEADERS},
                                   {k: v for k, v in h.items() if k.lower().startswith("opc-meta-")})
        obj = store.write_if(bucket, name, h.get("if-match"), h.get("if-none-match"),
                             lambda: store.put(bucket, name, self.body, **attrs))
        self.send(200, b"", {"etag": obj.etag, "opc-content-md5": b64md5(self.body), "version-id": obj.version_id,
                             "last-modified": formatdate(obj.last_modified, usegmt=True)})

    def delete_object(self, store: OciStore, bucket: str, name: str) -> None:
        obj, marker = store.delete_if(bucket, name, self.query.get("versionId"), self.headers.get("if-match"))
        self.send(204, b"", {"version-id": marker.version_id if marker else obj.version_id,
                             "is-delete-marker": str(marker is not None).lower(),
                             "last-modified": formatdate(obj.last_modified, usegmt=True)})

    def list_objects(self, store: OciStore, bucket: str) -> None:
        q = self.query
        prefix, start, end, after, delimiter = (q.get(k, "") for k in ("prefix", "start", "end", "startAfter",
                                                                         "delimiter"))
        fields = set(q.get("fields", "name").split(","))
        if delimiter not in ("", "/") or not fields <= LIST_FIELDS or not q.get("limit", "1").isdigit():
            raise OciError(400, "InvalidParameter", "delimiter must be '/', fields among "
                           f"{','.join(sorted(LIST_FIELDS))}, limit a number")
        limit = min(max(int(q.get("limit", 1000)), 1), 1000)
        objects: list[dict[str, Any]] = []
        prefixes: list[str] = []
        next_start = None
        for key in store.all_keys(bucket):
            if not key.startswith(prefix) or key < start or (after and key <= after) or (end and key >= end):
                continue
            rest = key[len(prefix):]
            entry = key[:len(prefix) + rest.index("/") + 1] if delimiter and "/" in rest else key
            if prefixes and entry == prefixes[-1]:
                continue
            if len(objects) + len(prefixes) == limit:
                next_start = entry
                break
            if entry != key:
                prefixes.append(entry)
                continue
            try:
                obj = store.get(bucket, key)
            except StoreError:  # deleted since all_keys()
                continue
            full = {"name": key, "size": obj.size, "etag": obj.etag, "storageTier": obj.storage_class,
                    "md5": obj.content_headers.get("content-md5") or obj.content_headers.get("opc-multipart-md5"),
                    "timeCreated": iso(obj.last_modified), "timeModified": iso(obj.last_modified),
                    "archivalState": "Archived" if obj.storage_class == "Archive" else None}
            objects.append({k: v for k, v in full.items() if k in fields | {"name"} and v is not None})
        result: dict[str, Any] = {"objects": objects, "prefixes": prefixes}
        self.send_json(200, {**result, "nextStartWith": next_start} if next_start else result)

    # -- multipart uploads ----------------------------------------------------------------------------------------
    def multipart(self, store: OciStore, bucket: str, name: str) -> None:
        m, upload_id = self.command, self.query.get("uploadId")
        if not name and m == "GET":
            return self.send_json(200, [self.upload_json(bucket, u) for u in store.uploads(bucket)])
        if not name and m == "POST":
            d = self.json_body()
            if not d.get("object"):
                raise OciError(400, "MissingParameter", "object is required")
            attrs = self.content_attrs(d.get("storageTier"), d.get("contentType"),
                                       {h: d.get(k) for h, k in CONTENT_HEADERS.items()}, d.get("metadata") or {})
            store.write_if(bucket, d["object"], self.headers.get("if-match"), self.headers.get("if-none-match"),
                           lambda: None)
            upload = store.initiate(bucket, d["object"], **attrs)
            return self.send_json(200, self.upload_json(bucket, upload), {
                "location": f"{self.path.split('?')[0]}/{quote(d['object'], safe='')}?uploadId={upload.upload_id}"})
        if not name or not upload_id:
            raise OciError(400, "MissingParameter", "uploadId is required")
        if m == "PUT":
            number = self.query.get("uploadPartNum", "")
            if not number.isdigit() or not 1 <= int(number) <= 10000:
                raise OciError(400, "InvalidParameter", f"uploadPartNum must be 1 to 10000, not {number!r}")
            self.check_md5()
            part = store.put_part(bucket, name, upload_id, int(number), self.body)
            return self.send(200, b"", {"etag": part.etag, "opc-content-md5": b64md5(self.body)})
        if m == "GET":
            return self.send_json(200, [{"partNumber": p.number, "etag": p.etag, "md5": b64md5(p.data),
                                         "size": len(p.data)} for p in store.parts(bucket, name, upload_id)])
        if m == "DELETE":
            store.abort(bucket, name, upload_id)
            return self.send(204)
        if m == "POST":
            commit = self.json_body().get("partsToCommit") or []
            try:
                pairs = sorted((int(p["partNum"]), str(p["etag"])) for p in commit)
            except (KeyError, TypeError, ValueError):
                raise OciError(400, "InvalidParameter", "partsToCommit: [{partNum, etag}] expected") from None
            if not pairs or len({n for n, _ in pairs}) != len(pairs):
                raise OciError(400, "InvalidParameter", "partsToCommit must name each part number once")
            obj = store.write_if(bucket, name, self.headers.get("if-match"), self.headers.get("if-none-match"),
                                 lambda: store.complete(bucket, name, upload_id, pairs,
                                                        min_part_size=self.state.min_part_size))
            return self.send(200, b"", {"etag": obj.etag, "version-id": obj.version_id,
                                        "opc-multipart-md5": obj.content_headers["opc-multipart-md5"],
                                        "last-modified": formatdate(obj.last_modified, usegmt=True)})
        self.no_op()

    def upload_json(self, bucket: str, upload: Any) -> dict[str, Any]:
        return {"namespace": self.state.namespace, "bucket": bucket, "object": upload.key, "uploadId": upload.upload_id,
                "timeCreated": iso(upload.initiated), "storageTier": upload.attrs.get("storage_class", "Standard")}

    # -- CopyObject and work requests -----------------------------------------------------------------------------
    def copy_object(self, store: OciStore, bucket: str) -> None:
        st, d = self.state, self.json_body()
        required = ("sourceObjectName", "destinationRegion", "destinationNamespace", "destinationBucket",
                    "destinationObjectName")
        if missing := [k for k in required if not d.get(k)]:
            raise OciError(400, "MissingParameter", f"CopyObjectDetails needs {', '.join(missing)}")
        if d["destinationRegion"] not in st.regions:
            raise OciError(400, "InvalidParameter", f"Unknown destinationRegion {d['destinationRegion']!r}")
        if d.get("destinationObjectIfNoneMatchETag") not in (None, "*"):
            raise OciError(400, "InvalidParameter", "The only valid destinationObjectIfNoneMatchETag is '*'")
        self.content_attrs(d.get("destinationObjectStorageTier"), None, {}, d.get("destinationObjectMetadata") or {})
        name = d["sourceObjectName"]
        obj = store.get(bucket, name, d.get("sourceVersionId"))   # 404s now, not in the work request
        check_write(obj, d.get("sourceObjectIfMatchETag"), None)
        wr = WorkRequest(
            f"ocid1.objectstorageworkrequest.oc1.{st.buckets[bucket]['region']}.{uuid.uuid4().hex}",
            st.buckets[bucket]["compartment"],
            {"REGION": st.buckets[bucket]["region"], "NAMESPACE": st.namespace, "BUCKET": bucket, "OBJECT": name,
             "VERSION_ID": obj.version_id},
            {"REGION": d["destinationRegion"], "NAMESPACE": d["destinationNamespace"],
             "BUCKET": d["destinationBucket"], "OBJECT": d["destinationObjectName"]}, d, obj)
        with st.lock:
            wr.fault = st.copy_faults.popleft() if st.copy_faults else None
            st.work[wr.id] = wr
        threading.Thread(target=st.run_copy, args=(wr,), name=f"copy {wr.id[-8:]}", daemon=True).start()
        self.send(202, b"", {"opc-work-request-id": wr.id})

    def work_requests(self, parts: list[str]) -> None:
        st, m = self.state, self.command
        if not parts or not parts[0]:
            if m != "GET":
                self.no_op()
            if not self.query.get("compartmentId"):
                raise OciError(400, "MissingParameter", "compartmentId is required")
            with st.lock:  # every compartment's: a client need not know the bucket's compartment
                return self.send_json(200, [w.json() for w in sorted(st.work.values(), key=lambda w: -w.accepted)])
        wr = st.work.get(unquote(parts[0]))
        if wr is None:
            raise OciError(404, "NotAuthorizedOrNotFound", f"Work request {unquote(parts[0])!r} not found")
        with st.lock:
            if len(parts) == 1 and m == "GET":
                return self.send_json(200, wr.json())
            if len(parts) == 1 and m == "DELETE":
                if wr.status in TERMINAL:
                    raise OciError(409, "Conflict", f"Work request {wr.id} has already finished ({wr.status})")
                wr.status, wr.cancel = "CANCELING", True
                st.lock.notify_all()
                return self.send(202)
            if len(parts) == 2 and m == "GET" and parts[1] in ("errors", "logs"):
                return self.send_json(200, list(wr.errors if parts[1] == "errors" else wr.logs))
        self.no_op()

    # -- control API (tests/emulators/oci.py) ---------------------------------------------------------------------
class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops a keep-alive connection is normal (SDK sessions do it); anything else is a bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--keys", required=True, help="JSON file: {keyId: public key PEM}")
    p.add_argument("--namespace", default="objectcopy")
    p.add_argument("--regions", default="us-ashburn-1,eu-frankfurt-1")
    p.add_argument("--compartment", default="ocid1.compartment.oc1..objectcopyemulator")
    p.add_argument("--copy-seconds", type=float, default=0.3)
    p.add_argument("--min-part-size", type=int, default=10 << 20)
    p.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes (the launcher is gone)")
    args = p.parse_args(argv)
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args, json.loads(Path(args.keys).read_text()))  # type: ignore[attr-defined]
    print(server.server_address[1], flush=True)
    if args.watch_stdin:
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
