"""Amazon S3 and S3-compatible servers (MinIO, Swift's s3api, ...) over the REST API, signed with SigV4.

Server variants are rows of PROVIDERS, chosen by the profile's `provider` field, never subclasses.
"""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from typing import Iterator
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import requests
from defusedxml import ElementTree

from .. import profiles
from ..http import Request, transport
from ..signing import sigv4
from ..urls import ObjectURL
from .base import (Capabilities, ConfigError, GiB, Limits, MiB, NotFound, ObjectInfo, Part, PreconditionFailed,
                   SourceConditions, Upload, WriteOptions, normalize_etag, refuse_unsupported, resolved_write)
from .common import StreamingBody, content_headers, http_date, parse_http_date, parse_iso_date, request_body

# Server variants. `minio` ignores if-none-match on CopyObject (it honours it on PutObject) and lists multipart
# uploads only for an exact key. `swift`: s3api
# checks copy-source-if-match against Swift's own MD5, never the `-N` ETag it reports for multipart objects,
# applies if-none-match on a copy to the source, and has no tagging (501).
_S3 = dict(versioning=True, tagging=True, acl=True, storage_class=True, sse=True, multipart_copy=True,
           multipart_upload=True)
PROVIDERS: dict[str, Capabilities] = {
    "aws": Capabilities(**_S3),
    "minio": Capabilities(**_S3, dest_if_none_match_on_copy=False, list_uploads_by_prefix=False),
    "swift": Capabilities(copy_if_match_multipart_etag=False, dest_if_none_match_on_copy=False, versioning=True,
                          multipart_copy=True, multipart_upload=True),
    "other": Capabilities(**_S3, dest_if_none_match_on_copy=False, dest_if_none_match_on_write=False),
}
# Lookups use the {*} wildcard: AWS puts its namespace on every answer, MinIO leaves it off some (tagging).
_CONDITION_HEADERS = {
    "if_match": "x-amz-copy-source-if-match", "if_none_match": "x-amz-copy-source-if-none-match",
    "if_modified_since": "x-amz-copy-source-if-modified-since",
    "if_unmodified_since": "x-amz-copy-source-if-unmodified-since",
}
_GET_CONDITION_HEADERS = {"if_match": "If-Match", "if_none_match": "If-None-Match",
                          "if_modified_since": "If-Modified-Since", "if_unmodified_since": "If-Unmodified-Since"}


def _encryption(headers) -> str | None:
    if headers.get("x-amz-server-side-encryption-customer-algorithm"):
        return "SSE-C"
    return headers.get("x-amz-server-side-encryption")


def parse_error(resp: requests.Response, *, error_in_200: bool = False):
    """(code, message, request id) of an S3 error, including the `<Error>` a 200 CopyObject may carry."""
    if resp.status_code < 300 and not error_in_200:
        return None
    if resp.status_code < 300:
        body = resp.content
        if b"<Error>" not in body[:512]:
            return None
    rid = resp.headers.get("x-amz-request-id")
    body = resp.content if resp.request.method != "HEAD" else b""
    if body.lstrip().startswith(b"<"):
        try:
            root = ElementTree.fromstring(body)
            return (root.findtext("Code"), root.findtext("Message") or resp.reason or "",
                    root.findtext("RequestId") or rid)
        except ElementTree.ParseError:
            pass
    code = {404: "NotFound", 412: "PreconditionFailed", 304: "PreconditionFailed"}.get(resp.status_code)
    return code, (body.decode("utf-8", "replace").strip()[:300] or resp.reason or ""), rid


