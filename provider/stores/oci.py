"""Oracle Cloud Infrastructure Object Storage over its native API: `oci://namespace/bucket/object`, signed with an
OCI API key (RSA-SHA256 HTTP signatures).

CopyObject is asynchronous: it answers 202 with a work request, which the one waiter in jobs.py follows to the
end. A copy retried after an interruption first looks for a work request still running for the same source and
destination, and follows that one instead of starting a second copy.
"""
from __future__ import annotations

import base64
import configparser
import json
import os
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

import requests

from .. import jobs, profiles
from ..answers import etag_header, header_int, json_body, without
from ..http import ERROR_CODES, Request, transport
from ..signing import oci as oci_signing
from ..urls import ObjectURL
from .base import (AnswerLost, BadAnswer, BadRequest, Capabilities, ConfigError, GiB, Limits, MiB, NotFound,
                   ObjectInfo, Part, PreconditionFailed, SourceConditions, Upload, WriteOptions, normalize_etag,
                   refuse_unsupported, require_etag, resolved_write)
from .common import (StreamingBody, content_headers, list_page_size, parse_http_date, parse_iso_date,
                     request_body)

# CopyObject takes one source condition (sourceObjectIfMatchETag) and guards its destination with
# destinationObjectIfNoneMatchETag "*"; a PUT takes if-none-match "*". No object tags, no part copies. Storage
# tiers: Standard, InfrequentAccess, Archive.
CAPABILITIES = Capabilities(copy_conditions=frozenset({"if_match"}), versioning=True, multipart_upload=True,
                            list_uploads=True, storage_class=True, dest_if_match=True,
                            pin_enforced=frozenset({"copy", "read"}))
# CopyObject copies any size in the service; uploads: parts up to 50 GiB, 10,000 of them (min 10 MiB assumed).
# Object names: up to 1,024 bytes in UTF-8 (Object Names).
LIMITS = Limits(max_single_copy=10 * 1024 * GiB, min_part=10 * MiB, max_part=50 * GiB, max_parts=10_000,
                max_key=1024)
COPY_TIMEOUT = 3600.0
# CreateMultipartUploadDetails carries the content headers a PutObject takes as headers (the SDK's model).
UPLOAD_CONTENT_FIELDS = {"Cache-Control": "cacheControl", "Content-Disposition": "contentDisposition",
                         "Content-Encoding": "contentEncoding", "Content-Language": "contentLanguage"}
# After a lost answer to CopyObject, a finished copy of the same source and destination accepted this close to our
# request (clocks differ; timeAccepted is read to the second) is taken for the one we asked for.
ACCEPTED_SLACK = timedelta(seconds=5)


def parse_error(resp: requests.Response):
    if resp.status_code < 300:
        return None
    rid = resp.headers.get("opc-request-id")
    try:
        body = resp.json() if resp.request.method != "HEAD" else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):  # a proxy's JSON, not the service's error
        body = {}
    code = body.get("code") or {404: "NotFound", 412: "PreconditionFailed", 304: "PreconditionFailed",
                                401: "NotAuthenticated"}.get(resp.status_code)
    return code, body.get("message") or resp.reason or "", rid


def _oci_config(path: str, name: str) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    parser.read(Path(path).expanduser())
    if name != "DEFAULT" and not parser.has_section(name):
        raise ConfigError(f"OCI config {path} has no profile [{name}]")
    return dict(parser.items(name)) if parser.has_section(name) else dict(parser.defaults())


