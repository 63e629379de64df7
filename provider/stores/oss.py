"""Alibaba Cloud OSS over its own API: `oss://bucket/key`, signed with V4 (OSS4-HMAC-SHA256) by default or V1
where a profile says `signature_version = "v1"`."""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import threading
from datetime import datetime
from email.utils import format_datetime
from typing import Callable, Mapping
from urllib.parse import unquote, urlsplit

from .. import profiles
from ..answers import json_body, without, xml_body
from ..http import Request, transport
from ..signing import oss as oss_signing
from ..urls import ObjectURL
from .base import (AccessDenied, BadRequest, Capabilities, ConfigError, Limits, ObjectInfo, SourceConditions,
                   WriteOptions, normalize_etag, refuse_unsupported, resolved_write)
from .common import parse_http_date, parse_iso_date
from .s3family import UNSIGNED_PAYLOAD, Dialect, S3Family
from .oss_type import LIMITS

DIALECT = Dialect("oss", "x-oss-", directive={"COPY": "COPY", "REPLACE": "REPLACE"},
                  tagging_directive={"COPY": "Copy", "REPLACE": "Replace"}, acl_header="x-oss-object-acl",
                  sse_words={"aws:kms": "KMS", "aws:kms:dsse": "KMS"}, kms_key_header="server-side-encryption-key-id",
                  forbid_overwrite="forbid-overwrite")
# x-oss-forbid-overwrite guards the destination of copies and writes alike, but only in a bucket that never had
# versioning (CopyObject and PutObject pages: it "does not take effect when versioning is enabled or suspended").
# A failed if-none-match or if-modified-since on a copy answers 304, the others 412 (seed 001): both mean nothing
# was copied. x-oss-server-side-encryption takes AES256, KMS or SM4 (CopyObject's page); SM4 goes on the wire as
# itself.
CAPABILITIES = Capabilities(versioning=True, tagging=True, acl=True, storage_class=True, sse=True,
                            sse_algorithms=frozenset({"AES256", "aws:kms", "aws:kms:dsse", "SM4"}),
                            multipart_copy=True, multipart_upload=True, list_uploads=True,
                            dest_guard_needs_unversioned_bucket=True)


log = logging.getLogger("pulumi_objectcopy.stores")
# (endpoint, bucket) seen with versioning, enabled or suspended: a bucket never goes back to unversioned.
_versioned: set[tuple[str, str]] = set()
_versioned_lock = threading.Lock()


