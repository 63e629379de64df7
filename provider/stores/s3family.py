"""The S3-shaped REST APIs: Amazon S3 and its compatibles, Tencent COS and Alibaba OSS.

They share the operations (HEAD, ranged GET, PUT, copy with a copy-source header, the multipart calls and their
XML) and differ in names and words: the header prefix, the directive values, how a copy source is written, how
requests are signed and addressed. Those differences are a Dialect (data); the store modules (s3.py, cos.py,
oss.py) supply endpoint and credential resolution, the signer and the addressing.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Iterator, Mapping
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import requests
from defusedxml import DefusedXmlException, ElementTree

from .. import profiles
from ..answers import answer_summary, etag_header, header_int, without, xml_body
from ..http import Request, transport
from ..urls import ObjectURL
from .base import (BadAnswer, CannotCopyHere, Capabilities, Limits, NotFound, ObjectInfo, Part, PreconditionFailed,
                   SourceConditions, StoreError, Upload, WriteOptions, normalize_etag, refuse_unsupported, require_etag,
                   resolved_write, same_etag)
from .common import (StreamingBody, content_headers, http_date, list_page_size, parse_http_date, parse_iso_date,
                     request_body)

_GET_CONDITION_HEADERS = {"if_match": "If-Match", "if_none_match": "If-None-Match",
                          "if_modified_since": "If-Modified-Since", "if_unmodified_since": "If-Unmodified-Since"}
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def q(value: str) -> str:
    """RFC 3986 encoding of a query value or tag, as all three services expect."""
    return quote(value, safe="-_.~")


@dataclass(frozen=True)
class Dialect:
    name: str                                 # the URL scheme: s3 | cos | oss
    prefix: str                               # x-amz- | x-cos- | x-oss-
    directive: Mapping[str, str]              # our COPY/REPLACE -> the wire word
    tagging_directive: Mapping[str, str]
    acl_header: str
    sse_words: Mapping[str, str] = field(default_factory=dict)   # our SSE names -> the wire word
    kms_key_header: str = "server-side-encryption-aws-kms-key-id"
    forbid_overwrite: str | None = None       # a header meaning "fail if the destination exists", if any
    list_v2: bool = True                      # ListObjectsV2 (list-type=2); COS lists with v1 markers

    def h(self, name: str) -> str:
        return self.prefix + name


def parse_error(resp: requests.Response, dialect: Dialect, *, error_in_200: bool = False):
    """(code, message, request id) of an error answer, including the `<Error>` a 200 copy may carry."""
    if resp.status_code < 300 and not error_in_200:
        return None
    body = b"" if resp.request.method == "HEAD" else resp.content
    if resp.status_code < 300 and b"<Error>" not in body[:512]:
        return None
    rid = resp.headers.get(dialect.h("request-id"))
    if body.lstrip().startswith(b"<"):
        try:
            root = ElementTree.fromstring(body)
            return (root.findtext("{*}Code"), root.findtext("{*}Message") or resp.reason or "",
                    root.findtext("{*}RequestId") or rid)
        except (ElementTree.ParseError, DefusedXmlException):
            pass
    code = {404: "NotFound", 412: "PreconditionFailed", 304: "PreconditionFailed"}.get(resp.status_code)
    summary = answer_summary(resp)
    if summary.startswith("an HTML page"):  # a proxy's or gateway's page, not the service's XML: describe it
        return code, f"{resp.reason or 'error'}: answered {summary}", rid
    return code, (body.decode("utf-8", "replace").strip()[:300] or resp.reason or ""), rid


def composite_etag(part_etags: list[str]) -> str | None:
    """The ETag S3 gives an object completed from these parts (the MD5 of their binary MD5s, then -count), or None
    when a part's ETag is no MD5."""
    try:
        joined = b"".join(bytes.fromhex(normalize_etag(e) or "") for e in part_etags)
    except ValueError:
        return None
    return f"{hashlib.md5(joined).hexdigest()}-{len(part_etags)}"