class S3Store:
    def __init__(self, profile: profiles.Profile):
        self.profile = profile
        shared = profiles.aws_shared_profile(self._aws_profile_name())
        self.region = (profile.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                       or shared.get("region") or "us-east-1")
        endpoint = (profile.endpoint_override() or os.environ.get("AWS_ENDPOINT_URL_S3")
                    or os.environ.get("AWS_ENDPOINT_URL") or shared.get("s3.endpoint_url")
                    or shared.get("endpoint_url"))
        self.endpoint = (endpoint or f"https://s3.{self.region}.amazonaws.com").rstrip("/")
        style = profile.get("addressing") or shared.get("s3.addressing_style") or "auto"
        if style not in ("auto", "path", "virtual"):
            raise ConfigError(f"profile {profile.name!r}: addressing must be path, virtual or auto, not {style!r}")
        # Custom endpoints (MinIO, on-prem) rarely have wildcard DNS: path style unless told otherwise.
        self.path_style = style == "path" or (style == "auto" and endpoint is not None)
        provider = profile.get("provider") or ("other" if endpoint else "aws")
        if provider not in PROVIDERS:
            raise ConfigError(f"profile {profile.name!r}: provider must be one of {', '.join(PROVIDERS)}")
        self.capabilities = PROVIDERS[provider]
        limit = profile.get("single_copy_limit")
        self.limits = Limits(max_single_copy=int(limit) if limit else 5 * GiB, multipart_cutoff=64 * MiB)
        self.credentials = self._credentials(shared)

    # --- credentials, resolved per store (per call) ---------------------------------------------------------------
    def _aws_profile_name(self) -> str:
        return self.profile.get("aws_profile") or os.environ.get("AWS_PROFILE") or "default"

    def _credentials(self, shared: dict) -> sigv4.Credentials:
        p = self.profile
        if p.get("access_key_id_env") or p.get("secret_access_key_env") or p.get("secret_access_key_config"):
            key_id = p.get("access_key_id") or p.secret("access_key_id")
            secret = p.secret("secret_access_key")
            if not key_id or not secret:
                raise ConfigError(f"profile {p.name!r}: set access_key_id_env (or access_key_id) and "
                                  f"secret_access_key_env")
            return sigv4.Credentials(key_id, secret, p.secret("session_token", required=False))
        if not p.get("aws_profile") and os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
            return sigv4.Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                                     os.environ.get("AWS_SESSION_TOKEN"))
        if shared.get("aws_access_key_id") and shared.get("aws_secret_access_key"):
            return sigv4.Credentials(shared["aws_access_key_id"], shared["aws_secret_access_key"],
                                     shared.get("aws_session_token"))
        return self._botocore_credentials()

    def _botocore_credentials(self) -> sigv4.Credentials:
        """SSO, assume-role, web identity, instance metadata: botocore's chain, when the [aws] extra is installed."""
        hint = ("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or name a profile with "
                "access_key_id_env/secret_access_key_env in the URL (s3://PROFILE@bucket/key)")
        try:
            import botocore.session
        except ImportError:
            raise ConfigError(f"no AWS credentials found; {hint} "
                              "(for SSO or roles: pip install 'pulumi-objectcopy[aws]')") from None
        session = botocore.session.Session(profile=self.profile.get("aws_profile") or os.environ.get("AWS_PROFILE") or None)
        try:
            creds = session.get_credentials()
        except Exception as e:  # botocore raises many types for a broken profile
            raise ConfigError(f"AWS credentials could not be loaded: {type(e).__name__}: {e}") from None
        if creds is None:
            raise ConfigError(f"no AWS credentials found; {hint}")
        frozen = creds.get_frozen_credentials()
        return sigv4.Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def identity(self) -> tuple:
        return ("s3", self.endpoint, self.credentials.access_key)

    def location(self, url: ObjectURL) -> tuple:
        return ("s3", self.endpoint, url.bucket, url.key)

    # --- requests -------------------------------------------------------------------------------------------------
    def _url(self, bucket: str, key: str = "", query: str = "") -> str:
        parts = urlsplit(self.endpoint)
        path = "/" + sigv4.quote_key(key)
        if self.path_style:
            url = f"{self.endpoint}/{bucket}{path}" if key else f"{self.endpoint}/{bucket}"
        else:
            url = f"{parts.scheme}://{bucket}.{parts.netloc}{parts.path}{path}"
        return f"{url}?{query}" if query else url

    def _send(self, method: str, url: str, *, headers=None, body=None, context: str, stream=False,
              payload_hash: str = sigv4.UNSIGNED_PAYLOAD, error_in_200: bool = False) -> requests.Response:
        creds, region = self.credentials, self.region

        def sign(m, u, h, now):
            return sigv4.sign(m, u, h, credentials=creds, region=region, now=now, payload_hash=payload_hash)

        req = Request(method, url, dict(headers or {}), body, stream=stream, context=context)
        return transport().send(req, sign=sign, verify=self.profile.verify,
                                parse_error=lambda r: parse_error(r, error_in_200=error_in_200))

    def _info(self, url: ObjectURL, resp: requests.Response, size: int | None = None) -> ObjectInfo:
        h = resp.headers
        etag = normalize_etag(h.get("ETag"))
        return ObjectInfo(
            url=url, size=int(h.get("Content-Length", 0)) if size is None else size, etag=etag,
            last_modified=parse_http_date(h.get("Last-Modified")), content_type=h.get("Content-Type"),
            metadata={k[11:].lower(): v for k, v in h.items() if k.lower().startswith("x-amz-meta-")},
            headers=content_headers(h), version_id=h.get("x-amz-version-id"),
            storage_class=h.get("x-amz-storage-class"),
            composite="multipart" if etag and "-" in etag else None, encryption=_encryption(h))

    # --- the Store protocol ---------------------------------------------------------------------------------------
    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        query = f"versionId={sigv4.quote_query_value(version_id)}" if version_id else ""
        resp = self._send("HEAD", self._url(url.bucket, url.key, query), context=f"HEAD {url}")
        return self._info(url, resp)

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        token = None
        while True:
            params = [("list-type", "2"), ("prefix", prefix.key)]
            if token:
                params.append(("continuation-token", token))
            query = "&".join(f"{k}={sigv4.quote_query_value(v)}" for k, v in sorted(params))
            resp = self._send("GET", self._url(prefix.bucket, "", query), context=f"list {prefix}")
            root = ElementTree.fromstring(resp.content)
            for item in root.iterfind(".//{*}Contents"):
                etag = normalize_etag(item.findtext("{*}ETag"))
                yield ObjectInfo(
                    url=prefix.with_key(item.findtext("{*}Key")), size=int(item.findtext("{*}Size") or 0),
                    etag=etag, composite="multipart" if etag and "-" in etag else None,
                    last_modified=parse_iso_date(item.findtext("{*}LastModified")),
                    storage_class=item.findtext("{*}StorageClass"))
            token = root.findtext("{*}NextContinuationToken")
            if root.findtext("{*}IsTruncated") != "true" or not token:
                return

    def _write_headers(self, options: WriteOptions, source: ObjectInfo | None) -> dict[str, str]:
        metadata, content_type, extra = resolved_write(options, source)
        headers = {f"x-amz-meta-{k}": v for k, v in metadata.items()}
        headers.update(extra)
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    @staticmethod
    def _object_headers(options: WriteOptions, *, copy: bool) -> dict[str, str]:
        """Tags, ACL, storage class and encryption: not metadata, so they apply under either directive."""
        headers = {}
        if options.tags is not None:
            headers["x-amz-tagging"] = "&".join(f"{sigv4.quote_query_value(k)}={sigv4.quote_query_value(v)}"
                                                for k, v in sorted(options.tags.items()))
        if copy and (options.tags is not None or options.tagging_directive == "REPLACE"):
            headers["x-amz-tagging-directive"] = "REPLACE"  # S3 ignores x-amz-tagging under COPY (#25477)
        for header, value in (("x-amz-acl", options.acl), ("x-amz-storage-class", options.storage_class),
                              ("x-amz-server-side-encryption",
                               options.server_side_encryption or ("aws:kms" if options.kms_key_id else None)),
                              ("x-amz-server-side-encryption-aws-kms-key-id", options.kms_key_id)):
            if value:
                headers[header] = value
        return headers

    def _copy_source_headers(self, src: ObjectInfo, conditions: SourceConditions) -> dict[str, str]:
        """x-amz-copy-source and its conditions, for CopyObject and UploadPartCopy alike."""
        if (not self.capabilities.copy_if_match_multipart_etag and conditions.if_match
                and "-" in conditions.if_match and src.last_modified):
            # The caller has just HEADed the source and checked the ETag; pin on its Last-Modified instead.
            conditions = replace(conditions, if_match=None, if_unmodified_since=src.last_modified)
        headers = {"x-amz-copy-source": sigv4.copy_source(src.url.bucket, src.url.key, src.version_id)}
        for name, header in _CONDITION_HEADERS.items():
            value = getattr(conditions, name)
            if value is not None and name in self.capabilities.copy_conditions:
                headers[header] = http_date(value) if isinstance(value, datetime) else f'"{normalize_etag(value)}"'
        return headers

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions) -> ObjectInfo:
        headers = self._copy_source_headers(src, conditions)
        if options.metadata_directive == "COPY" and not (options.metadata or options.content_type or options.headers):
            headers["x-amz-metadata-directive"] = "COPY"
        else:
            headers.update(self._write_headers(options, src))
            headers["x-amz-metadata-directive"] = "REPLACE"
        if not options.overwrite and self.capabilities.dest_if_none_match_on_copy:
            headers["If-None-Match"] = "*"
        refuse_unsupported(options, self.capabilities, dst)
        headers.update(self._object_headers(options, copy=True))
        resp = self._send("PUT", self._url(dst.bucket, dst.key), headers=headers, error_in_200=True,
                          context=f"copy {src.url} to {dst}")
        root = ElementTree.fromstring(resp.content)
        metadata, content_type, extra = resolved_write(options, src)
        return ObjectInfo(url=dst, size=src.size, etag=normalize_etag(root.findtext("{*}ETag")),
                          last_modified=parse_iso_date(root.findtext("{*}LastModified")),
                          content_type=content_type, metadata=metadata, headers=extra,
                          version_id=resp.headers.get("x-amz-version-id"),
                          composite=src.composite, encryption=_encryption(resp.headers))

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> StreamingBody:
        headers = {}
        for name, header in _GET_CONDITION_HEADERS.items():
            value = getattr(conditions, name)
            if value is not None:
                headers[header] = http_date(value) if isinstance(value, datetime) else f'"{normalize_etag(value)}"'
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        query = f"versionId={sigv4.quote_query_value(version_id)}" if version_id else ""
        resp = self._send("GET", self._url(url.bucket, url.key, query), headers=headers, stream=True,
                          context=f"GET {url}")
        return StreamingBody(resp)

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        headers = self._write_headers(options, source)
        headers.update(self._object_headers(options, copy=False))
        headers["Content-Length"] = str(size)
        if not options.overwrite and self.capabilities.dest_if_none_match_on_write:
            headers["If-None-Match"] = "*"
        data = request_body(body, size)
        payload = sigv4.payload_sha256(data) if isinstance(data, bytes) else sigv4.UNSIGNED_PAYLOAD
        try:
            resp = self._send("PUT", self._url(url.bucket, url.key), headers=headers, body=data,
                              payload_hash=payload, context=f"PUT {url}")
        except PreconditionFailed as e:
            if not options.overwrite:
                raise PreconditionFailed(f"{url} already exists and overwrite is off", status=e.status,
                                         code=e.code) from None
            raise
        metadata, content_type, extra = resolved_write(options, source)
        return ObjectInfo(url=url, size=size, etag=normalize_etag(resp.headers.get("ETag")),
                          content_type=content_type, metadata=metadata, headers=extra,
                          version_id=resp.headers.get("x-amz-version-id"), encryption=_encryption(resp.headers))

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            current = self.head(url, version_id=version_id)
            if current.etag != normalize_etag(if_match):
                raise PreconditionFailed(f"not deleting {url}: its ETag is {current.etag}, "
                                         f"expected {normalize_etag(if_match)}")
        query = f"versionId={sigv4.quote_query_value(version_id)}" if version_id else ""
        self._send("DELETE", self._url(url.bucket, url.key, query), context=f"DELETE {url}")


    # --- multipart (MultipartStore) -----------------------------------------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        # Multipart uploads ignore the metadata directive: what the object carries is sent here, in full.
        refuse_unsupported(options, self.capabilities, dst)
        headers = self._write_headers(options, source)
        headers.update(self._object_headers(options, copy=False))
        resp = self._send("POST", self._url(dst.bucket, dst.key, "uploads="), headers=headers,
                          context=f"start multipart upload to {dst}")
        return Upload(dst, ElementTree.fromstring(resp.content).findtext("{*}UploadId"),
                      encryption=_encryption(resp.headers))

    def _part_url(self, upload: Upload, part: Part) -> str:
        query = f"partNumber={part.number}&uploadId={sigv4.quote_query_value(upload.upload_id)}"
        return self._url(upload.url.bucket, upload.url.key, query)

    def copy_part(self, upload: Upload, part: Part, src: ObjectInfo, *, conditions: SourceConditions) -> str:
        headers = self._copy_source_headers(src, conditions)
        headers["x-amz-copy-source-range"] = f"bytes={part.start}-{part.end}"
        resp = self._send("PUT", self._part_url(upload, part), headers=headers, error_in_200=True,
                          context=f"copy part {part.number} of {src.url} to {upload.url}")
        return normalize_etag(ElementTree.fromstring(resp.content).findtext("{*}ETag"))

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        resp = self._send("PUT", self._part_url(upload, part), headers={"Content-Length": str(part.size)},
                          body=request_body(body, part.size),
                          context=f"upload part {part.number} of {upload.url}")
        return normalize_etag(resp.headers.get("ETag"))

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        body = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{p.number}</PartNumber><ETag>\"{xml_escape(etag)}\"</ETag></Part>"
            for p, etag in parts) + "</CompleteMultipartUpload>").encode()
        query = f"uploadId={sigv4.quote_query_value(upload.upload_id)}"
        self._send("POST", self._url(upload.url.bucket, upload.url.key, query), body=body,
                   headers={"Content-Type": "application/xml"}, payload_hash=sigv4.payload_sha256(body),
                   error_in_200=True, context=f"complete multipart upload to {upload.url}")
        return self.head(upload.url)  # the answer has no Last-Modified or version id

    def abort_upload(self, upload: Upload) -> None:
        query = f"uploadId={sigv4.quote_query_value(upload.upload_id)}"
        try:
            self._send("DELETE", self._url(upload.url.bucket, upload.url.key, query),
                       context=f"abort multipart upload to {upload.url}")
        except NotFound:
            pass  # already gone: aborting twice is fine

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        markers = ""
        server_prefix = prefix.key if self.capabilities.list_uploads_by_prefix else ""
        while True:
            query = f"{markers}prefix={sigv4.quote_query_value(server_prefix)}&uploads="
            resp = self._send("GET", self._url(prefix.bucket, "", query), context=f"list uploads under {prefix}")
            root = ElementTree.fromstring(resp.content)
            for item in root.iterfind(".//{*}Upload"):
                key = item.findtext("{*}Key") or ""
                if key.startswith(prefix.key):
                    yield Upload(prefix.with_key(key), item.findtext("{*}UploadId"),
                                 parse_iso_date(item.findtext("{*}Initiated")))
            key, upload_id = root.findtext("{*}NextKeyMarker"), root.findtext("{*}NextUploadIdMarker")
            if root.findtext("{*}IsTruncated") != "true" or not key:
                return
            markers = (f"key-marker={sigv4.quote_query_value(key)}&"
                       f"upload-id-marker={sigv4.quote_query_value(upload_id or '')}&")

    def get_tags(self, url: ObjectURL) -> dict[str, str]:
        resp = self._send("GET", self._url(url.bucket, url.key, "tagging="), context=f"get tags of {url}")
        root = ElementTree.fromstring(resp.content)
        return {t.findtext("{*}Key"): t.findtext("{*}Value") or "" for t in root.iterfind(".//{*}Tag")}

    def delete_all_versions(self, url: ObjectURL) -> None:
        """Every version and delete marker of exactly this key, paged through ListObjectVersions."""
        marker = ""
        while True:
            query = f"prefix={sigv4.quote_query_value(url.key)}&versions="
            if marker:
                query = f"key-marker={sigv4.quote_query_value(marker)}&" + query
            resp = self._send("GET", self._url(url.bucket, "", query), context=f"list versions of {url}")
            root = ElementTree.fromstring(resp.content)
            for item in list(root.iterfind(".//{*}Version")) + list(root.iterfind(".//{*}DeleteMarker")):
                if item.findtext("{*}Key") == url.key:
                    self.delete(url, version_id=item.findtext("{*}VersionId"))
            marker = root.findtext("{*}NextKeyMarker") or ""
            if root.findtext("{*}IsTruncated") != "true" or not marker:
                return


def from_profile(profile: profiles.Profile) -> S3Store:
    return S3Store(profile)
