"""Alibaba Cloud OSS emulator: virtual-hosted and path-style addressing, Authorization header signatures
V1 ("OSS ak:sig") and V4 ("OSS4-HMAC-SHA256 ..."), each verified with a vendor SDK's own signer.

- V1 is recomputed by oss2's `ProviderAuth.__make_signature` (the name-mangled private method that
  `_sign_request` calls after stamping a fresh Date). Calling it directly signs over the request's own
  Date / x-oss-date, headers and sub-resources, without touching the clock. oss2 is used for V1 because its
  sub-resource whitelist is the larger one (closer to the server's).
- V4 is recomputed by alibabacloud_oss_v2's `SignerV4` step methods (`_calc_canonical_request`,
  `_calc_string_to_sign`, `_calc_signature`). `sign()` itself would overwrite x-oss-date,
  x-oss-content-sha256 and Date, so the steps are called with the request's own x-oss-date, its scope, and
  exactly the AdditionalHeaders it lists. The query is handed over decoded and re-encoded per RFC 3986, as the
  OSS V4 documentation defines it, so both SDKs' URL encodings verify.
"""
from __future__ import annotations

import datetime
import hmac
import http.client
import json
import re
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, unquote

import oss2
from alibabacloud_oss_v2.signer import SignerV4
from alibabacloud_oss_v2.types import HttpRequest, SigningContext
from requests.structures import CaseInsensitiveDict

from .base import Request, RangeNotSatisfiable, http_date, iso_date, parse_range, xml
from .common import ObjectHandler, invalid
from .store import StoredObject, StoreError, parse_http_date

VHOST_RE = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.oss-(?P<region>[a-z0-9-]+?)"
                      r"(?:-internal)?\.aliyuncs\.com$")
SERVICE_HOST_RE = re.compile(r"^(oss-[a-z0-9-]+\.aliyuncs\.com|localhost|\d+\.\d+\.\d+\.\d+)$")
SKEW = 15 * 60
# EC values seen in OSS's documentation; the others are emulator placeholders (not checked against OSS).
EC = {"SignatureDoesNotMatch": "0002-00000040", "MissingSecurityToken": "0002-00000003",
      "InvalidSecurityToken": "0002-00000008", "NoSuchKey": "0026-00000001", "NoSuchBucket": "0015-00000101"}

# Apsara Stack's CopyObject (seed 001): the seed's parameters in a JSON body, the seed's names being the standard
# CopyObject's headers. ASSUMED (the seed does not say): the destination as BucketName / ObjectName in the body, and
# the call signed as any OSS request with no bucket and no key.
APSARA_COPY = "/apsara/route/OneRouter/CopyObject"
APSARA_HEADERS = frozenset(f"x-oss-{n}" for n in (
    "copy-source", "metadata-directive", "tagging-directive", "tagging", "server-side-encryption",
    "server-side-encryption-key-id", "object-acl", "copy-source-if-match", "copy-source-if-none-match",
    "copy-source-if-modified-since", "copy-source-if-unmodified-since"))
APSARA_REQUIRED = ("BucketName", "ObjectName", "x-oss-copy-source", "regionId")


def v1_signature(ak: str, secret: str, token: str, req: Request, bucket: str, key: str) -> str:
    auth = oss2.auth.ProviderAuth(oss2.credentials.StaticCredentialsProvider(ak, secret, token))
    signed = SimpleNamespace(method=req.method, headers=CaseInsensitiveDict(dict(req.headers.items())),
                             params=req.params)
    return auth._ProviderAuth__make_signature(signed, bucket, key, auth.credentials_provider.get_credentials())


def v4_string_to_sign(req: Request, bucket: str, key: str, scope: str, date_time: str,
                      additional: list[str]) -> str:
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in req.params.items())
    headers = {}
    for name, value in req.headers.items():  # repeated headers joined, names lower-cased as the SDK expects
        headers[name.lower()] = f"{headers[name.lower()]},{value}" if name.lower() in headers else value
    ctx = SigningContext(bucket=bucket or None, key=key or None,
                         request=HttpRequest(req.method, f"http://emulator/?{query}", headers=headers))
    signer = SignerV4()
    canonical = signer._calc_canonical_request(signing_ctx=ctx, additional_headers=additional)
    return signer._calc_string_to_sign(date_time, scope, canonical)


