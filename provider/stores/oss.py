"""Alibaba Cloud OSS over its own API: `oss://bucket/key`, signed with V4 (OSS4-HMAC-SHA256) by default or V1
where a profile says `signature_version = "v1"`."""
from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from email.utils import format_datetime
from typing import Mapping
from urllib.parse import unquote, urlsplit

from .. import profiles
from ..signing import oss as oss_signing
from ..urls import ObjectURL
from .base import Capabilities, ConfigError, GiB, KiB, Limits, MiB, ObjectInfo
from .s3family import Dialect, S3Family

DIALECT = Dialect("oss", "x-oss-", directive={"COPY": "COPY", "REPLACE": "REPLACE"},
                  tagging_directive={"COPY": "Copy", "REPLACE": "Replace"}, acl_header="x-oss-object-acl",
                  sse_words={"aws:kms": "KMS", "aws:kms:dsse": "KMS"}, kms_key_header="server-side-encryption-key-id",
                  forbid_overwrite="forbid-overwrite")
# x-oss-forbid-overwrite guards the destination of copies and writes alike. A failed if-none-match or
# if-modified-since on a copy answers 304, the others 412 (seed 001): both mean nothing was copied.
CAPABILITIES = Capabilities(versioning=True, tagging=True, acl=True, storage_class=True, sse=True,
                            multipart_copy=True, multipart_upload=True)
# CopyObject up to 1 GB (the docs disagree; 1 GB is the safe rule), parts of 100 KB to 5 GB, 10,000 parts.
LIMITS = Limits(max_single_copy=1 * GiB, multipart_cutoff=64 * MiB, min_part=100 * KiB, max_part=5 * GiB,
                max_parts=10_000)


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


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def from_profile(profile: profiles.Profile) -> OssStore:
    return OssStore(profile)
