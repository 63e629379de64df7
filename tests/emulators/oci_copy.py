"""The OCI emulator's state and copy engine: OciStore (store.py with OCI's object identity and conditions), the
work requests, and CopyObject's asynchronous copy, which runs on its own thread. Stdlib only, like store.py; what it
emulates, and what it assumes where OCI's documentation is silent, is in oci_server.py's docstring.

oci_server.py loads this file by path (this folder is not on sys.path under the SDK's venv), after store.py.
"""
from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

# store.py as oci_server.py loaded it, by path and before this module: one module, so one StoreError class.
_store = sys.modules["objectcopy_emulator_store"]
Store, StoreError = _store.Store, _store.StoreError


class OciError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def iso(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + \
        f".{int(epoch * 1000) % 1000:03d}Z"


def check_write(current: Any, if_match: str | None, if_none_match: str | None) -> None:
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise OciError(400, "InvalidParameter", "The only valid value of if-none-match is '*'")
        if current is not None:
            raise OciError(412, "IfNoneMatchFailed", "The If-None-Match header is '*' but there is an existing entity")
    if if_match is not None and (current is None or if_match.strip().strip('"') not in (current.etag, "*")):
        raise OciError(412, "IfMatchFailed", f"The If-Match header '{if_match}' does not match the current entity")


class OciStore(Store):
    """Store with OCI's object identity: an opaque UUID ETag and a version id on every object, and the digest header
    OCI returns: content-md5 for a single PUT, opc-multipart-md5 for a commit (Store.complete passes its S3-style
    "<md5 of part md5s>-N" ETag here), either kept as it is by a copy."""

    def put(self, bucket: str, key: str, data: bytes, *, etag: str | None = None,
            content_headers: dict[str, str] | None = None, **attrs: Any) -> Any:
        headers = dict(content_headers or {})
        if etag and "-" in etag:
            digest, count = etag.split("-")
            headers["opc-multipart-md5"] = f"{base64.b64encode(bytes.fromhex(digest)).decode()}-{count}"
        elif "opc-multipart-md5" not in headers:
            headers["content-md5"] = b64md5(data)
        with self._lock:
            obj = super().put(bucket, key, data, etag=str(uuid.uuid4()), content_headers=headers, **attrs)
            if obj.version_id is None:  # Store numbers versions only in versioned buckets
                obj = self.update(bucket, key, version_id=str(uuid.uuid4()), last_modified=obj.last_modified)
            return obj

    def write_if(self, bucket: str, key: str, if_match: str | None, if_none_match: str | None,
                 write: Callable[[], Any]) -> Any:
        with self._lock:  # condition and write as one step, as racing writers see on the service
            check_write(self._current(self._bucket(bucket), key), if_match, if_none_match)
            return write()

    def delete_if(self, bucket: str, key: str, version_id: str | None, if_match: str | None) -> tuple[Any, Any]:
        with self._lock:
            obj = self.get(bucket, key, version_id)  # 404 first: an if-match on a missing object is not a 412
            check_write(obj, if_match, None)
            return obj, self.delete(bucket, key, version_id)

    def parts(self, bucket: str, key: str, upload_id: str) -> list[Any]:
        with self._lock:
            return sorted(self._upload(bucket, key, upload_id).parts.values(), key=lambda p: p.number)


@dataclass
class WorkRequest:
    id: str
    compartment: str
    source: dict[str, str]           # REGION, NAMESPACE, BUCKET, OBJECT, VERSION_ID
    destination: dict[str, str]
    details: dict[str, Any]          # the CopyObjectDetails as received
    snapshot: Any                    # the source object when the copy was asked for: what gets written
    fault: dict[str, str] | None = None
    status: str = "ACCEPTED"
    percent: float = 0.0
    accepted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    cancel: bool = False

    def json(self) -> dict[str, Any]:
        def resource(where: dict[str, str], action: str) -> dict[str, Any]:
            ns, bucket, name = where["NAMESPACE"], where["BUCKET"], where["OBJECT"]
            return {"actionType": action, "entityType": "object", "identifier": f"{ns}/{bucket}/{name}",
                    "entityUri": f"/n/{ns}/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}", "metadata": where}
        return {"operationType": "COPY_OBJECT", "status": self.status, "id": self.id, "compartmentId": self.compartment,
                "resources": [resource(self.source, "READ"), resource(
                    self.destination, "WRITTEN" if self.status == "COMPLETED" else "IN_PROGRESS")],
                "percentComplete": self.percent, "timeAccepted": iso(self.accepted), "timeStarted": iso(self.started),
                "timeFinished": iso(self.finished)}


class State:
    def __init__(self, args: argparse.Namespace, keys: dict[str, str]) -> None:
        self.namespace, self.copy_seconds, self.compartment = args.namespace, args.copy_seconds, args.compartment
        self.regions: list[str] = args.regions.split(",")
        self.min_part_size: int = args.min_part_size
        self.keys = keys
        self.stores = {r: OciStore("Standard") for r in self.regions}
        self.buckets: dict[str, dict[str, Any]] = {}       # name -> region, compartment, created, versioning
        self.lock = threading.Condition()                  # work requests, faults, hold
        self.work: dict[str, WorkRequest] = {}
        self.faults: list[dict[str, Any]] = []
        self.copy_faults: collections.deque[dict[str, str]] = collections.deque()
        self.hold_at: float | None = None
        self.log: collections.deque[dict[str, Any]] = collections.deque(maxlen=10000)

    def create_bucket(self, name: str, region: str | None = None, versioning: bool = False,
                      compartment: str | None = None) -> None:
        region = region or self.regions[0]
        if region not in self.stores:
            raise OciError(400, "InvalidParameter", f"Region {region!r} is not one of {self.regions}")
        self.stores[region].create_bucket(name, versioning=versioning)
        self.buckets[name] = {"region": region, "compartment": compartment or self.compartment,
                              "created": time.time(), "versioning": versioning, "etag": str(uuid.uuid4())}

    def bucket(self, name: str) -> OciStore:
        if name not in self.buckets:
            raise OciError(404, "BucketNotFound", f"Either the bucket named '{name}' does not exist in the namespace "
                           f"'{self.namespace}' or you are not authorized to access it")
        return self.stores[self.buckets[name]["region"]]

    def take_fault(self, request: str) -> dict[str, Any] | None:
        with self.lock:
            for fault in self.faults:
                if fault.get("match", "") in request:
                    fault["count"] = fault.get("count", 1) - 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- the copy itself, on its own thread ---------------------------------------------------------------------
    def run_copy(self, wr: WorkRequest) -> None:
        step = self.copy_seconds / 10
        time.sleep(step)  # ACCEPTED for a moment: a poll right after the 202 sees the copy queued
        with self.lock:
            if wr.cancel:
                return self._finish(wr, "CANCELED")
            wr.status, wr.started = "IN_PROGRESS", time.time()
            wr.logs.append({"message": "Copy started", "timestamp": iso(wr.started)})
        for percent in range(10, 100, 10):
            time.sleep(step)
            with self.lock:
                while self.hold_at is not None and percent > self.hold_at and not wr.cancel:
                    self.lock.wait()  # held by the control API; release_copies() notifies
                if wr.cancel:
                    return self._finish(wr, "CANCELED")
                problem = self._source_problem(wr)
                if problem:
                    return self._finish(wr, "FAILED", *problem)
                wr.percent = float(percent)
        if wr.fault:
            return self._finish(wr, "FAILED", wr.fault.get("code", "InternalServerError"),
                                wr.fault.get("message", "The copy failed (emulator fault)"))
        try:
            self._write_destination(wr)
        except (OciError, StoreError) as e:
            return self._finish(wr, "FAILED", e.code, e.message)
        self._finish(wr, "COMPLETED")

    def _finish(self, wr: WorkRequest, status: str, code: str | None = None, message: str | None = None) -> None:
        with self.lock:
            wr.status, wr.finished = status, time.time()
            if status == "COMPLETED":
                wr.percent = 100.0
            if code:
                wr.errors.append({"code": code, "message": message, "timestamp": iso(wr.finished)})
            wr.logs.append({"message": f"Copy {status.lower()}", "timestamp": iso(wr.finished)})

    def _source_problem(self, wr: WorkRequest) -> tuple[str, str] | None:
        src = wr.source
        try:
            obj = self.stores[src["REGION"]].get(src["BUCKET"], src["OBJECT"], wr.details.get("sourceVersionId"))
        except StoreError:
            return "ObjectNotFound", f"The source object '{src['OBJECT']}' was deleted while the copy was running"
        if obj.etag != wr.snapshot.etag:
            return "IfMatchFailed", (f"The source object '{src['OBJECT']}' changed while the copy was running "
                                     f"(ETag {wr.snapshot.etag} is now {obj.etag})")
        return None

    def _write_destination(self, wr: WorkRequest) -> None:
        d, dst, src = wr.details, wr.destination, wr.snapshot
        if dst["NAMESPACE"] != self.namespace:
            raise OciError(404, "NamespaceNotFound", f"Namespace '{dst['NAMESPACE']}' does not exist")
        if self.buckets.get(dst["BUCKET"], {}).get("region") != dst["REGION"]:
            raise OciError(404, "BucketNotFound", f"Either the bucket named '{dst['BUCKET']}' does not exist in the "
                           f"namespace '{self.namespace}' in region {dst['REGION']} or you are not authorized to "
                           "access it")
        metadata = {k[9:].lower(): v for k, v in (d.get("destinationObjectMetadata") or {}).items()} or src.metadata
        store = self.stores[dst["REGION"]]
        store.write_if(dst["BUCKET"], dst["OBJECT"], d.get("destinationObjectIfMatchETag"),
                       d.get("destinationObjectIfNoneMatchETag"),
                       lambda: store.put(dst["BUCKET"], dst["OBJECT"], src.data, content_type=src.content_type,
                                         content_headers=dict(src.content_headers), metadata=dict(metadata),
                                         storage_class=d.get("destinationObjectStorageTier") or "Standard"))
