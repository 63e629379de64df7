"""Tencent COS (XML API) emulator: virtual-hosted addressing and the q-sign-algorithm=sha1 signature,
verified with cos-python-sdk-v5's own signer.

How the signature is checked. `qcloud_cos.cos_auth.CosS3Auth.__call__` is the SDK's whole algorithm, but
it reads the clock (`time.time()`) and picks the headers itself (`filter_headers`, a whitelist that drops
e.g. `date`). A server must instead sign at the client's q-key-time and over exactly the q-header-list.
So `sdk_signature` runs the SDK's own function object (`CosS3Auth.__call__.__code__`, unchanged bytecode)
with a private copy of its module globals in which `time` is a fixed clock and `filter_headers` keeps every
header it is given. Nothing in the shared `qcloud_cos` module is patched: SDK clients signing in other
threads of the same process are unaffected.
"""
from __future__ import annotations

import hmac
import re
import time
import types
from types import SimpleNamespace
from urllib.parse import quote, unquote

from qcloud_cos import cos_auth

from .base import Request, xml
from .common import ObjectHandler, invalid
from .store import StoreError

HOST_RE = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9-]*)\.cos\.(?P<region>[a-z0-9-]+)\.myqcloud\.com$")
AUTH_FIELDS = ("q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list", "q-url-param-list",
               "q-signature")
TOKEN_HEADER = "x-cos-security-token"
# sdk_signature swaps these two module globals of CosS3Auth.__call__; fail loudly if an SDK release stops
# reading them that way (the swap would silently do nothing and every request would be rejected).
if not {"time", "filter_headers"} <= set(cos_auth.CosS3Auth.__call__.__code__.co_names):
    raise ImportError("qcloud_cos.cos_auth.CosS3Auth.__call__ no longer reads time/filter_headers as globals; "
                      "update tests/emulators/cos_server.sdk_signature")


def sdk_signature(secret_id: str, secret_key: str, method: str, path: str, params: dict[str, str],
                  headers: dict[str, str], key_time: str) -> str:
    """q-signature as CosS3Auth computes it, at `key_time` ("start;end") over exactly `headers`/`params`
    (decoded names and values; the SDK encodes and lower-cases them itself). `path` is the decoded path."""
    start, end = (int(t) for t in key_time.split(";"))
    sdk_globals = dict(vars(cos_auth))
    # CosS3Auth builds "now-60;now+expire": with now = start+60 and expire = end-now it yields key_time.
    sdk_globals["time"] = SimpleNamespace(time=lambda: start + 60)
    sdk_globals["filter_headers"] = dict
    call = types.FunctionType(cos_auth.CosS3Auth.__call__.__code__, sdk_globals, "__call__",
                              cos_auth.CosS3Auth.__call__.__defaults__)
    conf = SimpleNamespace(_secret_id=secret_id, _secret_key=secret_key, _credential_inst=None,
                           _anonymous=False, _sign_params=True, _sign_host=False)
    # sign_host=False: 'host' is signed only when listed, with the value the client sent.
    auth = cos_auth.CosS3Auth(conf, key=path, params=params, expire=end - start - 60, sign_host=False)
    signed = SimpleNamespace(method=method, url="http://unused/", headers=dict(headers))
    call(auth, signed)
    return dict(kv.split("=", 1) for kv in signed.headers["Authorization"].split("&"))["q-signature"]


def parse_authorization(value: str) -> dict[str, str]:
    fields = dict(kv.split("=", 1) for kv in value.split("&") if "=" in kv)
    missing = [f for f in AUTH_FIELDS if f not in fields]
    if missing:
        raise StoreError("AccessDenied", 403, f"Authorization is malformed: missing {', '.join(missing)}")
    return fields