@contextmanager
def _refused_copy() -> Iterator[None]:
    """A server that does not implement a server-side copy (CopyObject, UploadPartCopy: some S3-compatible servers
    answer 501 NotImplemented) refuses the copy, not the object: CannotCopyHere, and transfer streams it instead."""
    try:
        yield
    except StoreError as e:
        if e.code != "NotImplemented" and e.status != 501:
            raise
        raise CannotCopyHere(f"{e} (the server does not copy inside itself)", status=e.status, code=e.code,
                             request_id=e.request_id) from None


def _xml_int(item, name: str, what: str) -> int:
    text = item.findtext("{*}" + name) or "0"
    try:
        return int(text)
    except ValueError:
        raise BadAnswer(f"{what}: answered <{name}>{text[:40]}</{name}>, not a number") from None


class S3Family:
    """The shared REST logic. Subclasses set `dialect`, `capabilities`, `limits`, `profile`, and implement
    _target (URL and any Host header), _sign and _copy_source."""

    dialect: Dialect
    capabilities: Capabilities
    limits: Limits
    profile: profiles.Profile

    # --- what each store supplies --------------------------------------------------------------------------------
    def _target(self, bucket: str, key: str = "", query: str = "") -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def _sign(self, method: str, url: str, headers: Mapping[str, str], now: datetime, payload_hash: str, *,
              bucket: str, key: str, query: str) -> Mapping[str, str]:
        raise NotImplementedError

    def _copy_source(self, src: ObjectInfo) -> str:
        raise NotImplementedError

    # --- requests -------------------------------------------------------------------------------------------------
    def _send(self, method: str, bucket: str, key: str = "", query: str = "", *, headers=None, body=None,
              context: str, stream=False, payload_hash: str = UNSIGNED_PAYLOAD,
              error_in_200: bool = False, idempotent: bool | None = None) -> requests.Response:
        url, target_headers = self._target(bucket, key, query)
        req = Request(method, url, {**target_headers, **(headers or {})}, body, stream=stream, context=context,
                      idempotent=idempotent)
        dialect = self.dialect
        return transport().send(req, sign=lambda m, u, h, now: self._sign(m, u, h, now, payload_hash, bucket=bucket,
                                                                          key=key, query=query),
                                verify=self.profile.verify,
                                parse_error=lambda r: parse_error(r, dialect, error_in_200=error_in_200))

    def _encryption(self, headers) -> str | None:
        if headers.get(self.dialect.h("server-side-encryption-customer-algorithm")):
            return "SSE-C"
        return headers.get(self.dialect.h("server-side-encryption"))

    def _info(self, url: ObjectURL, resp: requests.Response) -> ObjectInfo:
        h, meta = resp.headers, self.dialect.h("meta-")
        etag = normalize_etag(h.get("ETag"))
        return ObjectInfo(
            url=url, size=header_int(resp, "Content-Length", f"HEAD {url}", default=0), etag=etag,
            last_modified=parse_http_date(h.get("Last-Modified")), content_type=h.get("Content-Type"),
            metadata={k[len(meta):].lower(): v for k, v in h.items() if k.lower().startswith(meta)},
            headers=content_headers(h), version_id=h.get(self.dialect.h("version-id")),
            storage_class=h.get(self.dialect.h("storage-class")),
            composite="multipart" if etag and "-" in etag else None, encryption=self._encryption(h))

    @staticmethod
    def _version_query(version_id: str | None) -> str:
        return f"versionId={q(version_id)}" if version_id else ""

    # --- the Store protocol ---------------------------------------------------------------------------------------
    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        resp = self._send("HEAD", url.bucket, url.key, self._version_query(version_id), context=f"HEAD {url}")
        etag_header(resp, f"HEAD {url}")
        return self._info(url, resp)

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        for item in self._list(prefix, folders=False):
            yield item  # type: ignore[misc]

    def list_folder(self, prefix: ObjectURL) -> Iterator[ObjectInfo | str]:
        """One level of `prefix`: the objects directly under it, and each sub-prefix (a key prefix ending in '/',
        S3's CommonPrefixes) once, so that the sub-prefixes can be listed side by side."""
        return self._list(prefix, folders=True)

    def _list(self, prefix: ObjectURL, *, folders: bool) -> Iterator[ObjectInfo | str]:
        marker = None
        page = list_page_size(self.profile)
        while True:
            if self.dialect.list_v2:
                params = [("list-type", "2"), ("prefix", prefix.key)] + (
                    [("continuation-token", marker)] if marker else [])
            else:
                params = [("prefix", prefix.key)] + ([("marker", marker)] if marker else [])
            if page:
                params.append(("max-keys", str(page)))
            if folders:
                params.append(("delimiter", "/"))
            query = "&".join(f"{k}={q(v)}" for k, v in sorted(params))
            what = f"list {prefix}"
            root = xml_body(self._send("GET", prefix.bucket, "", query, context=what), what, "ListBucketResult")
            last_key = None
            for item in root.iterfind(".//{*}Contents"):
                etag = normalize_etag(item.findtext("{*}ETag"))
                last_key = item.findtext("{*}Key")
                if last_key is None:
                    raise BadAnswer(f"{what}: answered a <Contents> entry without a <Key>")
                yield ObjectInfo(url=prefix.with_key(last_key), size=_xml_int(item, "Size", what),
                                 etag=etag, composite="multipart" if etag and "-" in etag else None,
                                 last_modified=parse_iso_date(item.findtext("{*}LastModified")),
                                 storage_class=item.findtext("{*}StorageClass"))
            for common in root.iterfind(".//{*}CommonPrefixes") if folders else ():
                sub = common.findtext("{*}Prefix")
                if sub:
                    last_key = max(last_key or "", sub)
                    yield sub
            if root.findtext("{*}IsTruncated") != "true":
                return
            marker = root.findtext("{*}NextContinuationToken") if self.dialect.list_v2 else (
                root.findtext("{*}NextMarker") or last_key)
            if not marker:
                return

    def _write_headers(self, options: WriteOptions, source: ObjectInfo | None) -> dict[str, str]:
        metadata, content_type, extra = resolved_write(options, source)
        headers = {self.dialect.h(f"meta-{k}"): v for k, v in metadata.items()}
        headers.update(extra)
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _object_headers(self, options: WriteOptions, *, copy: bool) -> dict[str, str]:
        """Tags, ACL, storage class and encryption: not metadata, so they apply under either directive."""
        d, headers = self.dialect, {}
        if options.tags is not None:
            headers[d.h("tagging")] = "&".join(f"{q(k)}={q(v)}" for k, v in sorted(options.tags.items()))
        if copy and (options.tags is not None or options.tagging_directive == "REPLACE"):
            headers[d.h("tagging-directive")] = d.tagging_directive["REPLACE"]  # tags are ignored under COPY
        sse = options.server_side_encryption or ("aws:kms" if options.kms_key_id else None)
        for header, value in ((d.acl_header, options.acl), (d.h("storage-class"), options.storage_class),
                              (d.h("server-side-encryption"), d.sse_words.get(sse, sse) if sse else None),
                              (d.h(d.kms_key_header), options.kms_key_id)):
            if value:
                headers[header] = value
        return headers

    def _copy_source_headers(self, src: ObjectInfo, conditions: SourceConditions) -> dict[str, str]:
        """The copy source and its conditions, for a copy and a part copy alike."""
        if (not self.capabilities.copy_if_match_multipart_etag and conditions.if_match
                and "-" in conditions.if_match and src.last_modified):
            # The caller has just HEADed the source and checked the ETag; pin on its Last-Modified instead.
            conditions = replace(conditions, if_match=None, if_unmodified_since=src.last_modified)
        headers = {self.dialect.h("copy-source"): self._copy_source(src)}
        for name in ("if_match", "if_none_match", "if_modified_since", "if_unmodified_since"):
            value = getattr(conditions, name)
            if value is not None and name in self.capabilities.copy_conditions:
                header = self.dialect.h("copy-source-" + name.replace("_", "-"))
                headers[header] = http_date(value) if isinstance(value, datetime) else f'"{normalize_etag(value)}"'
        return headers

    def _no_overwrite_headers(self, options: WriteOptions, *, copy: bool) -> dict[str, str]:
        caps = self.capabilities
        if options.overwrite or not (caps.dest_if_none_match_on_copy if copy else caps.dest_if_none_match_on_write):
            return {}
        d = self.dialect
        return {d.h(d.forbid_overwrite): "true"} if d.forbid_overwrite else {"If-None-Match": "*"}

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, dst)
        d = self.dialect
        headers = self._copy_source_headers(src, conditions)
        if options.metadata_directive == "COPY" and not (options.metadata or options.content_type or options.headers):
            headers[d.h("metadata-directive")] = d.directive["COPY"]
        else:
            headers.update(self._write_headers(options, src))
            headers[d.h("metadata-directive")] = d.directive["REPLACE"]
        headers.update(self._no_overwrite_headers(options, copy=True))
        headers.update(self._object_headers(options, copy=True))
        what = f"copy {src.url} to {dst}"
        with _refused_copy():
            resp = self._send("PUT", dst.bucket, dst.key, headers=headers, error_in_200=True, context=what)
        root = xml_body(resp, what, "CopyObjectResult")
        etag = normalize_etag(root.findtext("{*}ETag") or resp.headers.get("ETag"))
        if not etag:
            raise without(resp, "an ETag in its <CopyObjectResult>", what)
        metadata, content_type, extra = resolved_write(options, src)
        return ObjectInfo(url=dst, size=src.size, etag=etag,
                          last_modified=parse_iso_date(root.findtext("{*}LastModified")),
                          content_type=content_type, metadata=metadata, headers=extra,
                          version_id=resp.headers.get(d.h("version-id")),
                          composite=src.composite, encryption=self._encryption(resp.headers))

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> StreamingBody:
        headers = {}
        for name, header in _GET_CONDITION_HEADERS.items():
            value = getattr(conditions, name)
            if value is not None:
                headers[header] = http_date(value) if isinstance(value, datetime) else f'"{normalize_etag(value)}"'
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        resp = self._send("GET", url.bucket, url.key, self._version_query(version_id), headers=headers,
                          stream=True, context=f"GET {url}")
        return StreamingBody(resp, f"GET {url}")

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        headers = self._write_headers(options, source)
        headers.update(self._object_headers(options, copy=False))
        headers.update(self._no_overwrite_headers(options, copy=False))
        headers["Content-Length"] = str(size)
        data = request_body(body, size)
        payload = self._payload_hash(data) if isinstance(data, bytes) else UNSIGNED_PAYLOAD
        try:
            resp = self._send("PUT", url.bucket, url.key, headers=headers, body=data, payload_hash=payload,
                              context=f"PUT {url}")
        except PreconditionFailed as e:
            if not options.overwrite:
                raise PreconditionFailed(f"{url} already exists and overwrite is off", status=e.status,
                                         code=e.code) from None
            raise
        etag = etag_header(resp, f"PUT {url}")
        metadata, content_type, extra = resolved_write(options, source)
        return ObjectInfo(url=url, size=size, etag=etag,
                          content_type=content_type, metadata=metadata, headers=extra,
                          version_id=resp.headers.get(self.dialect.h("version-id")),
                          encryption=self._encryption(resp.headers))

    @staticmethod
    def _payload_hash(data: bytes) -> str:
        import hashlib
        return hashlib.sha256(data).hexdigest()

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            require_etag(self, url, if_match, version_id)
        self._send("DELETE", url.bucket, url.key, self._version_query(version_id), context=f"DELETE {url}")

    # --- multipart (Multipart, PartCopier) -----------------------------------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        # Multipart uploads ignore the metadata directive: what the object carries is sent here, in full.
        refuse_unsupported(options, self.capabilities, dst)
        headers = self._write_headers(options, source)
        headers.update(self._object_headers(options, copy=False))
        # Sent again after a lost answer, as the SDKs do: a second upload is no second copy, only an unused upload.
        resp = self._send("POST", dst.bucket, dst.key, "uploads=", headers=headers, idempotent=True,
                          context=f"start multipart upload to {dst}")
        what = f"start multipart upload to {dst}"
        upload_id = xml_body(resp, what, "InitiateMultipartUploadResult").findtext("{*}UploadId")
        if not upload_id:
            raise without(resp, "an <UploadId>", what)
        return Upload(dst, upload_id, encryption=self._encryption(resp.headers))

    @staticmethod
    def _part_query(upload: Upload, part: Part) -> str:
        return f"partNumber={part.number}&uploadId={q(upload.upload_id)}"

    def copy_part(self, upload: Upload, part: Part, src: ObjectInfo, *, conditions: SourceConditions) -> str:
        headers = self._copy_source_headers(src, conditions)
        headers[self.dialect.h("copy-source-range")] = f"bytes={part.start}-{part.end}"
        what = f"copy part {part.number} of {src.url} to {upload.url}"
        with _refused_copy():
            resp = self._send("PUT", upload.url.bucket, upload.url.key, self._part_query(upload, part),
                              headers=headers, error_in_200=True, context=what)
        etag = normalize_etag(xml_body(resp, what, "CopyPartResult").findtext("{*}ETag") or resp.headers.get("ETag"))
        if not etag:
            raise without(resp, "an ETag", what)
        return etag

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        resp = self._send("PUT", upload.url.bucket, upload.url.key, self._part_query(upload, part),
                          headers={"Content-Length": str(part.size)}, body=request_body(body, part.size),
                          context=f"upload part {part.number} of {upload.url}")
        return etag_header(resp, f"upload part {part.number} of {upload.url}")

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        body = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{p.number}</PartNumber><ETag>\"{xml_escape(etag)}\"</ETag></Part>"
            for p, etag in parts) + "</CompleteMultipartUpload>").encode()
        what = f"complete multipart upload to {upload.url}"
        try:
            resp = self._send("POST", upload.url.bucket, upload.url.key, f"uploadId={q(upload.upload_id)}",
                              body=body, headers={"Content-Type": "application/xml"},
                              payload_hash=self._payload_hash(body), error_in_200=True, idempotent=True,
                              context=what)
        except NotFound as e:
            # A retry after a lost answer finds the upload gone because the first try completed it: the object
            # is there with exactly the ETag these parts make. Anything else is a real NoSuchUpload.
            try:
                info = self.head(upload.url)
            except NotFound:
                raise e from None
            expected = composite_etag([etag for _, etag in parts])
            if expected is None or not same_etag(info.etag, expected):
                raise e from None
            return info
        xml_body(resp, what, "CompleteMultipartUploadResult")  # garbage is no completion: the caller aborts
        return self.head(upload.url)  # the answer has no Last-Modified or version id

    def abort_upload(self, upload: Upload) -> None:
        try:
            self._send("DELETE", upload.url.bucket, upload.url.key, f"uploadId={q(upload.upload_id)}",
                       context=f"abort multipart upload to {upload.url}")
        except NotFound:
            pass  # already gone: aborting twice is fine

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        markers = ""
        server_prefix = prefix.key if self.capabilities.list_uploads_by_prefix else ""
        while True:
            query = f"{markers}prefix={q(server_prefix)}&uploads="
            what = f"list uploads under {prefix}"
            root = xml_body(self._send("GET", prefix.bucket, "", query, context=what), what,
                            "ListMultipartUploadsResult")
            for item in root.iterfind(".//{*}Upload"):
                key = item.findtext("{*}Key") or ""
                if key.startswith(prefix.key):
                    yield Upload(prefix.with_key(key), item.findtext("{*}UploadId"),
                                 parse_iso_date(item.findtext("{*}Initiated")))
            key, upload_id = root.findtext("{*}NextKeyMarker"), root.findtext("{*}NextUploadIdMarker")
            if root.findtext("{*}IsTruncated") != "true" or not key:
                return
            markers = f"key-marker={q(key)}&upload-id-marker={q(upload_id or '')}&"

    def get_tags(self, url: ObjectURL) -> dict[str, str]:
        what = f"get tags of {url}"
        root = xml_body(self._send("GET", url.bucket, url.key, "tagging=", context=what), what, "Tagging")
        return {t.findtext("{*}Key"): t.findtext("{*}Value") or "" for t in root.iterfind(".//{*}Tag")}
