"""OpenStack Swift over its native API, with tempauth v1.0 or Keystone v3 password auth.

A server-side copy is `PUT` with `X-Copy-From`; the copy middleware applies conditional headers to its GET of the
source, so If-Match pins the source. Swift ETags come bare or quoted; an SLO's is an MD5 of its segments' MD5s.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import uuid
from datetime import datetime
from typing import Callable, Iterator
from urllib.parse import quote, unquote

import requests

from .. import profiles
from ..answers import answer_summary, etag_header, header_int, json_body, without
from ..http import Request, transport
from ..urls import ObjectURL
from .base import (AccessDenied, BadAnswer, Capabilities, ConfigError, Limits, NotFound, ObjectInfo, Part,
                   PreconditionFailed, SourceConditions, Upload, WriteOptions, normalize_etag, refuse_unsupported,
                   require_etag, resolved_write)
from .common import (StreamingBody, content_headers, http_date, list_page_size, parse_http_date, parse_iso_date,
                     request_body)

# The copy middleware passes conditional headers to its GET of the source, so if-none-match: * cannot guard the
# destination of a copy; a plain PUT honours it.
# The proxy itself refuses an if-none-match other than * on a PUT, so that condition is checked by a HEAD.
# Large objects: segments are copied server-side (X-Copy-From honours Range) or uploaded into
# `<container>_segments/<key>/<id>/`, then joined by an SLO manifest.
# A Swift upload is a set of segments, listed nowhere as an upload in progress: no UploadLister.
CAPABILITIES = Capabilities(dest_if_none_match_on_copy=False, versioning=False, multipart_copy=True,
                            multipart_upload=True, manifest_copy=True,
                            copy_conditions=frozenset({"if_match", "if_modified_since", "if_unmodified_since"}))
SEGMENTS_SUFFIX = "_segments"
# max_key: Swift's max_object_name_length, 1,024 bytes unless the cluster's swift.conf says otherwise.
LIMITS = Limits(max_single_copy=5 * 1024**3 + 2, min_part=1, max_part=5 * 1024**3, max_parts=1000, max_key=1024)
_CONDITION_HEADERS = {"if_match": "If-Match", "if_none_match": "If-None-Match",
                      "if_modified_since": "If-Modified-Since", "if_unmodified_since": "If-Unmodified-Since"}

# (auth url, user, project, region) -> (storage url, token); tokens are per process and never persisted.
_tokens: dict[tuple, tuple[str, str]] = {}
_tokens_lock = threading.Lock()


def parse_error(resp: requests.Response):
    if resp.status_code < 300:
        return None
    body = b"" if resp.request.method == "HEAD" else resp.content
    text = body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):  # Keystone: {"error": {"code", "title", "message"}}
        try:
            text = json.loads(text).get("error", {}).get("message") or text
        except (ValueError, AttributeError):
            pass
    if "<" in text:  # Swift wraps some errors in a small HTML page
        text = " ".join(part.split(">")[-1] for part in text.split("<")).strip()
    code = {404: "NotFound", 412: "PreconditionFailed", 304: "PreconditionFailed", 401: "Unauthorized"}.get(
        resp.status_code)
    return code, " ".join(text.split())[:300] or resp.reason or "", resp.headers.get("X-Trans-Id")


class SwiftStore:
    capabilities = CAPABILITIES
    limits = LIMITS

    def __init__(self, profile: profiles.Profile):
        self.profile = profile
        env = os.environ
        explicit = profile.endpoint_override() or profile.get("auth_url")
        self.auth_url = (explicit or env.get("ST_AUTH") or env.get("OS_AUTH_URL") or "").rstrip("/")
        if not self.auth_url:
            raise ConfigError("no Swift auth URL: set ST_AUTH, ST_USER and ST_KEY (tempauth) or OS_AUTH_URL, "
                              "OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME (Keystone v3), or name a profile")
        tempauth = "/auth/v1" in self.auth_url or (not explicit and bool(env.get("ST_AUTH")))
        version = str(profile.get("auth_version") or ("1.0" if tempauth else "3"))
        self.version = version
        if version.startswith("1"):
            self.user = profile.get("user") or profile.secret("user", env_default="ST_USER", required=False)
            self.key = profile.secret("key", env_default="ST_KEY")
            if not self.user or not self.key:
                raise ConfigError(f"Swift tempauth at {self.auth_url} needs a user and key: set ST_USER and "
                                  "ST_KEY, or a profile with user/user_env and key_env")
            self.project = self.project_id = self.region = None
        else:
            self.user = profile.get("username") or profile.secret("username", env_default="OS_USERNAME",
                                                                  required=False)
            self.key = profile.secret("password", env_default="OS_PASSWORD")
            # A project by id needs no domain; by name, its domain (by name or id) scopes it.
            self.project_id = profile.get("project_id") or env.get("OS_PROJECT_ID") or env.get("OS_TENANT_ID")
            self.project = self.project_id or profile.get("project_name") or env.get("OS_PROJECT_NAME") \
                or env.get("OS_TENANT_NAME")
            self.region = profile.get("region_name") or env.get("OS_REGION_NAME")
            if not (self.user and self.key and self.project):
                raise ConfigError(f"Swift Keystone auth at {self.auth_url} needs OS_USERNAME, OS_PASSWORD and "
                                  "OS_PROJECT_NAME or OS_PROJECT_ID (or a profile with username, password_env, "
                                  "project_name or project_id)")
        self.storage_url_override = profile.get("storage_url")

    def identity(self) -> tuple:
        return ("swift", self.auth_url, self.user, self.project)

    def location(self, url: ObjectURL) -> tuple:
        return ("swift", self.storage_url_override or self.auth_url, self.project or self.user.split(":")[0],
                url.bucket, url.key)

    # --- auth -----------------------------------------------------------------------------------------------------
    def _cache_key(self) -> tuple:
        # The key's digest is part of the cache key, so another key for the same user never reuses a token.
        return (self.auth_url, self.user, self.project, self.region, hashlib.sha256(self.key.encode()).hexdigest())

    def _auth(self, fresh: bool = False) -> tuple[str, str]:
        with _tokens_lock:
            cached = None if fresh else _tokens.get(self._cache_key())
        if cached is None:
            cached = self._auth_v1() if self.version.startswith("1") else self._auth_v3()
            with _tokens_lock:
                _tokens[self._cache_key()] = cached
        # The override applies per profile: the cache is keyed by identity, which profiles may share.
        storage_url, token = cached
        return (self.storage_url_override or storage_url).rstrip("/"), token

    def _auth_v1(self) -> tuple[str, str]:
        resp = transport().send(
            Request("GET", self.auth_url, {"X-Auth-User": self.user, "X-Auth-Key": self.key},
                    context=f"Swift tempauth login at {self.auth_url} as {self.user}"),
            parse_error=parse_error, verify=self.profile.verify)
        url, token = resp.headers.get("X-Storage-Url"), resp.headers.get("X-Auth-Token") or resp.headers.get(
            "X-Storage-Token")
        if not url or not token:
            raise AccessDenied(f"Swift tempauth login at {self.auth_url} as {self.user}: answered HTTP "
                               f"{resp.status_code} without a storage URL or token ({answer_summary(resp)})")
        return url, token

    def _auth_v3(self) -> tuple[str, str]:
        base = self.auth_url if self.auth_url.endswith("/v3") else f"{self.auth_url}/v3"
        env, p = os.environ, self.profile
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user, "password": self.key, "domain": _domain(p, "user")}}},
            "scope": {"project": {"id": self.project_id} if self.project_id else {
                "name": self.project, "domain": _domain(p, "project")}}}}
        resp = transport().send(
            Request("POST", f"{base}/auth/tokens", {"Content-Type": "application/json"}, json.dumps(body).encode(),
                    context=f"Keystone login at {base} as {self.user}", idempotent=True),  # a second token
            parse_error=parse_error, verify=p.verify)
        what = f"Keystone login at {base} as {self.user}"
        token = resp.headers.get("X-Subject-Token")
        if not token:
            raise without(resp, "an X-Subject-Token header", what)
        interface = p.get("interface") or env.get("OS_INTERFACE") or "public"
        catalog = json_body(resp, what, dict).get("token")
        catalog = catalog.get("catalog") if isinstance(catalog, dict) else None
        if not isinstance(catalog, list):
            raise BadAnswer(f"{what}: answered a token without a service catalog ({answer_summary(resp)})")
        for service in catalog:
            if not isinstance(service, dict) or service.get("type") != "object-store":
                continue
            for ep in service.get("endpoints") if isinstance(service.get("endpoints"), list) else []:
                if isinstance(ep, dict) and isinstance(ep.get("url"), str) and ep.get("interface") == interface and (
                        not self.region or self.region in (ep.get("region_id"), ep.get("region"))):
                    return ep["url"], token
        raise ConfigError(f"Keystone at {base} lists no {interface} object-store endpoint"
                          + (f" in region {self.region}" if self.region else ""))

    # --- requests -------------------------------------------------------------------------------------------------
    @staticmethod
    def _path(container: str, obj: str = "") -> str:
        path = "/" + quote(container, safe="")
        return f"{path}/{quote(obj, safe='/')}" if obj else path

    def _send(self, method: str, path: str, *, headers=None, body=None, query: str = "", stream=False,
              context: str) -> requests.Response:
        for attempt in (0, 1):
            storage_url, token = self._auth(fresh=attempt == 1)
            url = storage_url + path + (f"?{query}" if query else "")
            req = Request(method, url, {**(headers or {}), "X-Auth-Token": token}, body, stream=stream,
                          context=context)
            try:
                return transport().send(req, parse_error=parse_error, verify=self.profile.verify)
            except AccessDenied as e:
                # A token can expire or be revoked between calls: log in again once, when the body can be sent
                # again (bytes, or an opener of the source).
                replayable = body is None or isinstance(body, (bytes, bytearray)) or callable(body)
                if e.status != 401 or attempt == 1 or not replayable:
                    raise
        raise AssertionError("unreachable")

    def _info(self, url: ObjectURL, h) -> ObjectInfo:
        composite = "slo" if h.get("X-Static-Large-Object", "").lower() == "true" else (
            "dlo" if h.get("X-Object-Manifest") else None)
        return ObjectInfo(
            url=url, size=int(h.get("Content-Length", 0)), etag=normalize_etag(h.get("Etag")),
            last_modified=parse_http_date(h.get("Last-Modified")), content_type=h.get("Content-Type"),
            metadata={k[14:].lower(): v for k, v in h.items() if k.lower().startswith("x-object-meta-")},
            headers=content_headers(h), composite=composite)

    # --- the Store protocol ---------------------------------------------------------------------------------------
    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        if version_id:
            raise ConfigError(f"{url}: version ids are not supported for swift:// URLs")
        resp = self._send("HEAD", self._path(url.bucket, url.key), context=f"HEAD {url}")
        etag_header(resp, f"HEAD {url}")
        header_int(resp, "Content-Length", f"HEAD {url}", default=0)
        return self._info(url, resp.headers)

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        marker = ""
        page = list_page_size(self.profile) or 10000
        while True:
            query = f"format=json&limit={page}&prefix={quote(prefix.key, safe='')}&marker={quote(marker, safe='')}"
            what = f"list {prefix}"
            resp = self._send("GET", self._path(prefix.bucket), query=query, context=what)
            if resp.status_code == 204:
                return
            items = json_body(resp, what, list)
            for item in items:
                if isinstance(item, dict) and "subdir" in item:
                    continue
                if not (isinstance(item, dict) and isinstance(item.get("name"), str)
                        and isinstance(item.get("bytes"), int)):
                    raise BadAnswer(f"{what}: answered a listing entry without a name and a size: "
                                    f"{str(item)[:80]!r}")
                yield ObjectInfo(url=prefix.with_key(item["name"]), size=item["bytes"],
                                 etag=normalize_etag(item.get("hash")), content_type=item.get("content_type"),
                                 last_modified=parse_iso_date(item.get("last_modified")))
            if len(items) < page:
                return
            marker = items[-1].get("name") or items[-1].get("subdir")

    def _write_headers(self, options: WriteOptions, source: ObjectInfo | None) -> dict[str, str]:
        metadata, content_type, extra = resolved_write(options, source)
        headers = {f"X-Object-Meta-{k}": v for k, v in metadata.items()}
        headers.update(extra)
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _condition_headers(self, conditions: SourceConditions) -> dict[str, str]:
        """The copy middleware applies these to its GET of the source."""
        return {header: (http_date(value) if isinstance(value, datetime) else normalize_etag(value))
                for name, header in _CONDITION_HEADERS.items()
                if (value := getattr(conditions, name)) is not None and name in self.capabilities.copy_conditions}

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
             options: WriteOptions, progress: Callable[[float], None] | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, dst)
        headers = {"X-Copy-From": self._path(src.url.bucket, src.url.key), "Content-Length": "0",
                   **self._condition_headers(conditions)}
        if options.metadata_directive == "REPLACE":
            headers["X-Fresh-Metadata"] = "true"
        if options.metadata_directive == "REPLACE" or options.metadata or options.content_type or options.headers:
            headers.update(self._write_headers(options, src))
        resp = self._send("PUT", self._path(dst.bucket, dst.key), headers=headers,
                          context=f"copy {src.url} to {dst}")
        etag = etag_header(resp, f"copy {src.url} to {dst}")
        metadata, content_type, extra = resolved_write(options, src)
        return ObjectInfo(url=dst, size=src.size, etag=etag,
                          last_modified=parse_http_date(resp.headers.get("Last-Modified")),
                          content_type=content_type, metadata=metadata, headers=extra)

    def open(self, url: ObjectURL, *, conditions: SourceConditions = SourceConditions(),
             version_id: str | None = None, byte_range: tuple[int, int] | None = None) -> StreamingBody:
        headers = {}
        for name, header in _CONDITION_HEADERS.items():
            value = getattr(conditions, name)
            if value is not None:
                headers[header] = http_date(value) if isinstance(value, datetime) else normalize_etag(value)
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        resp = self._send("GET", self._path(url.bucket, url.key), headers=headers, stream=True,
                          context=f"GET {url}")
        return StreamingBody(resp, f"GET {url}")

    def write(self, url: ObjectURL, body, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        headers = self._write_headers(options, source)
        headers["Content-Length"] = str(size)
        if not options.overwrite:
            headers["If-None-Match"] = "*"
        data = request_body(body, size)
        try:
            resp = self._send("PUT", self._path(url.bucket, url.key), headers=headers, body=data,
                              context=f"PUT {url}")
        except PreconditionFailed as e:
            raise PreconditionFailed(f"{url} already exists and overwrite is off", status=e.status) from None
        etag = etag_header(resp, f"PUT {url}")
        metadata, content_type, extra = resolved_write(options, source)
        return ObjectInfo(url=url, size=size, etag=etag,
                          last_modified=parse_http_date(resp.headers.get("Last-Modified")),
                          content_type=content_type, metadata=metadata, headers=extra)

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        current = require_etag(self, url, if_match) if if_match is not None else None
        try:
            query = "multipart-manifest=delete" if self._owns_segments(url, current) else ""
            self._send("DELETE", self._path(url.bucket, url.key), query=query, context=f"DELETE {url}")
        except NotFound:
            pass  # deleting what is gone succeeds, as on S3

    def _owns_segments(self, url: ObjectURL, info: ObjectInfo | None) -> bool:
        """An SLO whose segments all sit under the prefix this store writes for that key: delete them with it.
        A manifest pointing elsewhere (a manifest copy shares its segments) loses only the manifest."""
        try:
            info = info or self.head(url)
        except NotFound:
            return False
        if info.composite != "slo":
            return False
        resp = self._send("GET", self._path(url.bucket, url.key), query="multipart-manifest=get",
                          context=f"read the manifest of {url}")
        mine = f"/{url.bucket}{SEGMENTS_SUFFIX}/{url.key}/"
        segments = json_body(resp, f"read the manifest of {url}", list)
        return all(isinstance(seg, dict) and unquote(str(seg.get("name", ""))).startswith(mine) for seg in segments)

    def copy_manifest(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions,
                      options: WriteOptions) -> ObjectInfo:
        """Copy an SLO's manifest only: the copy shares the source's segments (and deleting it leaves them)."""
        refuse_unsupported(options, self.capabilities, dst)
        if conditions.if_match is not None and src.last_modified is not None:
            # With ?multipart-manifest=get any If-Match makes the proxy answer 500 "Unable to load SLO manifest"
            # (seen on 2.38.3); the caller has just HEADed the source, so pin on its Last-Modified instead.
            conditions = dataclasses.replace(conditions, if_match=None, if_unmodified_since=src.last_modified)
        headers = {"X-Copy-From": self._path(src.url.bucket, src.url.key), "Content-Length": "0",
                   **self._condition_headers(conditions)}
        self._send("PUT", self._path(dst.bucket, dst.key), headers=headers, query="multipart-manifest=get",
                   context=f"copy the manifest of {src.url} to {dst}")
        return self.head(dst)

    # --- large objects (Multipart, PartCopier) -----------------------------------------------------------------
    def start_upload(self, dst: ObjectURL, *, options: WriteOptions, source: ObjectInfo | None) -> Upload:
        refuse_unsupported(options, self.capabilities, dst)
        container = dst.bucket + SEGMENTS_SUFFIX
        self._send("PUT", self._path(container), headers={"Content-Length": "0"},
                   context=f"create segments container {container}")
        return Upload(dst, f"{container}/{dst.key}/{uuid.uuid4().hex}")

    def _segment_path(self, upload: Upload, part: Part) -> str:
        container, _, prefix = upload.upload_id.partition("/")
        return self._path(container, f"{prefix}/{part.number:08d}")

    def copy_part(self, upload: Upload, part: Part, src: ObjectInfo, *, conditions: SourceConditions) -> str:
        headers = {"X-Copy-From": self._path(src.url.bucket, src.url.key), "Content-Length": "0",
                   "Range": f"bytes={part.start}-{part.end}", **self._condition_headers(conditions)}
        resp = self._send("PUT", self._segment_path(upload, part), headers=headers,
                          context=f"copy segment {part.number} of {src.url} to {upload.url}")
        return etag_header(resp, f"copy segment {part.number} of {src.url} to {upload.url}")

    def upload_part(self, upload: Upload, part: Part, body) -> str:
        resp = self._send("PUT", self._segment_path(upload, part), headers={"Content-Length": str(part.size)},
                          body=request_body(body, part.size),
                          context=f"upload segment {part.number} of {upload.url}")
        return etag_header(resp, f"upload segment {part.number} of {upload.url}")

    def complete_upload(self, upload: Upload, parts: list[tuple[Part, str]], *, options: WriteOptions,
                        source: ObjectInfo | None) -> ObjectInfo:
        container, _, prefix = upload.upload_id.partition("/")
        manifest = json.dumps([{"path": f"/{container}/{prefix}/{p.number:08d}", "etag": etag,
                                "size_bytes": p.size} for p, etag in parts]).encode()
        headers = self._write_headers(options, source)
        self._send("PUT", self._path(upload.url.bucket, upload.url.key), headers=headers, body=manifest,
                   query="multipart-manifest=put", context=f"write the SLO manifest of {upload.url}")
        return self.head(upload.url)

    def abort_upload(self, upload: Upload) -> None:
        container, _, prefix = upload.upload_id.partition("/")
        for segment in self.list(ObjectURL("swift", container, prefix + "/", self.profile.name)):
            self._send("DELETE", self._path(container, segment.url.key), context=f"delete segment {segment.url}")


def _domain(profile: profiles.Profile, whose: str) -> dict[str, str]:
    """The user's or the project's domain, by id where one is given (OS_USER_DOMAIN_ID ...), else by name."""
    env = os.environ
    domain_id = profile.get(f"{whose}_domain_id") or env.get(f"OS_{whose.upper()}_DOMAIN_ID")
    if domain_id:
        return {"id": domain_id}
    return {"name": profile.get(f"{whose}_domain_name") or env.get(f"OS_{whose.upper()}_DOMAIN_NAME") or "Default"}


def from_profile(profile: profiles.Profile) -> SwiftStore:
    return SwiftStore(profile)