class CosHandler(ObjectHandler):
    server_version = "tencent-cos"
    request_id_header = "x-cos-request-id"
    prefix = "x-cos-"
    min_part_size = 1 << 20
    storage_classes = frozenset({"STANDARD", "STANDARD_IA", "ARCHIVE", "DEEP_ARCHIVE", "INTELLIGENT_TIERING",
                                 "MAZ_STANDARD", "MAZ_STANDARD_IA", "MAZ_INTELLIGENT_TIERING"})
    acl_header = "x-cos-acl"
    acl_values = frozenset({"private", "public-read", "default"})
    sse_values = frozenset({"AES256", "cos/kms"})
    sse_kms = "cos/kms"
    sse_key_header = "x-cos-server-side-encryption-cos-kms-key-id"
    digest_error = "BadDigest"
    metadata_directive = ("Copy", "Replaced")
    tagging_directive = ("Copy", "Replaced")
    not_modified_on = frozenset()    # Upload Part - Copy / PUT Object - Copy: every failed condition is 412

    def address(self, req: Request) -> tuple[str, str]:
        host = req.host.rsplit(":", 1)[0] if req.host.count(":") == 1 else req.host
        match = HOST_RE.match(host.lower())
        if match is None:
            # COS has no path-style addressing: the bucket is only ever in the host name.
            raise StoreError("InvalidURI", 400, f"Host {req.host!r} names no bucket; use "
                             "<bucket-appid>.cos.<region>.myqcloud.com (cos-python-sdk-v5: IP=, Port=)")
        return match["bucket"], unquote(req.raw_path).removeprefix("/")

    def authenticate(self, req: Request, bucket: str, key: str) -> None:
        value = req.header("Authorization")
        if not value:
            raise StoreError("AccessDenied", 403, "Access Denied.")
        f = parse_authorization(value)
        secret = self.emulator.credentials.get(f["q-ak"])
        if f["q-sign-algorithm"] != "sha1" or secret is None:
            raise StoreError("InvalidAccessKeyId", 403, "The Access Key Id you provided does not exist in our "
                             "records.")
        token = self.emulator.tokens.get(f["q-ak"])
        if token is not None and req.header(TOKEN_HEADER) != token:
            # A temporary SecretId is only valid with its token (assumption: the same code as an unknown id).
            raise StoreError("InvalidAccessKeyId", 403, "The Access Key Id you provided does not exist in our "
                             "records (a temporary key needs its x-cos-security-token).")
        try:
            start, end = (int(t) for t in f["q-key-time"].split(";"))
        except ValueError:
            raise StoreError("AccessDenied", 403, "q-key-time is malformed") from None
        if not start <= time.time() <= end:
            raise StoreError("AccessDenied", 403, "Request has expired")
        if f["q-sign-time"] != f["q-key-time"]:
            # The SDK signs with one time for both; a client that differs cannot be checked with it.
            raise StoreError("SignatureDoesNotMatch", 403, "q-sign-time differs from q-key-time (the emulator "
                             "verifies with the SDK signer, which uses one time for both)")
        names = [n for n in f["q-header-list"].split(";") if n]
        headers = {n: req.header(unquote(n)) or "" for n in names}
        listed = {n for n in f["q-url-param-list"].split(";") if n}
        params = {k: v for k, v in req.params.items() if quote(k, safe="-_.~").lower() in listed}
        path = unquote(req.raw_path)
        candidates = [headers]
        if ":" in headers.get("host", ""):
            # The SDK signs urlparse(url).hostname, which drops the port, while HTTP clients send it in Host.
            # On the real service the port is the default one and never appears, so accept both readings.
            candidates.append({**headers, "host": headers["host"].rsplit(":", 1)[0]})
        for h in candidates:
            expected = sdk_signature(f["q-ak"], secret, req.method, path, params, h, f["q-key-time"])
            if hmac.compare_digest(expected, f["q-signature"]):
                return
        raise StoreError("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the "
                         "signature you provided. Check your key and signing method.")

    def parse_copy_source(self, value: str) -> tuple[str, str, str | None]:
        # <bucket-appid>.cos.<region>.myqcloud.com/<url-encoded key>[?versionId=<id>]
        host, slash, rest = value.strip().partition("/")
        match = HOST_RE.match(host.lower())
        if match is None or not slash or not rest:
            raise invalid(f"x-cos-copy-source is invalid: {value!r}", ArgumentName="x-cos-copy-source")
        path, _, query = rest.partition("?")
        version = query.removeprefix("versionId=") if query.startswith("versionId=") else None
        return match["bucket"], unquote(path), version or None

    def error(self, req: Request, err: StoreError, status: int | None = None,
              headers: dict[str, str] | None = None) -> None:
        body = xml("Error", [("Code", err.code), ("Message", err.message),
                             ("Resource", f"{req.host}{req.raw_path}"), ("RequestId", self.request_id),
                             ("TraceId", self.request_id.lower())])
        self.send(err.status if status is None else status, body,
                  {"Content-Type": "application/xml", **(headers or {})}, head=req.method == "HEAD")
