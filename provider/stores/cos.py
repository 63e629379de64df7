"""Tencent COS over its own API and signature: `cos://bucket-appid/key`.

The profile's endpoint says where to connect (a test emulator, a private link); the service's own host name,
`<bucket-appid>.cos.<region>.myqcloud.com`, is still what COS signs and what x-cos-copy-source names, unless the
profile sets another `service_domain`.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import Mapping
from urllib.parse import quote

from .. import profiles
from ..signing import cos as cos_signing
from ..urls import ObjectURL
from .base import Capabilities, ConfigError, Limits, ObjectInfo
from .s3family import Dialect, S3Family
from .cos_type import LIMITS

DIALECT = Dialect("cos", "x-cos-", directive={"COPY": "Copy", "REPLACE": "Replaced"},
                  tagging_directive={"COPY": "Copy", "REPLACE": "Replaced"}, acl_header="x-cos-acl",
                  sse_words={"aws:kms": "cos/kms"}, kms_key_header="server-side-encryption-cos-kms-key-id",
                  list_v2=False)
# COS answers 412 to every failed copy-source condition; it has no conditional write on the destination.
CAPABILITIES = Capabilities(versioning=True, tagging=True, acl=True, storage_class=True, sse=True,
                            sse_algorithms=frozenset({"AES256", "aws:kms"}),  # SSE-COS and SSE-KMS (cos/kms)
                            multipart_copy=True, multipart_upload=True, list_uploads=True,
                            dest_if_none_match_on_copy=False, dest_if_none_match_on_write=False)


class CosStore(S3Family):
    dialect = DIALECT
    capabilities = CAPABILITIES

    def __init__(self, profile: profiles.Profile):
        self.profile = profile
        env = os.environ
        self.region = profile.get("region") or env.get("TENCENTCLOUD_REGION") or env.get("COS_REGION")
        if not self.region:
            raise ConfigError("no COS region: set TENCENTCLOUD_REGION (e.g. ap-guangzhou) or a profile's region")
        self.domain = profile.get("service_domain") or f"cos.{self.region}.myqcloud.com"
        self.endpoint = (profile.endpoint_override() or "").rstrip("/") or None
        limit = profile.get("single_copy_limit")
        self.limits = LIMITS if not limit else Limits(**{**LIMITS.__dict__, "max_single_copy": int(limit)})
        secret_id = profile.secret("secret_id", env_default=None, required=False) or env.get(
            "TENCENTCLOUD_SECRET_ID") or env.get("COS_SECRET_ID")
        secret_key = profile.secret("secret_key", env_default=None, required=False) or env.get(
            "TENCENTCLOUD_SECRET_KEY") or env.get("COS_SECRET_KEY")
        if not secret_id or not secret_key:
            raise ConfigError("no COS credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or a "
                              "profile with secret_id_env and secret_key_env")
        token = profile.secret("session_token", required=False) or env.get("TENCENTCLOUD_SESSION_TOKEN") \
            or env.get("COS_SESSION_TOKEN")
        self.credentials = cos_signing.Credentials(secret_id, secret_key, token)

    def identity(self) -> tuple:
        return ("cos", self.domain, self.endpoint, self.credentials.secret_id)

    def location(self, url: ObjectURL) -> tuple:
        return ("cos", self.domain, url.bucket, url.key)

    def _target(self, bucket: str, key: str = "", query: str = "") -> tuple[str, dict[str, str]]:
        host = f"{bucket}.{self.domain}"
        path = "/" + quote(key, safe="/-_.~")
        url = f"{self.endpoint or 'https://' + host}{path}" + (f"?{query}" if query else "")
        return url, ({"Host": host} if self.endpoint else {})

    def _sign(self, method: str, url: str, headers: Mapping[str, str], now: datetime, payload_hash: str, *,
              bucket: str, key: str, query: str) -> Mapping[str, str]:
        return cos_signing.sign(method, url, headers, credentials=self.credentials,
                                key_time=cos_signing.key_time(int(now.timestamp())))

    def _copy_source(self, src: ObjectInfo) -> str:
        return cos_signing.copy_source(f"{src.url.bucket}.{self.domain}", src.url.key, src.version_id)


def from_profile(profile: profiles.Profile) -> CosStore:
    return CosStore(profile)
