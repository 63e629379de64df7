"""The OCI emulator's control API: unauthenticated JSON under /_emulator/ on the same port (never an OCI path), for
tests to set up buckets, write and read objects without signatures, inject faults and read the request log.
tests/emulators/oci.py wraps it; oci_server.py routes /_emulator/<op> here. Loaded by path, as oci_copy.py is."""
from __future__ import annotations

import base64
import sys
from typing import Any

_copy = sys.modules["objectcopy_emulator_oci_copy"]
OciError = _copy.OciError
StoreError = sys.modules["objectcopy_emulator_store"].StoreError


def object_json(obj: Any, data: bool = False) -> dict[str, Any]:
    out = {"name": obj.key, "etag": obj.etag, "versionId": obj.version_id, "size": obj.size,
           "contentType": obj.content_type, "metadata": dict(obj.metadata), "storageTier": obj.storage_class,
           "headers": dict(obj.content_headers), "lastModified": obj.last_modified}
    return {**out, "data": base64.b64encode(obj.data).decode()} if data else out


def handle(h: Any, op: str) -> None:
    """One control call; `h` is the request's handler (oci_server.Handler)."""
    st, d, m = h.state, h.json_body(), h.command
    if op == "buckets" and m == "POST":
        st.create_bucket(d["name"], d.get("region"), d.get("versioning", False), d.get("compartment"))
        return h.send_json(200, h.bucket_json(d["name"]) | {"region": st.buckets[d["name"]]["region"]})
    if op == "objects" and m == "PUT":
        store = st.bucket(d["bucket"])
        attrs = h.content_attrs(d.get("storageTier"), d.get("contentType"), d.get("headers") or {},
                                {f"opc-meta-{k}": v for k, v in (d.get("metadata") or {}).items()})
        obj = store.put(d["bucket"], d["name"], base64.b64decode(d.get("data", "")), **attrs)
        return h.send_json(200, object_json(obj))
    if op == "objects" and m == "GET" and "name" not in h.query:
        return h.send_json(200, [[b, o.key] for b in sorted(st.buckets)
                                 for o in st.bucket(b).list(b, max_keys=1 << 30)[0]])
    if op == "objects" and m == "DELETE":
        q = h.query
        try:
            st.bucket(q["bucket"]).get(q["bucket"], q["name"])
        except StoreError:
            return h.send_json(404, {})
        st.bucket(q["bucket"]).delete(q["bucket"], q["name"])
        return h.send_json(200, {})
    if op == "objects" and m == "GET":
        q = h.query
        try:
            obj = st.bucket(q["bucket"]).get(q["bucket"], q["name"], q.get("versionId"))
        except StoreError as e:
            raise OciError(404, "ObjectNotFound", e.message) from None
        return h.send_json(200, object_json(obj, data=True))
    with st.lock:
        if op == "workrequests" and m == "GET":
            return h.send_json(200, [w.json() | {"details": w.details, "errors": w.errors}
                                     for w in sorted(st.work.values(), key=lambda w: w.accepted)])
        if op == "faults" and m == "POST":
            st.faults.append(d)
        elif op == "copy-faults" and m == "POST":
            st.copy_faults.append(d)
        elif op == "hold" and m == "POST":
            st.hold_at = float(d.get("at", 50.0))
        elif op == "release" and m == "POST":
            st.hold_at = None
            st.lock.notify_all()
        elif op == "requests" and m in ("GET", "DELETE"):
            entries = list(st.log)
            if m == "DELETE":
                st.log.clear()
            return h.send_json(200, entries)
        else:
            raise OciError(404, "NotFound", f"no control operation {m} /_emulator/{op}")
    h.send_json(200, {})