class OssStore(S3Family):
    dialect = DIALECT
    capabilities = CAPABILITIES

    def __init__(self, profile: profiles.Profile):
        self.profile = profile
        env = os.environ
        self.region = profile.get("region") or env.get("OSS_REGION") or env.get("ALIBABA_CLOUD_REGION_ID")
        if not self.region:
            raise ConfigError("no OSS region: set OSS_REGION (e.g. cn-hangzhou) or a profile's region")
        self.region = self.region.removeprefix("oss-")
        endpoint = profile.endpoint_override() or f"https://oss-{self.region}.aliyuncs.com"
        self.endpoint = endpoint.rstrip("/")
        host = urlsplit(self.endpoint).hostname or ""
        # An IP or localhost endpoint has no wildcard DNS: path-style there, as both SDKs do.
        self.path_style = profile.get("addressing") == "path" or host == "localhost" or _is_ip(host)
        self.signature_version = str(profile.get("signature_version") or "v4").lower()
        if self.signature_version not in ("v1", "v4"):
            raise ConfigError(f"profile {profile.name!r}: signature_version must be v1 or v4")
        limit = profile.get("single_copy_limit")
        self.limits = LIMITS if not limit else Limits(**{**LIMITS.__dict__, "max_single_copy": int(limit)})
        key_id = profile.get("access_key_id") or profile.secret("access_key_id", required=False) or env.get(
            "OSS_ACCESS_KEY_ID") or env.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
        secret = profile.secret("access_key_secret", required=False) or env.get("OSS_ACCESS_KEY_SECRET") or env.get(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        if not key_id or not secret:
            raise ConfigError("no OSS credentials: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or a profile "
                              "with access_key_id_env and access_key_secret_env")
        token = profile.secret("session_token", required=False) or env.get("OSS_SESSION_TOKEN") or env.get(
            "ALIBABA_CLOUD_SECURITY_TOKEN")
        self.credentials = oss_signing.Credentials(key_id, secret, token)
        self.api = str(profile.get("api") or "oss").lower()
        if self.api not in ("oss", "apsara"):
            raise ConfigError(f"profile {profile.name!r}: api must be oss or apsara, not {self.api!r}")

    def identity(self) -> tuple:
        return ("oss", self.endpoint, self.credentials.access_key_id)

    def location(self, url: ObjectURL) -> tuple:
        return ("oss", self.endpoint, url.bucket, url.key)

    def _target(self, bucket: str, key: str = "", query: str = "") -> tuple[str, dict[str, str]]:
        path = "/" + oss_signing.quote_key(key) if key else "/"
        if self.path_style:
            url = f"{self.endpoint}/{bucket}{path}"
        else:
            parts = urlsplit(self.endpoint)
            url = f"{parts.scheme}://{bucket}.{parts.netloc}{path}"
        return url + (f"?{query}" if query else ""), {}

    def _sign(self, method: str, url: str, headers: Mapping[str, str], now: datetime, payload_hash: str, *,
              bucket: str, key: str, query: str) -> Mapping[str, str]:
        params = {unquote(k): (unquote(v) or None) for k, _, v in
                  (pair.partition("=") for pair in query.split("&") if pair)}
        if self.signature_version == "v1":
            return oss_signing.sign_v1(method, bucket, key or None, params, headers, credentials=self.credentials,
                                       date=format_datetime(now, usegmt=True))
        return oss_signing.sign_v4(method, bucket, key or None, params, headers, credentials=self.credentials,
                                   region=self.region, now=now)

    def _copy_source(self, src: ObjectInfo) -> str:
        return oss_signing.copy_source(src.url.bucket, src.url.key, src.version_id)

    def bucket_versioned(self, url: ObjectURL) -> bool:
        """Whether the bucket has versioning, enabled or suspended (GetBucketVersioning), where forbid-overwrite
        does not hold. A bucket whose versioning cannot be read (no permission to) counts as versioned, so the
        destination is HEADed first."""
        key = (self.endpoint, url.bucket)
        with _versioned_lock:
            if key in _versioned:
                return True
        what = f"get the versioning of bucket {url.bucket}"
        try:
            resp = self._send("GET", url.bucket, "", "versioning=", context=what)
        except AccessDenied as e:
            log.info("%s: %s; the destination is checked with a HEAD instead", what, e)
            return True
        if xml_body(resp, what, "VersioningConfiguration").findtext("{*}Status") not in ("Enabled", "Suspended"):
            return False
        with _versioned_lock:
            _versioned.add(key)
        return True

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        if self.api != "apsara":
            return super().copy(src, dst, conditions=conditions, options=options, progress=progress)
        return self._apsara_copy(src, dst, conditions, options)

    # --- Apsara Stack: CopyObject through the OneRouter (seed 001) ---------------------------------------------
    def _apsara_copy(self, src: ObjectInfo, dst: ObjectURL, conditions: SourceConditions,
                     options: WriteOptions) -> ObjectInfo:
        """Apsara Stack's form of CopyObject: the parameters in a JSON body, a JSON answer. Everything else (HEAD,
        GET, uploads) uses the standard OSS API on the same endpoint."""
        refuse_unsupported(options, self.capabilities, dst)
        if options.metadata or options.content_type or options.headers:
            # The seed lists no parameter that carries metadata values or content headers: a server would drop them.
            raise BadRequest(f"{dst}: the Apsara Stack CopyObject (api = \"apsara\") cannot set metadata or content "
                             "headers; copy with the COPY directive and no metadata, or set api = \"oss\"")
        d = self.dialect
        params = self._copy_source_headers(src, conditions)
        params[d.h("metadata-directive")] = d.directive[options.metadata_directive]
        params.update(self._object_headers(options, copy=True))
        params.update(self._no_overwrite_headers(options, copy=True))
        body = json.dumps({**APSARA_FIXED, "regionId": self.region, **_apsara_destination(dst), **params}).encode()
        headers = {"Content-Type": "application/json"}

        def sign(m, u, h, now):  # ASSUMPTION: signed as any OSS call with no bucket and no key
            return self._sign(m, u, h, now, UNSIGNED_PAYLOAD, bucket="", key="", query="")

        req = Request("POST", self.endpoint + APSARA_COPY_PATH, headers, body, context=f"copy {src.url} to {dst}",
                      idempotent=True)  # a copy sent twice writes the same object twice
        resp = transport().send(req, sign=sign, parse_error=_apsara_error, verify=self.profile.verify)
        answer = json_body(resp, req.context, dict)
        if not isinstance(answer.get("ETag"), str) or not normalize_etag(answer["ETag"]):
            raise without(resp, "an ETag in its JSON", req.context)  # nothing says the copy was made
        metadata, content_type, extra = resolved_write(options, src)
        return ObjectInfo(url=dst, size=src.size, etag=normalize_etag(answer.get("ETag")),
                          last_modified=parse_http_date(answer.get("LastModified")) or parse_iso_date(
                              answer.get("LastModified")), content_type=content_type, metadata=metadata,
                          headers=extra, composite=src.composite)


# What the seed (001) does not say, kept here in one place: where the destination goes (assumed BucketName and
# ObjectName in the body, beside the seed's parameters), and how the common parameters are signed (assumed: as any
# OSS request, with no bucket and no key). A server that disagrees answers 401 or 403, and the error says so.
APSARA_COPY_PATH = "/apsara/route/OneRouter/CopyObject"
APSARA_FIXED = {"version": "2016-01-01"}


def _apsara_destination(dst: ObjectURL) -> dict:  # one of the assumptions above
    return {"BucketName": dst.bucket, "ObjectName": dst.key}


def _apsara_error(resp):
    """A JSON answer: {"LastModified", "ETag"} on success, {"resultCode", "resultMsg"} on failure (even in a 200)."""
    try:
        answer = resp.json()
    except ValueError:
        answer = {}
    failure = answer.get("errorSample", answer) if isinstance(answer, dict) else {}
    code = failure.get("resultCode") if isinstance(failure, dict) else None
    if resp.status_code < 300 and (code in (None, 0, "0") or answer.get("ETag")):
        return None
    status_codes = {304: "PreconditionFailed", 412: "PreconditionFailed", 404: "NotFound", 400: "InvalidArgument",
                    401: "AccessDenied", 403: "AccessDenied"}
    vendor = status_codes.get(resp.status_code) or ("InternalError" if resp.status_code < 300 else None)
    message = (failure.get("resultMsg") if isinstance(failure, dict) else None) or resp.reason or ""
    if resp.status_code in (401, 403):
        message += (" (this Apsara Stack call is built from its API page, which does not say how it is signed: "
                    "objectcopy signs it as any OSS request; if your Apsara Stack refuses that, set api = \"oss\" "
                    "in the profile to use the standard OSS CopyObject)")
    return vendor, f"Apsara Stack CopyObject answered resultCode {code}: {message}", resp.headers.get(
        "x-oss-request-id")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def from_profile(profile: profiles.Profile) -> OssStore:
    return OssStore(profile)