class OciStore:
    capabilities = CAPABILITIES
    limits = LIMITS

    def __init__(self, profile: profiles.Profile):
        self.profile = profile
        env = os.environ
        file_profile = profile.get("oci_profile") or env.get("OCI_CLI_PROFILE") or "DEFAULT"
        config_file = env.get("OCI_CLI_CONFIG_FILE", "~/.oci/config")
        cfg = _oci_config(config_file, file_profile) if Path(config_file).expanduser().is_file() else {}
        pick = lambda field, var: profile.get(field) or env.get(var) or cfg.get(field)  # noqa: E731
        self.region = pick("region", "OCI_CLI_REGION")
        user, tenancy = pick("user", "OCI_CLI_USER"), pick("tenancy", "OCI_CLI_TENANCY")
        key_file = pick("key_file", "OCI_CLI_KEY_FILE")
        pem = profile.secret("private_key", required=False) if (
            profile.get("private_key_env") or profile.get("private_key_config")) else None
        if pem is None and key_file:
            try:
                pem = Path(key_file).expanduser().read_bytes()
            except OSError as e:
                raise ConfigError(f"OCI key_file {key_file}: {e.strerror}") from None
        if not (self.region and user and tenancy and pem):
            raise ConfigError("no OCI API key: set OCI_CLI_USER, OCI_CLI_TENANCY, OCI_CLI_KEY_FILE and "
                              "OCI_CLI_REGION, or a profile in ~/.oci/config (OCI_CLI_PROFILE)")
        passphrase = profile.secret("passphrase", required=False) or env.get("OCI_CLI_PASSPHRASE") or cfg.get(
            "pass_phrase")
        secret = passphrase.encode() if passphrase else None
        fingerprint = pick("fingerprint", "OCI_CLI_FINGERPRINT") or oci_signing.fingerprint(pem, secret)
        self.key = oci_signing.ApiKey(tenancy, user, fingerprint, pem, secret)
        self.endpoint = (profile.endpoint_override() or
                         f"https://objectstorage.{self.region}.oraclecloud.com").rstrip("/")
        self.copy_timeout = float(profile.get("copy_timeout") or COPY_TIMEOUT)
        if profile.get("min_part_size"):
            self.limits = Limits(**{**LIMITS.__dict__, "min_part": int(profile.get("min_part_size"))})

    def identity(self) -> tuple:
        # One API key reaches every region: CopyObject is sent to the source's region and names the destination's.
        return ("oci", self.key.key_id)

    def location(self, url: ObjectURL) -> tuple:
        return ("oci", self.endpoint, url.bucket, url.key)

    # --- requests -------------------------------------------------------------------------------------------------
    @staticmethod
    def _split(url: ObjectURL) -> tuple[str, str]:
        namespace, _, bucket = url.bucket.partition("/")
        return namespace, bucket

    def _bucket_path(self, url: ObjectURL) -> str:
        namespace, bucket = self._split(url)
        return f"/n/{quote(namespace, safe='')}/b/{quote(bucket, safe='')}"

    def _path(self, url: ObjectURL, kind: str = "o", name: str | None = None) -> str:
        path = f"{self._bucket_path(url)}/{kind}"
        key = url.key if name is None else name
        return f"{path}/{oci_signing.quote_path_segment(key)}" if key else path

    def _send(self, method: str, path: str, *, query: str = "", headers=None, body=None, context: str,
              stream: bool = False, sign_body: bool | None = None,
              idempotent: bool | None = None) -> requests.Response:
        url = self.endpoint + path + (f"?{query}" if query else "")
        signed_body = body if isinstance(body, bytes) else None

        def sign(m, u, h, now: datetime):
            return oci_signing.sign(m, u, h, signed_body, key=self.key, date=format_datetime(now, usegmt=True),
                                    with_body_headers=sign_body)

        req = Request(method, url, dict(headers or {}), body, stream=stream, context=context, idempotent=idempotent)
        return transport().send(req, sign=sign, parse_error=parse_error, verify=self.profile.verify)

    def _json(self, method: str, path: str, payload: dict, *, context: str, query: str = "",
              headers=None, idempotent: bool | None = None) -> requests.Response:
        return self._send(method, path, query=query, body=json.dumps(payload).encode(), context=context,
                          headers={"Content-Type": "application/json", **(headers or {})}, idempotent=idempotent)

    def _info(self, url: ObjectURL, h) -> ObjectInfo:
        md5 = h.get("content-md5")
        return ObjectInfo(
            url=url, size=int(h.get("Content-Length", 0)), etag=normalize_etag(h.get("ETag")),
            last_modified=parse_http_date(h.get("Last-Modified")), content_type=h.get("Content-Type"),
            metadata={k[9:].lower(): v for k, v in h.items() if k.lower().startswith("opc-meta-")},
            headers=content_headers(h), version_id=h.get("version-id"), storage_class=h.get("storage-tier"),
            composite="multipart" if h.get("opc-multipart-md5") else None,
            content_md5=_md5_hex(md5, f"HEAD {url}: answered"))

    def namespace(self) -> str:
        """The tenancy's Object Storage namespace (GetNamespace), for buckets named without one."""
        return json_body(self._send("GET", "/n/", context="GET namespace"), "GET namespace", str)

    # --- the Store protocol ---------------------------------------------------------------------------------------
    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        query = f"versionId={quote(version_id, safe='')}" if version_id else ""
        resp = self._send("HEAD", self._path(url), query=query, context=f"HEAD {url}")
        etag_header(resp, f"HEAD {url}")
        header_int(resp, "Content-Length", f"HEAD {url}", default=0)
        return self._info(url, resp.headers)

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        start = None
        page = list_page_size(self.profile)
        while True:
            query = f"prefix={quote(prefix.key, safe='')}&fields=name,size,etag,timeModified,md5" + (
                f"&start={quote(start, safe='')}" if start else "") + (f"&limit={page}" if page else "")
            what = f"list {prefix}"
            data = json_body(self._send("GET", self._path(prefix, name=""), query=query, context=what), what, dict)
            objects = data.get("objects", [])
            if not isinstance(objects, list):
                raise BadAnswer(f"{what}: answered 'objects': {str(objects)[:40]!r}, not a list")
            for item in objects:
                if not (isinstance(item, dict) and isinstance(item.get("name"), str)
                        and isinstance(item.get("size") or 0, int)):
                    raise BadAnswer(f"{what}: answered an object entry without a name and a size: {str(item)[:80]!r}")
                md5 = item.get("md5")
                yield ObjectInfo(url=prefix.with_key(item["name"]), size=int(item.get("size") or 0),
                                 etag=normalize_etag(item.get("etag")),
                                 last_modified=parse_iso_date(item.get("timeModified")),
                                 content_md5=_md5_hex(md5, f"{what}: answered") if md5 and "-" not in md5 else None)
            start = data.get("nextStartWith")
            if not start:
                return

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, dst)
        if options.content_type or options.headers:
            raise BadRequest(f"{dst}: OCI CopyObject keeps the source's content type and headers; copy without "
                             "content_type or content headers, or copy across stores to change them")
        dst_ns, dst_bucket = self._split(dst)
        details: dict = {"sourceObjectName": src.url.key, "destinationRegion": self.region,
                         "destinationNamespace": dst_ns, "destinationBucket": dst_bucket,
                         "destinationObjectName": dst.key}
        if conditions.if_match:
            details["sourceObjectIfMatchETag"] = normalize_etag(conditions.if_match)
        if src.version_id:
            details["sourceVersionId"] = src.version_id
        if not options.overwrite:
            details["destinationObjectIfNoneMatchETag"] = "*"
        if options.dest_if_match:
            details["destinationObjectIfMatchETag"] = normalize_etag(options.dest_if_match)
        if options.storage_class:
            details["destinationObjectStorageTier"] = options.storage_class
        metadata, _, _ = resolved_write(options, src)
        if options.metadata_directive == "REPLACE" and not metadata:
            # CopyObjectDetails: "If you enter no metadata values, the destination object will inherit any existing
            # metadata values associated with the source object": a copy cannot clear it.
            raise BadRequest(f"{dst}: OCI CopyObject cannot clear metadata (with none given, the copy keeps the "
                             "source's); give the metadata to set, or use the COPY directive")
        if options.metadata_directive == "REPLACE" or options.metadata:
            details["destinationObjectMetadata"] = {f"opc-meta-{k}": v for k, v in metadata.items()}
        # The copy is asked of the source's region (its endpoint, its work requests) and names this store's region
        # as the destination.
        origin = self if src.url.profile == dst.profile else OciStore(profiles.resolve(src.url))
        work_request = origin._running_copy(src, dst)
        if work_request is None:
            asked = datetime.now(timezone.utc)
            try:
                work_request = origin._start_copy(src, dst, details)
            except AnswerLost:
                # The service may have accepted the copy before its answer was lost: follow that one. When there
                # is none, the request never arrived, and asking again starts the only copy.
                work_request = origin._running_copy(src, dst, since=asked) or origin._start_copy(src, dst, details)
        try:
            origin._wait(work_request, f"copy of {src.url} to {dst}", progress)
        except PreconditionFailed as e:
            if not options.overwrite and self._exists(dst):
                raise PreconditionFailed(f"{dst} already exists and overwrite is off ({e})") from None
            raise
        return self.head(dst)

    def _exists(self, url: ObjectURL) -> bool:
        try:
            self.head(url)
            return True
        except NotFound:
            return False

    def _start_copy(self, src: ObjectInfo, dst: ObjectURL, details: dict) -> str:
        try:
            resp = self._json("POST", self._path(src.url, kind="actions", name="copyObject"), details,
                              context=f"copy {src.url} to {dst}")
        except NotFound:
            # The copy names the exact version HEADed; if the object is there under another version, the source
            # changed since: that is a failed pin, not a missing object.
            current = self._exists(src.url) and self.head(src.url)
            if current and details.get("sourceVersionId") and current.version_id != details["sourceVersionId"]:
                raise PreconditionFailed(f"{src.url} changed since it was read: version {details['sourceVersionId']}"
                                         f" is gone, the object is now version {current.version_id}") from None
            raise
        work_request = resp.headers.get("opc-work-request-id")
        if not work_request:
            raise without(resp, "an opc-work-request-id header (the copy's work request)", f"copy {src.url} to {dst}")
        return work_request

    def _running_copy(self, src: ObjectInfo, dst: ObjectURL, *, since: datetime | None = None) -> str | None:
        """A COPY_OBJECT work request still running for this source and destination, or with `since`, one in any
        state accepted from then on (give or take ACCEPTED_SLACK for clocks). Assumption (not in the stored docs):
        its resources are the source and the destination, each with NAMESPACE, BUCKET and OBJECT in its metadata.
        None when there is none, or when the service does not let us list them."""
        try:
            what = f"GET bucket {src.url.bucket}"
            bucket = json_body(self._send("GET", self._bucket_path(src.url), context=what), what, dict)
            listing = self._send("GET", "/workRequests",
                                 query=f"compartmentId={quote(str(bucket.get('compartmentId', '')), safe='')}",
                                 context="list work requests").json()
        except (NotFound, ValueError, PreconditionFailed, BadAnswer):  # BadAnswer: garbage, so none is known
            return None
        def names(url: ObjectURL) -> tuple:
            namespace, bucket = self._split(url)
            return namespace, bucket, url.key

        want = {names(src.url), names(dst)}
        items = listing if isinstance(listing, list) else listing.get("items") if isinstance(listing, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or item.get("operationType") != "COPY_OBJECT":
                continue
            if item.get("status") not in ("ACCEPTED", "IN_PROGRESS"):
                accepted = parse_iso_date(item["timeAccepted"]) if isinstance(item.get("timeAccepted"), str) else None
                if since is None or accepted is None or accepted < since - ACCEPTED_SLACK:
                    continue
            resources = item.get("resources") if isinstance(item.get("resources"), list) else []
            seen = {(m.get("NAMESPACE"), m.get("BUCKET"), m.get("OBJECT"))
                    for m in ((r.get("metadata") if isinstance(r, dict) else None) for r in resources)
                    if isinstance(m, dict)}
            if want <= seen:
                return item["id"]
        return None

    def _wait(self, work_request: str, what: str, progress: Callable[[float], None] | None = None) -> None:
        def poll() -> jobs.JobStatus:
            polled = f"{what}: poll work request {work_request}"
            data = json_body(self._send("GET", f"/workRequests/{quote(work_request, safe='')}", context=polled),
                             polled, dict)
            state = jobs.vendor_state(jobs.OCI_WORK_REQUEST, data.get("status", ""), polled)
            detail, codes = None, []
            if state in (jobs.FAILED, jobs.CANCELED):
                asked = f"errors of work request {work_request}"
                errors = json_body(self._send("GET", f"/workRequests/{quote(work_request, safe='')}/errors",
                                              context=asked), asked, list)
                errors = [e for e in errors if isinstance(e, dict)]
                codes = [e.get("code") for e in errors if e.get("code")]
                detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or None
            percent = data.get("percentComplete")
            percent = float(percent) if isinstance(percent, (int, float)) and not isinstance(percent, bool) else None
            return jobs.JobStatus(state, percent, detail, {**data, "error_codes": codes})

        try:
            jobs.wait(poll, what=f"{what} (work request {work_request})", timeout=self.copy_timeout,
                      on_progress=(lambda s: progress(s.percent or 0.0)) if progress else None)
        except jobs.JobFailed as e:
            # The work request's own error codes decide the type, through the one table (never the message text)
            kind = next((ERROR_CODES[c] for c in e.status.raw.get("error_codes", []) if c in ERROR_CODES), BadRequest)
            raise kind(str(e)) from None

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> StreamingBody:
        headers = {}
        if conditions.if_match:
            headers["if-match"] = normalize_etag(conditions.if_match)
        if conditions.if_none_match:
            headers["if-none-match"] = normalize_etag(conditions.if_none_match)
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        query = f"versionId={quote(version_id, safe='')}" if version_id else ""
        info = None if not (conditions.if_modified_since or conditions.if_unmodified_since) else self.head(url)
        if info:
            conditions.check(info)  # OCI's GET takes no date conditions: judged on a HEAD just before
        return StreamingBody(self._send("GET", self._path(url), query=query, headers=headers, stream=True,
                                        context=f"GET {url}"), f"GET {url}")

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        metadata, content_type, extra = resolved_write(options, source)
        headers = {f"opc-meta-{k}": v for k, v in metadata.items()}
        headers.update(extra)
        headers["Content-Length"] = str(size)
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(_destination_conditions(options))
        if options.storage_class:
            headers["storage-tier"] = options.storage_class
        try:
            self._send("PUT", self._path(url), headers=headers, body=request_body(body, size), sign_body=False,
                       context=f"PUT {url}")
        except PreconditionFailed as e:
            if not options.overwrite:
                raise PreconditionFailed(f"{url} already exists and overwrite is off", status=e.status) from None
            raise
        return self.head(url)

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        headers = {"if-match": normalize_etag(if_match)} if if_match else {}
        query = f"versionId={quote(version_id, safe='')}" if version_id else ""
        try:
            self._send("DELETE", self._path(url), query=query, headers=headers, context=f"DELETE {url}")
        except NotFound:
            if if_match:
                raise
        except PreconditionFailed:
            require_etag(self, url, if_match, version_id)  # the server refused: say which ETag it has
            raise

    # --- multipart uploads (streamed copies into OCI) -----------------------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        refuse_unsupported(options, self.capabilities, dst)
        metadata, content_type, extra = resolved_write(options, source)
        payload = {"object": dst.key, "metadata": {f"opc-meta-{k}": v for k, v in metadata.items()}}
        payload.update({field: extra[header] for header, field in UPLOAD_CONTENT_FIELDS.items() if extra.get(header)})
        if content_type:
            payload["contentType"] = content_type
        if options.storage_class:
            payload["storageTier"] = options.storage_class
        # Sent again after a lost answer: a second upload is no second copy, at worst an unused upload.
        what = f"start multipart upload to {dst}"
        resp = self._json("POST", self._path(dst, kind="u", name=""), payload, idempotent=True, context=what,
                          headers=_destination_conditions(options))
        upload_id = json_body(resp, what, dict).get("uploadId")
        if not upload_id or not isinstance(upload_id, str):
            raise without(resp, "an uploadId", what)
        return Upload(dst, upload_id)

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        query = f"uploadId={quote(upload.upload_id, safe='')}&uploadPartNum={part.number}"
        resp = self._send("PUT", self._path(upload.url, kind="u"), query=query, sign_body=False,
                          headers={"Content-Length": str(part.size)}, body=request_body(body, part.size),
                          context=f"upload part {part.number} of {upload.url}")
        return etag_header(resp, f"upload part {part.number} of {upload.url}")

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        payload = {"partsToCommit": [{"partNum": p.number, "etag": etag} for p, etag in parts]}
        try:
            self._json("POST", self._path(upload.url, kind="u"), payload, idempotent=True,
                       query=f"uploadId={quote(upload.upload_id, safe='')}", headers=_destination_conditions(options),
                       context=f"commit multipart upload to {upload.url}")
        except PreconditionFailed as e:
            if not options.overwrite:
                raise PreconditionFailed(f"{upload.url} already exists and overwrite is off", status=e.status) from None
            raise
        return self.head(upload.url)

    def abort_upload(self, upload: Upload) -> None:
        try:
            self._send("DELETE", self._path(upload.url, kind="u"),
                       query=f"uploadId={quote(upload.upload_id, safe='')}",
                       context=f"abort multipart upload to {upload.url}")
        except NotFound:
            pass

    def list_uploads(self, prefix: ObjectURL) -> Iterator[Upload]:
        what = f"list uploads under {prefix}"
        data = json_body(self._send("GET", self._path(prefix, kind="u", name=""), context=what), what, list)
        for item in data:
            if not (isinstance(item, dict) and isinstance(item.get("object"), str)
                    and isinstance(item.get("uploadId"), str)):
                raise BadAnswer(f"{what}: answered an upload entry without an object and an uploadId: "
                                f"{str(item)[:80]!r}")
            if item["object"].startswith(prefix.key):
                yield Upload(prefix.with_key(item["object"]), item["uploadId"], parse_iso_date(item.get("timeCreated")))


def _destination_conditions(options: WriteOptions) -> dict[str, str]:
    """The conditions on the destination that CreateMultipartUpload and CommitMultipartUpload take, as PutObject
    does: written only where nothing exists (overwrite off), or only over the ETag given (dest_if_match)."""
    headers = {"if-none-match": "*"} if not options.overwrite else {}
    if options.dest_if_match:
        headers["if-match"] = normalize_etag(options.dest_if_match)
    return headers


def _md5_hex(value: str | None, what: str) -> str | None:
    """A base64 MD5 (content-md5, a listing's md5) as hex; BadAnswer when the answer carries something else."""
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True).hex()
    except ValueError:  # binascii.Error
        raise BadAnswer(f"{what} with an MD5 {value[:40]!r} that is not base64") from None


def from_profile(profile: profiles.Profile) -> OciStore:
    return OciStore(profile)
