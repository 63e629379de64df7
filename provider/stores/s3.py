"""Amazon S3 and S3-compatible servers (MinIO, Swift's s3api, ...) over the REST API, signed with SigV4.

Server variants are rows of PROVIDERS, chosen by the profile's `provider` field, never subclasses. The REST
operations themselves are shared with COS and OSS in s3family.py.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import Mapping
from urllib.parse import urlsplit

from .. import profiles
from ..answers import xml_body
from ..signing import sigv4
from ..urls import ObjectURL
from .base import Capabilities, ConfigError, GiB, Limits, MiB, ObjectInfo
from . import s3family
from .s3family import Dialect, S3Family, q

DIALECT = Dialect("s3", "x-amz-", directive={"COPY": "COPY", "REPLACE": "REPLACE"},
                  tagging_directive={"COPY": "COPY", "REPLACE": "REPLACE"}, acl_header="x-amz-acl")

# Server variants. `minio` ignores if-none-match on CopyObject (it honours it on PutObject) and lists multipart
# uploads only for an exact key. `swift`: s3api
# checks copy-source-if-match against Swift's own MD5, never the `-N` ETag it reports for multipart objects,
# applies if-none-match on a copy to the source, and has no tagging (501).
_S3 = dict(versioning=True, tagging=True, acl=True, storage_class=True, sse=True, multipart_copy=True,
           multipart_upload=True, list_uploads=True, delete_all_versions=True)
PROVIDERS: dict[str, Capabilities] = {
    "aws": Capabilities(**_S3),
    "minio": Capabilities(**_S3, dest_if_none_match_on_copy=False, list_uploads_by_prefix=False),
    "swift": Capabilities(copy_if_match_multipart_etag=False, dest_if_none_match_on_copy=False, versioning=True,
                          multipart_copy=True, multipart_upload=True, list_uploads=True, delete_all_versions=True),
    # An unknown server may ignore copy-source conditions (moto and Ceph do, on UploadPartCopy above all).
    "other": Capabilities(**_S3, dest_if_none_match_on_copy=False, dest_if_none_match_on_write=False,
                          pin_enforced=frozenset({"read"})),
    # COS and OSS through their S3-compatible endpoints (the native dialects are cos:// and oss://).
    "cos": Capabilities(**_S3, dest_if_none_match_on_copy=False, dest_if_none_match_on_write=False),
    "oss": Capabilities(**_S3, dest_if_none_match_on_copy=False, dest_if_none_match_on_write=False),
}
# Presets: where each service's S3-compatible endpoint is (virtual-hosted only), and its own limits.
PRESET_ENDPOINTS = {"cos": "https://cos.{region}.myqcloud.com", "oss": "https://oss-{region}.aliyuncs.com"}
PRESET_LIMITS = {
    "cos": Limits(multipart_cutoff=64 * MiB, min_part=1 * MiB, max_key=850),
    "oss": Limits(max_single_copy=1 * GiB, multipart_cutoff=64 * MiB, min_part=100 * 1024, max_key=1023),
}


def parse_error(resp, *, error_in_200: bool = False):
    return s3family.parse_error(resp, DIALECT, error_in_200=error_in_200)


class S3Store(S3Family):
    dialect = DIALECT

    def __init__(self, profile: profiles.Profile):
        self.profile = profile
        shared = profiles.aws_shared_profile(self._aws_profile_name())
        self.region = (profile.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                       or shared.get("region") or "us-east-1")
        endpoint = (profile.endpoint_override() or os.environ.get("AWS_ENDPOINT_URL_S3")
                    or os.environ.get("AWS_ENDPOINT_URL") or shared.get("s3.endpoint_url")
                    or shared.get("endpoint_url"))
        provider = profile.get("provider") or ("other" if endpoint else "aws")
        if provider not in PROVIDERS:
            raise ConfigError(f"profile {profile.name!r}: provider must be one of {', '.join(PROVIDERS)}")
        self.capabilities = PROVIDERS[provider]
        preset = PRESET_ENDPOINTS.get(provider, "https://s3.{region}.amazonaws.com")
        self.endpoint = (endpoint or preset.format(region=self.region)).rstrip("/")
        style = profile.get("addressing") or shared.get("s3.addressing_style") or "auto"
        if style not in ("auto", "path", "virtual"):
            raise ConfigError(f"profile {profile.name!r}: addressing must be path, virtual or auto, not {style!r}")
        # Custom endpoints (MinIO, on-prem) rarely have wildcard DNS: path style unless told otherwise. The COS
        # and OSS S3 endpoints answer virtual-hosted requests only.
        self.path_style = style == "path" or (style == "auto" and endpoint is not None
                                              and provider not in PRESET_ENDPOINTS)
        limit = profile.get("single_copy_limit")
        base = PRESET_LIMITS.get(provider, Limits(multipart_cutoff=64 * MiB))
        self.limits = Limits(**{**base.__dict__, **({"max_single_copy": int(limit)} if limit else {})})
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
        aws_profile = self.profile.get("aws_profile") or os.environ.get("AWS_PROFILE") or None
        session = botocore.session.Session(profile=aws_profile)
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

    # --- addressing and signing ---------------------------------------------------------------------------------
    def _target(self, bucket: str, key: str = "", query: str = "") -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.endpoint)
        path = "/" + sigv4.quote_key(key)
        if self.path_style:
            url = f"{self.endpoint}/{bucket}{path}" if key else f"{self.endpoint}/{bucket}"
        else:
            url = f"{parts.scheme}://{bucket}.{parts.netloc}{parts.path}{path}"
        return (f"{url}?{query}" if query else url), {}

    def _sign(self, method: str, url: str, headers: Mapping[str, str], now: datetime, payload_hash: str, *,
              bucket: str, key: str, query: str) -> Mapping[str, str]:
        return sigv4.sign(method, url, headers, credentials=self.credentials, region=self.region, now=now,
                          payload_hash=payload_hash)

    def _copy_source(self, src: ObjectInfo) -> str:
        return sigv4.copy_source(src.url.bucket, src.url.key, src.version_id)

    def delete_all_versions(self, url: ObjectURL) -> None:
        """Every version and delete marker of exactly this key, paged through ListObjectVersions."""
        marker = ""
        while True:
            query = f"prefix={q(url.key)}&versions="
            if marker:
                query = f"key-marker={q(marker)}&" + query
            what = f"list versions of {url}"
            root = xml_body(self._send("GET", url.bucket, "", query, context=what), what, "ListVersionsResult")
            for item in list(root.iterfind(".//{*}Version")) + list(root.iterfind(".//{*}DeleteMarker")):
                if item.findtext("{*}Key") == url.key:
                    self.delete(url, version_id=item.findtext("{*}VersionId"))
            marker = root.findtext("{*}NextKeyMarker") or ""
            if root.findtext("{*}IsTruncated") != "true" or not marker:
                return



def from_profile(profile: profiles.Profile) -> S3Store:
    return S3Store(profile)