class OssHandler(ObjectHandler):
    server_version = "AliyunOSS"
    request_id_header = "x-oss-request-id"
    prefix = "x-oss-"
    min_part_size = 100 * 1024
    storage_classes = frozenset({"Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"})
    acl_header = "x-oss-object-acl"
    acl_values = frozenset({"private", "public-read", "public-read-write", "default"})
    sse_values = frozenset({"AES256", "KMS", "SM4"})
    sse_kms = "KMS"
    sse_key_header = "x-oss-server-side-encryption-key-id"
    sse_error = "InvalidEncryptionAlgorithmError"
    digest_error = "InvalidDigest"
    metadata_directive = ("COPY", "REPLACE")
    tagging_directive = ("Copy", "Replace")
    not_modified_on = frozenset({"if-none-match", "if-modified-since"})   # the seed: 304, the others 412
    always_storage_class = True

    @staticmethod
    def is_apsara(req: Request) -> bool:
        return req.method == "POST" and req.raw_path == APSARA_COPY and not req.raw_query

    def route(self, req: Request) -> None:
        if not self.is_apsara(req):
            return super().route(req)
        self.authenticate(req, "", "")
        fault = self.emulator.take_fault(True)
        if fault is not None:
            return self.send_fault(req, fault)
        try:
            params = json.loads(req.body)
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise invalid("The body is not a JSON object")
        missing = [name for name in APSARA_REQUIRED if not params.get(name)]
        if missing:
            raise StoreError("MissingArgument", 400, f"Missing required parameter {', '.join(missing)}")
        unknown = sorted(set(params) - APSARA_HEADERS - {*APSARA_REQUIRED, "version"})
        bad = [n for n, v in params.items() if not isinstance(v, str)]
        if unknown or bad:
            raise invalid(f"Unknown parameter {', '.join(unknown)}" if unknown else
                          f"Parameter {', '.join(bad)} must be a string")
        if params["regionId"] != self.emulator.region:
            raise invalid(f"regionId {params['regionId']!r} is not this endpoint's ({self.emulator.region})")
        headers = http.client.HTTPMessage()  # the standard CopyObject's request, seen by the shared copy code
        for name in APSARA_HEADERS & set(params):
            headers[name] = params[name]
        std = Request("PUT", req.target, req.raw_path, "", req.host, headers, b"")
        obj, _ = self.copy(std, params["BucketName"], params["ObjectName"], params["x-oss-copy-source"])
        etag, modified = f'"{obj.etag}"', http_date(obj.last_modified)
        body = {"LastModified": modified, "ETag": etag,
                "CopyObjectResult": {"ETag": etag, "LastModified": iso_date(obj.last_modified)}}
        self.send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def address(self, req: Request) -> tuple[str, str]:
        host = (req.host.rsplit(":", 1)[0] if req.host.count(":") == 1 else req.host).lower()
        match = VHOST_RE.match(host)
        if match is not None:
            return match["bucket"], unquote(req.raw_path).removeprefix("/")
        if SERVICE_HOST_RE.match(host):  # path-style: /<bucket>/<key>
            bucket, _, key = req.raw_path.removeprefix("/").partition("/")
            return unquote(bucket), unquote(key)
        raise StoreError("InvalidURI", 400, f"Host {req.host!r} is neither <bucket>.oss-<region>.aliyuncs.com "
                         "nor a path-style endpoint")

    # -- authentication ----------------------------------------------------------------------------
    def authenticate(self, req: Request, bucket: str, key: str) -> None:
        value = (req.header("Authorization") or "").strip()
        if value.startswith("OSS4-HMAC-SHA256 "):
            return self._v4(req, bucket, key, value)
        if value.startswith("OSS "):
            return self._v1(req, bucket, key, value)
        if not value:
            raise StoreError("AccessDenied", 403, "You have no right to access this object because of bucket acl.")
        raise invalid("Unsupported Authorization scheme (the emulator checks V1 and V4 header signatures)")

    def _secret(self, ak: str, req: Request) -> tuple[str, str]:
        secret = self.emulator.credentials.get(ak)
        if secret is None:
            raise StoreError("InvalidAccessKeyId", 403, "The OSS Access Key Id you provided does not exist in "
                             "our records.", OSSAccessKeyId=ak)
        # oss2 and the V4 signer send x-oss-security-token; alibabacloud_oss_v2's SignerV1 sends an
        # (unsigned) 'security-token' header instead, so that is accepted too.
        given = req.header("x-oss-security-token") or req.header("security-token") or ""
        expected = self.emulator.tokens.get(ak)
        if expected is not None and not given:
            raise StoreError("InvalidAccessKeyId", 403, "The OSS Access Key Id you provided does not exist in "
                             "our records (a temporary key needs x-oss-security-token).", ec="MissingSecurityToken")
        if expected is not None and given != expected:
            raise StoreError("InvalidSecurityToken", 403, "The security token you provided is invalid.",
                             ec="InvalidSecurityToken")
        return secret, given

    @staticmethod
    def _check_time(epoch: float | None) -> None:
        if epoch is None or abs(time.time() - epoch) > SKEW:
            raise StoreError("RequestTimeTooSkewed", 403, "The difference between the request time and the "
                             "current time is too large.")

    def _v1(self, req: Request, bucket: str, key: str, value: str) -> None:
        ak, _, provided = value[4:].strip().rpartition(":")
        secret, token = self._secret(ak, req)
        when = req.header("x-oss-date") or req.header("Date") or ""
        self._check_time(parse_http_date(when))
        expected = v1_signature(ak, secret, token, req, bucket, key)
        if not hmac.compare_digest(expected, provided):
            raise StoreError("SignatureDoesNotMatch", 403, "The request signature we calculated does not match "
                             "the signature you provided. Check your key and signing method.",
                             OSSAccessKeyId=ak, SignatureProvided=provided)

    def _v4(self, req: Request, bucket: str, key: str, value: str) -> None:
        fields = dict(part.strip().partition("=")[::2] for part in value.split(" ", 1)[1].split(","))
        try:
            ak, date, region, product, terminator = fields["Credential"].split("/")
            provided = fields["Signature"]
        except (KeyError, ValueError):
            raise invalid("Authorization header is malformed") from None
        secret, _ = self._secret(ak, req)
        stamp = req.header("x-oss-date") or ""
        try:
            when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise invalid("x-oss-date is missing or not YYYYMMDDTHHMMSSZ") from None
        self._check_time(when.timestamp())
        if region != self.emulator.region or product != "oss" or terminator != "aliyun_v4_request" \
                or date != stamp[:8]:
            raise invalid(f"Invalid credential scope {'/'.join((date, region, product, terminator))!r} "
                          f"(this endpoint is {self.emulator.region}/oss)")
        additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
        scope = f"{date}/{region}/{product}/{terminator}"
        sts = v4_string_to_sign(req, bucket, key, scope, stamp, additional)
        expected = SignerV4()._calc_signature(access_key_secrect=secret, date=date, region=region,
                                              product=product, string_to_sign=sts)
        if not hmac.compare_digest(expected, provided):
            raise StoreError("SignatureDoesNotMatch", 403, "The request signature we calculated does not match "
                             "the signature you provided. Check your key and signing method.",
                             OSSAccessKeyId=ak, SignatureProvided=provided, StringToSign=sts)

    # -- dialect -----------------------------------------------------------------------------------
    def parse_copy_source(self, value: str) -> tuple[str, str, str | None]:
        # /<bucket>/<quote(key)>[?versionId=<id>]; OSS rejects a source without the leading slash.
        if not value.startswith("/"):
            raise invalid(f"x-oss-copy-source must be /<bucket>/<key>, not {value!r}",
                          ArgumentName="x-oss-copy-source")
        path, _, query = value[1:].partition("?")
        bucket, slash, enc_key = path.partition("/")
        if not bucket or not slash or not enc_key:
            raise invalid(f"x-oss-copy-source is invalid: {value!r}", ArgumentName="x-oss-copy-source")
        version = query.removeprefix("versionId=") if query.startswith("versionId=") else None
        return bucket, unquote(enc_key), version or None

    def resolve_range(self, req: Request, size: int) -> tuple[int, int] | None:
        value = req.header("Range")
        if value is None:
            return None
        try:
            return parse_range(value, size)
        except RangeNotSatisfiable:
            # OSS answers an unsatisfiable range with the whole object (200) unless the client opts into
            # standard behaviour.
            if (req.header("x-oss-range-behavior") or "").lower() == "standard":
                raise StoreError("InvalidRange", 416, "The requested range cannot be satisfied") from None
            return None

    def extra_object_headers(self, obj: StoredObject) -> dict[str, str]:
        return {"x-oss-object-type": "Multipart" if "-" in obj.etag else "Normal"}

    def list_objects(self, req: Request, bucket: str) -> None:
        p = req.params
        if p.get("list-type") != "2":
            return super().list_objects(req, bucket)
        encode = (lambda s: quote(s, safe="")) if p.get("encoding-type") == "url" else (lambda s: s)
        max_keys = int(p.get("max-keys") or 100)
        marker = p.get("continuation-token") or p.get("start-after", "")
        objects, prefixes, truncated, next_marker = self.store.list(
            bucket, prefix=p.get("prefix", ""), marker=marker, max_keys=max_keys, delimiter=p.get("delimiter", ""))
        body: list[tuple[str, Any]] = [
            ("Name", bucket), ("Prefix", encode(p.get("prefix", ""))), ("MaxKeys", max_keys),
            ("StartAfter", encode(p["start-after"]) if "start-after" in p else None),
            ("ContinuationToken", p.get("continuation-token")), ("EncodingType", p.get("encoding-type")),
            ("Delimiter", encode(p["delimiter"]) if p.get("delimiter") else None),
            ("IsTruncated", str(truncated).lower()), ("KeyCount", len(objects) + len(prefixes)),
            ("NextContinuationToken", next_marker if truncated else None)]
        body += self.contents(objects, encode)
        body += [("CommonPrefixes", [("Prefix", encode(cp))]) for cp in prefixes]
        self.send(200, xml("ListBucketResult", body), {"Content-Type": "application/xml"})

    def contents(self, objects: list[StoredObject], encode: Callable[[str], str]) -> list[tuple[str, Any]]:
        return [("Contents", [("Key", encode(o.key)), ("LastModified", iso_date(o.last_modified)),
                              ("ETag", f'"{o.etag}"'), ("Type", "Multipart" if "-" in o.etag else "Normal"),
                              ("Size", o.size), ("StorageClass", o.storage_class),
                              ("Owner", [("ID", "emulator"), ("DisplayName", "emulator")])]) for o in objects]

    def error(self, req: Request, err: StoreError, status: int | None = None,
              headers: dict[str, str] | None = None) -> None:
        extra = dict(err.extra)
        ec = EC.get(extra.pop("ec", err.code), "0000-00000000")
        if self.is_apsara(req):  # JSON, the HTTP status as resultCode; a copy fault in a 200 is the seed's sample
            status = err.status if status is None else status
            answer = {"resultCode": -1, "resultMsg": "system error"} if status == 200 else \
                {"resultCode": status, "resultMsg": f"{err.code}: {err.message}"}
            return self.send(status, json.dumps({**answer, "result": None}).encode(),
                             {"Content-Type": "application/json", "x-oss-ec": ec, **(headers or {})})
        body = xml("Error", [("Code", err.code), ("Message", err.message), ("RequestId", self.request_id),
                             ("HostId", req.host), *extra.items(), ("EC", ec),
                             ("RecommendDoc", f"https://api.aliyun.com/troubleshoot?q={ec}")])
        self.send(err.status if status is None else status, body,
                  {"Content-Type": "application/xml", "x-oss-ec": ec, **(headers or {})}, head=req.method == "HEAD")
