"""The object operations COS and OSS share (they are both S3-family APIs), parametrised by the dialect's
header prefix and value sets. A dialect subclass supplies addressing, authentication, the copy-source
syntax, range behaviour and error rendering; see cos_server.py and oss_server.py.
"""
from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from .base import Fault, Handler, RangeNotSatisfiable, Request, http_date, iso_date, parse_range, xml
from .store import Store, StoredObject, StoreError, evaluate_conditions

CONTENT_HEADERS = ("Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires")
MAX_PART_NUMBER = 10000
CONDITIONS = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")


def invalid(message: str, **extra: str) -> StoreError:
    return StoreError("InvalidArgument", 400, message, **extra)


class ObjectHandler(Handler):
    prefix = "x-cos-"
    min_part_size = 1 << 20          # every part but the last, checked at Complete
    max_part_size = 5 << 30
    storage_classes: frozenset[str] = frozenset({"STANDARD"})
    acl_header = "x-cos-acl"
    acl_values: frozenset[str] = frozenset({"private", "public-read", "default"})
    sse_values: frozenset[str] = frozenset({"AES256"})
    sse_kms = ""                     # the SSE value that takes a key id
    sse_key_header = ""
    sse_error = "InvalidArgument"
    digest_error = "BadDigest"
    metadata_directive = ("Copy", "Replaced")   # (copy, replace) spellings
    tagging_directive = ("Copy", "Replaced")
    not_modified_on: frozenset[str] = frozenset()   # failed copy conditions answered 304, not 412
    always_storage_class = False

    @property
    def store(self) -> Store:
        return self.emulator.store

    # -- dialect hooks ------------------------------------------------------------------------------
    def address(self, req: Request) -> tuple[str, str]:
        """(bucket, decoded key; '' for a bucket-level request)."""
        raise NotImplementedError

    def authenticate(self, req: Request, bucket: str, key: str) -> None:
        raise NotImplementedError

    def parse_copy_source(self, value: str) -> tuple[str, str, str | None]:
        raise NotImplementedError

    def resolve_range(self, req: Request, size: int) -> tuple[int, int] | None:
        value = req.header("Range")
        if value is None:
            return None
        try:
            return parse_range(value, size)
        except RangeNotSatisfiable:
            raise StoreError("InvalidRange", 416, "The requested range is not satisfiable") from None

    def error(self, req: Request, err: StoreError, status: int | None = None,
              headers: dict[str, str] | None = None) -> None:
        raise NotImplementedError

    def extra_object_headers(self, obj: StoredObject) -> dict[str, str]:
        return {}

    # -- routing -----------------------------------------------------------------------------------
    def route(self, req: Request) -> None:
        bucket, key = self.address(req)
        self.authenticate(req, bucket, key)
        copy_source = req.header(self.prefix + "copy-source")
        is_copy = req.method == "PUT" and copy_source is not None
        fault = self.emulator.take_fault(is_copy)
        if fault is not None:
            return self.send_fault(req, fault)
        p, m = req.params, req.method
        if not key:
            if "versioning" in p and m in ("GET", "PUT"):
                return self.bucket_versioning(req, bucket, put=m == "PUT")
            if m == "GET":
                return self.list_uploads(req, bucket) if "uploads" in p else self.list_objects(req, bucket)
            if m == "HEAD":
                self.store.versioning(bucket)  # NoSuchBucket when absent
                return self.send(200, head=True, length=0)
        elif m in ("GET", "HEAD"):
            if "tagging" in p and m == "GET":
                return self.get_tagging(req, bucket, key)
            return self.get_object(req, bucket, key, head=m == "HEAD")
        elif m == "PUT":
            if "partNumber" in p or "uploadId" in p:
                return self.upload_part(req, bucket, key, copy_source)
            if copy_source is not None:
                return self.copy_object(req, bucket, key, copy_source)
            return self.put_object(req, bucket, key)
        elif m == "POST":
            if "uploads" in p:
                return self.initiate(req, bucket, key)
            if "uploadId" in p:
                return self.complete(req, bucket, key)
        elif m == "DELETE":
            return self.abort(req, bucket, key) if "uploadId" in p else self.delete(req, bucket, key)
        raise StoreError("MethodNotAllowed", 405, "The specified method is not allowed against this resource.")

    def send_fault(self, req: Request, fault: Fault) -> None:
        self.error(req, StoreError(fault.code, fault.status, fault.message), status=fault.status,
                   headers=fault.headers)

    # -- request attributes ------------------------------------------------------------------------
    def content_attrs(self, req: Request) -> dict[str, Any]:
        """What a PUT (or a REPLACE copy) sets: user metadata and the content headers."""
        meta_prefix = self.prefix + "meta-"
        return {
            "metadata": {k.lower()[len(meta_prefix):]: v for k, v in req.headers.items()
                         if k.lower().startswith(meta_prefix)},
            "content_type": req.header("Content-Type") or "application/octet-stream",
            "content_headers": {h: v for h in CONTENT_HEADERS if (v := req.header(h)) is not None},
        }

    def placement_attrs(self, req: Request) -> dict[str, Any]:
        """Storage class, ACL, encryption and tags, validated against the dialect's value sets."""
        attrs: dict[str, Any] = {}
        sc = req.header(self.prefix + "storage-class")
        if sc is not None:
            if sc not in self.storage_classes:
                raise invalid(f"invalid storage class {sc!r}", ArgumentName=self.prefix + "storage-class")
            attrs["storage_class"] = sc
        acl = req.header(self.acl_header)
        if acl is not None:
            if acl not in self.acl_values:
                raise invalid(f"invalid ACL {acl!r}", ArgumentName=self.acl_header)
            attrs["acl"] = acl
        sse = req.header(self.prefix + "server-side-encryption")
        key_id = req.header(self.sse_key_header) if self.sse_key_header else None
        if sse is not None:
            if sse not in self.sse_values:
                raise StoreError(self.sse_error, 400, f"The Encryption request you specified is not valid. "
                                 f"Supported value: {'/'.join(sorted(self.sse_values))}")
            attrs["sse"] = sse
        if key_id is not None:
            if sse != self.sse_kms:
                raise invalid(f"{self.sse_key_header} is only valid with {self.sse_kms} encryption")
            attrs["sse_key_id"] = key_id
        tagging = req.header(self.prefix + "tagging")
        if tagging is not None:
            attrs["tags"] = dict(parse_qsl(tagging, keep_blank_values=True))
        return attrs

    def forbid_overwrite(self, req: Request) -> bool:
        return (req.header(self.prefix + "forbid-overwrite") or "").lower() == "true"

    def check_md5(self, req: Request) -> None:
        given = req.header("Content-MD5")
        if given is not None and given.strip() != base64.b64encode(hashlib.md5(req.body).digest()).decode():
            raise StoreError(self.digest_error, 400, "The Content-MD5 you specified did not match what we received.")

    # -- response headers --------------------------------------------------------------------------
    def object_headers(self, obj: StoredObject) -> dict[str, str]:
        h = {"Content-Type": obj.content_type, "ETag": f'"{obj.etag}"', "Last-Modified": http_date(obj.last_modified),
             "Accept-Ranges": "bytes", **obj.content_headers}
        h.update({f"{self.prefix}meta-{k}": v for k, v in obj.metadata.items()})
        if self.always_storage_class or obj.storage_class != "STANDARD":
            h[self.prefix + "storage-class"] = obj.storage_class
        if obj.tags:
            h[self.prefix + "tagging-count"] = str(len(obj.tags))
        h.update(self.write_headers(obj))
        h.update(self.extra_object_headers(obj))
        return h

    def write_headers(self, obj: StoredObject) -> dict[str, str]:
        h = {"ETag": f'"{obj.etag}"'}
        if obj.crc64 is not None:
            h[self.prefix + "hash-crc64ecma"] = str(obj.crc64)
        if obj.version_id:
            h[self.prefix + "version-id"] = obj.version_id
        if obj.sse:
            h[self.prefix + "server-side-encryption"] = obj.sse
        if obj.sse_key_id and self.sse_key_header:
            h[self.sse_key_header] = obj.sse_key_id
        return h

    # -- buckets -----------------------------------------------------------------------------------
    def bucket_versioning(self, req: Request, bucket: str, *, put: bool) -> None:
        """GetBucketVersioning / PutBucketVersioning: <VersioningConfiguration><Status>Enabled|Suspended</Status>,
        and no <Status> for a bucket that never had versioning (oss2 reads that as status None)."""
        if put:
            self.check_md5(req)
            try:
                status = ET.fromstring(req.body).findtext("{*}Status") if req.body else None
            except ET.ParseError:
                status = None
            if status not in ("Enabled", "Suspended"):
                raise StoreError("MalformedXML", 400, "The XML you provided was not well-formed or did not "
                                 "validate against our published schema.")
            self.store.set_versioning(bucket, status)
            return self.send(200)
        status = self.store.versioning_status(bucket)
        self.send(200, xml("VersioningConfiguration", [("Status", status)]), {"Content-Type": "application/xml"})

    # -- objects -----------------------------------------------------------------------------------
    def get_object(self, req: Request, bucket: str, key: str, *, head: bool) -> None:
        obj = self.store.get(bucket, key, req.params.get("versionId"))
        if obj.delete_marker:
            raise StoreError("MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
        failed = evaluate_conditions(obj, **{c.replace("-", "_"): req.header(c) for c in CONDITIONS})
        if failed in ("if-none-match", "if-modified-since"):
            return self.send(304, headers={"ETag": f'"{obj.etag}"', "Last-Modified": http_date(obj.last_modified)})
        if failed:
            raise StoreError("PreconditionFailed", 412, "At least one of the pre-conditions you specified did "
                             "not hold.", Condition=failed)
        headers = self.object_headers(obj)
        span = self.resolve_range(req, obj.size)
        data, status = obj.data, 200
        if span is not None:
            data, status = obj.data[span[0]:span[1] + 1], 206
            headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{obj.size}"
        self.send(status, data, headers, head=head, length=len(data))

    def put_object(self, req: Request, bucket: str, key: str) -> None:
        self.check_md5(req)
        attrs = {**self.content_attrs(req), **self.placement_attrs(req)}
        obj = self.store.put(bucket, key, req.body, forbid_overwrite=self.forbid_overwrite(req), **attrs)
        self.send(200, headers=self.write_headers(obj))

    def delete(self, req: Request, bucket: str, key: str) -> None:
        self.store.versioning(bucket)
        marker = self.store.delete(bucket, key, req.params.get("versionId"))
        headers = {self.prefix + "delete-marker": "true", self.prefix + "version-id": marker.version_id} \
            if marker is not None and marker.version_id else {}
        self.send(204, headers=headers)

    def get_tagging(self, req: Request, bucket: str, key: str) -> None:
        obj = self.store.get(bucket, key, req.params.get("versionId"))
        tags = [("Tag", [("Key", k), ("Value", v)]) for k, v in obj.tags.items()]
        self.send(200, xml("Tagging", [("TagSet", tags)]), {"Content-Type": "application/xml"})

    def list_objects(self, req: Request, bucket: str) -> None:
        p = req.params
        encode = (lambda s: quote(s, safe="")) if p.get("encoding-type") == "url" else (lambda s: s)
        max_keys = int(p.get("max-keys") or 1000)
        objects, prefixes, truncated, next_marker = self.store.list(
            bucket, prefix=p.get("prefix", ""), marker=p.get("marker", ""), max_keys=max_keys,
            delimiter=p.get("delimiter", ""))
        body: list[tuple[str, Any]] = [
            ("Name", bucket), ("EncodingType", p.get("encoding-type")), ("Prefix", encode(p.get("prefix", ""))),
            ("Marker", encode(p.get("marker", ""))), ("MaxKeys", max_keys),
            ("Delimiter", encode(p["delimiter"]) if p.get("delimiter") else None),
            ("IsTruncated", str(truncated).lower()), ("NextMarker", encode(next_marker) if truncated else None)]
        body += self.contents(objects, encode)
        body += [("CommonPrefixes", [("Prefix", encode(cp))]) for cp in prefixes]
        self.send(200, xml("ListBucketResult", body), {"Content-Type": "application/xml"})

    def contents(self, objects: list[StoredObject], encode: Callable[[str], str]) -> list[tuple[str, Any]]:
        return [("Contents", [("Key", encode(o.key)), ("LastModified", iso_date(o.last_modified)),
                              ("ETag", f'"{o.etag}"'), ("Size", o.size), ("StorageClass", o.storage_class),
                              ("Owner", [("ID", "emulator"), ("DisplayName", "emulator")])]) for o in objects]

    # -- copy --------------------------------------------------------------------------------------
    def copy_source_object(self, req: Request, value: str) -> StoredObject:
        src_bucket, src_key, version = self.parse_copy_source(value)
        try:
            src = self.store.get(src_bucket, src_key, version)
        except StoreError as e:
            if e.code == "NoSuchBucket":  # name the source, not the destination
                raise StoreError("NoSuchBucket", 404, "The specified source bucket does not exist.",
                                 BucketName=src_bucket) from None
            raise
        if src.delete_marker:  # both vendors: a delete marker named by version id cannot be a source
            raise invalid("The source object version is a delete marker.")
        failed = evaluate_conditions(src, **{c.replace("-", "_"): req.header(f"{self.prefix}copy-source-{c}")
                                             for c in CONDITIONS})
        if failed in self.not_modified_on:
            raise StoreError("NotModified", 304, "", Condition=failed)
        if failed:
            raise StoreError("PreconditionFailed", 412, "At least one of the pre-conditions you specified did "
                             "not hold.", Condition=f"{self.prefix}copy-source-{failed}")
        return src

    def directive(self, req: Request, name: str, spellings: tuple[str, str]) -> bool:
        """True for 'copy from the source' (the default), False for 'replace'."""
        value = req.header(self.prefix + name)
        if value is None or value == spellings[0]:
            return True
        if value == spellings[1]:
            return False
        raise invalid(f"{self.prefix}{name} must be {spellings[0]} or {spellings[1]}, not {value!r}",
                      ArgumentName=self.prefix + name, ArgumentValue=value)

    def copy_object(self, req: Request, bucket: str, key: str, source: str) -> None:
        obj, src = self.copy(req, bucket, key, source)
        headers = {"Content-Type": "application/xml", **self.write_headers(obj)}  # oss2 reads the ETag header
        if src.version_id:
            headers[self.prefix + "copy-source-version-id"] = src.version_id
        self.send(200, xml("CopyObjectResult", [("ETag", f'"{obj.etag}"'),
                                                ("LastModified", iso_date(obj.last_modified))]), headers)

    def copy(self, req: Request, bucket: str, key: str, source: str) -> tuple[StoredObject, StoredObject]:
        """The copy itself, read from `req`'s headers: (the new object, its source)."""
        src = self.copy_source_object(req, source)
        copy_meta = self.directive(req, "metadata-directive", self.metadata_directive)
        copy_tags = self.directive(req, "tagging-directive", self.tagging_directive)
        # Encryption, storage class and ACL come from this request only, never from the source (the OSS
        # seed says so for encryption; a copy without x-*-storage-class lands in the default class).
        attrs = self.placement_attrs(req)
        attrs.update(self.content_attrs(req) if not copy_meta else
                     {"metadata": src.metadata, "content_type": src.content_type,
                      "content_headers": src.content_headers})
        if copy_tags:
            attrs["tags"] = src.tags
        else:
            attrs.setdefault("tags", {})
        obj = self.store.put(bucket, key, src.data, forbid_overwrite=self.forbid_overwrite(req), **attrs)
        return obj, src

    # -- multipart ---------------------------------------------------------------------------------
    def initiate(self, req: Request, bucket: str, key: str) -> None:
        attrs = {**self.content_attrs(req), **self.placement_attrs(req)}
        upload = self.store.initiate(bucket, key, **attrs)
        headers = {"Content-Type": "application/xml"}
        if attrs.get("sse"):
            headers[self.prefix + "server-side-encryption"] = attrs["sse"]
        self.send(200, xml("InitiateMultipartUploadResult", [("Bucket", bucket), ("Key", key),
                                                             ("UploadId", upload.upload_id)]), headers)

    def upload_part(self, req: Request, bucket: str, key: str, copy_source: str | None) -> None:
        number_s, upload_id = req.params.get("partNumber", ""), req.params.get("uploadId", "")
        if not number_s.isdigit() or not 1 <= int(number_s) <= MAX_PART_NUMBER:
            raise invalid(f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive",
                          ArgumentName="partNumber", ArgumentValue=number_s)
        attrs = self.store.upload_attrs(bucket, key, upload_id)  # NoSuchUpload before touching the source
        if copy_source is None:
            self.check_md5(req)
            part = self.store.put_part(bucket, key, upload_id, int(number_s), req.body)
            headers = {"ETag": f'"{part.etag}"'}
            if attrs.get("sse"):
                headers[self.prefix + "server-side-encryption"] = attrs["sse"]
            return self.send(200, headers=headers)
        src = self.copy_source_object(req, copy_source)
        data = src.data
        spec = req.header(self.prefix + "copy-source-range")
        if spec is not None:
            first_s, dash, last_s = spec.strip().removeprefix("bytes=").partition("-")
            if not (spec.strip().startswith("bytes=") and dash and first_s.isdigit() and last_s.isdigit()) \
                    or int(first_s) > int(last_s):
                raise invalid(f"{self.prefix}copy-source-range must be bytes=first-last, not {spec!r}")
            if int(last_s) >= src.size:
                raise invalid(f"Range specified is not valid for source object of size: {src.size}")
            data = src.data[int(first_s):int(last_s) + 1]
        if len(data) > self.max_part_size:
            raise StoreError("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.")
        part = self.store.put_part(bucket, key, upload_id, int(number_s), data)
        headers = {"Content-Type": "application/xml", "ETag": f'"{part.etag}"'}  # oss2 reads the header
        if src.version_id:
            headers[self.prefix + "copy-source-version-id"] = src.version_id
        self.send(200, xml("CopyPartResult", [("LastModified", iso_date(part.last_modified)),
                                              ("ETag", f'"{part.etag}"')]), headers)

    def complete(self, req: Request, bucket: str, key: str) -> None:
        try:
            root = ET.fromstring(req.body)
            parts = [(int(el.findtext("{*}PartNumber") or el.findtext("PartNumber") or ""),
                      el.findtext("{*}ETag") or el.findtext("ETag") or "") for el in root.iter()
                     if el.tag.rsplit("}", 1)[-1] == "Part"]
        except (ET.ParseError, ValueError):
            raise StoreError("MalformedXML", 400, "The XML you provided was not well-formed or did not "
                             "validate against our published schema.") from None
        obj = self.store.complete(bucket, key, req.params["uploadId"], parts, min_part_size=self.min_part_size,
                                  forbid_overwrite=self.forbid_overwrite(req))
        headers = {"Content-Type": "application/xml", **self.write_headers(obj)}  # oss2 reads the ETag header
        self.send(200, xml("CompleteMultipartUploadResult", [
            ("Location", f"http://{req.host}/{quote(key)}"), ("Bucket", bucket), ("Key", key),
            ("ETag", f'"{obj.etag}"')]), headers)

    def abort(self, req: Request, bucket: str, key: str) -> None:
        self.store.abort(bucket, key, req.params["uploadId"])
        self.send(204)

    def list_uploads(self, req: Request, bucket: str) -> None:
        p = req.params
        encode = (lambda s: quote(s, safe="")) if p.get("encoding-type") == "url" else (lambda s: s)
        limit = int(p.get("max-uploads") or 1000)
        found = self.store.uploads(bucket, prefix=p.get("prefix", ""), key_marker=p.get("key-marker", ""),
                                   upload_id_marker=p.get("upload-id-marker", ""))
        shown, truncated = found[:limit], len(found) > limit
        body: list[tuple[str, Any]] = [
            ("Bucket", bucket), ("EncodingType", p.get("encoding-type")),
            ("KeyMarker", encode(p.get("key-marker", ""))), ("UploadIdMarker", p.get("upload-id-marker", "")),
            ("NextKeyMarker", encode(shown[-1].key) if truncated else ""),
            ("NextUploadIdMarker", shown[-1].upload_id if truncated else ""),
            ("Prefix", encode(p.get("prefix", ""))), ("MaxUploads", limit), ("IsTruncated", str(truncated).lower())]
        body += [("Upload", [("Key", encode(u.key)), ("UploadId", u.upload_id),
                             ("StorageClass", u.attrs.get("storage_class", self.store.default_storage_class)),
                             ("Initiated", iso_date(u.initiated))]) for u in shown]
        self.send(200, xml("ListMultipartUploadsResult", body), {"Content-Type": "application/xml"})
