"""Alibaba Cloud OSS request signing, header form: V1 (HMAC-SHA1) and V4 (OSS4-HMAC-SHA256).

Pure functions: no I/O, no clock, no imports from this package, so both versions can be checked
byte for byte against published vectors and against the two official Python SDKs, oss2 and
alibabacloud-oss-v2 (tests/unit/test_oss_signer.py). Where the SDKs disagree, the comments say
which side we take and why.

Inputs are decoded: `key` is the raw object key and `query` maps raw names to raw values
(None or '' for a valueless parameter such as ``uploads``). The caller builds the URL from the
same values (see quote_key/quote_query) and sends every header it passed here unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_V4_ALGORITHM = "OSS4-HMAC-SHA256"
_V4_PRODUCT = "oss"
_V4_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


# Query parameters that V1 puts into the CanonicalizedResource; any other parameter (prefix,
# marker, max-keys, ...) is left out of the signature. The server keeps its own list, which no
# document gives in full, so this is the union of what the SDKs sign: oss2's
# ProviderAuth._subresource_key_set, alibabacloud-oss-v2's SignerV1._subresource_key_set and the
# per-operation "sub-resource" lists of the v2 operations. The tests pin it to that union, so
# an SDK upgrade that learns a new sub-resource shows up as a failing test, not as a 403.
V1_SUBRESOURCES: frozenset[str] = frozenset({
    "MetaQuery", "accessPoint", "accessPointPolicy", "acl", "append", "asyncFetch",
    "bucketArchiveDirectRead", "bucketInfo", "callback", "callback-var", "cleanRestoredObject",
    "cloudboxes", "cname", "comp", "continuation-token", "cors", "dataPipeline", "delete",
    "encryption", "endTime", "group", "httpsConfig", "inventory", "inventoryId", "legalHold",
    "lifecycle", "link", "live", "location", "logging", "metaQuery", "metadataConfiguration",
    "metadataInventoryTable", "metadataJournalTable", "objectInfo", "objectMeta", "objectWorm",
    "overwriteConfig", "partNumber", "policy", "policyStatus", "position", "publicAccessBlock",
    "qos", "qosInfo", "qosRequester", "quota", "redundancyTransition", "referer", "regionList",
    "replication", "replicationLocation", "replicationProgress", "requestPayment",
    "requesterQosInfo", "resourceGroup", "resourcePool", "resourcePoolBuckets", "resourcePoolInfo",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore",
    "retention", "rtc", "seal", "security-token", "sequential", "startTime", "stat", "status",
    "style", "styleName", "symlink", "tagging", "transferAcceleration", "uploadId", "uploads",
    "userDefinedLogFieldsConfig", "versionId", "versioning", "versions", "vod", "website", "worm",
    "wormExtend", "wormId", "x-oss-ac-forward-allow", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask",
    "x-oss-ac-vpc-id", "x-oss-access-point-name", "x-oss-async-process", "x-oss-process",
    "x-oss-redundancy-transition-taskid", "x-oss-request-payer", "x-oss-target-redundancy-type",
    "x-oss-traffic-limit", "x-oss-write-get-object-response",
})

# The signers compute these; a caller's stale copy (e.g. from a retried request) must neither
# be signed nor end up sent twice. V4 does not sign Date, so a caller's Date is left alone there.
_V1_COMPUTED = frozenset({"authorization", "date", "x-oss-security-token"})
_V4_COMPUTED = frozenset({"authorization", "x-oss-date", "x-oss-content-sha256", "x-oss-security-token"})
# V4 always signs these and every x-oss-* header; anything else only via AdditionalHeaders.
_V4_DEFAULT_SIGNED = frozenset({"content-type", "content-md5"})


def quote_key(key: str) -> str:
    """Percent-encode an object key for the URL path as both SDKs do ('/' kept literal).

    The same form is V4's canonical URI, so the URL and the signature stay in step."""
    return quote(key, safe="/")


def quote_query(value: str) -> str:
    """RFC 3986 encoding of a query name or value (only A-Z a-z 0-9 - _ . ~ kept), which is
    what V4 signs and what alibabacloud-oss-v2 puts in its URLs."""
    return quote(value, safe="")


def copy_source(bucket: str, key: str, version_id: str | None = None) -> str:
    """Value of ``x-oss-copy-source``: ``/bucket/<key with '/' kept>[?versionId=<id>]``.

    Built as alibabacloud-oss-v2 does. oss2 also encodes '/' (as %2F); the server decodes both
    to the same key. The version id is appended unencoded, as both SDKs do."""
    value = f"/{bucket}/{quote(key, safe='/')}"
    if version_id is not None:
        value += f"?versionId={version_id}"
    return value


def _lower_headers(headers: Mapping[str, str], drop: frozenset[str]) -> dict[str, str]:
    # HTTP header names are case-insensitive; the SDKs keep only one of two names differing in
    # case, silently. A request carrying both is a caller bug, so say so instead of guessing.
    out: dict[str, str] = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname in drop:
            continue
        if lname in out:
            raise ValueError(f"header {name!r} given twice (names are case-insensitive)")
        out[lname] = value
    return out


def _resource_path(bucket: str | None, key: str | None) -> str:
    # '/bucket/key', '/bucket/' for bucket-level requests, '/' for service-level ones (both SDKs).
    if not bucket:
        if key:
            raise ValueError("an object key needs a bucket")
        return "/"
    return f"/{bucket}/{key or ''}"


def _v1_string_to_sign(method: str, bucket: str | None, key: str | None, query: Mapping[str, str | None],
                       headers: Mapping[str, str], date: str) -> str:
    """`headers` lowercased and complete (token included). `date` is the Date line."""
    oss_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()) if k.startswith("x-oss-"))
    # The key goes in raw (not URL-encoded) and sub-resource values raw too, as both SDKs sign.
    subresources = sorted((k, v) for k, v in query.items() if k in V1_SUBRESOURCES)
    resource = _resource_path(bucket, key)
    if subresources:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in subresources)
    return "\n".join([method.upper(), headers.get("content-md5", ""), headers.get("content-type", ""),
                      date, oss_headers + resource])


def sign_v1(method: str, bucket: str | None, key: str | None, query: Mapping[str, str | None],
            headers: Mapping[str, str], *, credentials: Credentials, date: str) -> dict[str, str]:
    """Headers to ADD: Date (unless `headers` carries x-oss-date, which then stands in for it),
    ``Authorization: OSS <AK>:<sig>`` and, with a token, x-oss-security-token.

    `date` is the RFC 1123 GMT date to send. The token is signed like any x-oss-* header, as
    oss2 does (alibabacloud-oss-v2 sends an unsigned ``security-token`` header instead).
    """
    lowered = _lower_headers(headers, _V1_COMPUTED)
    added: dict[str, str] = {}
    # Empty token means "no token", as in both SDKs; an empty header would fail auth.
    if credentials.token:
        added["x-oss-security-token"] = lowered["x-oss-security-token"] = credentials.token
    # The server takes x-oss-date over Date when both exist; the SDKs sign `x-oss-date or Date`.
    date_line = lowered.get("x-oss-date") or date
    if not lowered.get("x-oss-date"):
        added["Date"] = date
    sts = _v1_string_to_sign(method, bucket, key, query, lowered, date_line)
    digest = hmac.new(credentials.access_key_secret.encode("utf-8"), sts.encode("utf-8"), hashlib.sha1).digest()
    added["Authorization"] = f"OSS {credentials.access_key_id}:{base64.b64encode(digest).decode('ascii')}"
    return added


def _v4_stamp(now: datetime) -> str:
    # A naive datetime is ambiguous (local or UTC?) and a wrong guess gives a request OSS
    # rejects for clock skew, far from the cause; refuse it here instead.
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError(f"OSS V4 needs a timezone-aware UTC datetime, got {now!r}")
    return now.strftime(_V4_DATE_FORMAT)


def _v4_additional(additional_headers: Iterable[str], headers: Mapping[str, str]) -> list[str]:
    # As alibabacloud-oss-v2: lowercased, sorted, without the always-signed ones, and only those
    # the request carries with a non-empty value (a listed but absent header cannot be checked).
    names = {n.lower() for n in additional_headers}
    return sorted(n for n in names
                  if not (n.startswith("x-oss-") or n in _V4_DEFAULT_SIGNED) and headers.get(n))


def _v4_canonical_request(method: str, bucket: str | None, key: str | None, query: Mapping[str, str | None],
                          headers: Mapping[str, str], additional: list[str]) -> str:
    """`headers` lowercased and complete (x-oss-date etc. included)."""
    # All parameters, names and values RFC 3986-encoded, sorted on the encoded form; a
    # valueless parameter is the bare name (no '=').
    pairs = sorted((quote_query(k), quote_query(v or "")) for k, v in query.items())
    canonical_query = "&".join(f"{k}={v}" if v else k for k, v in pairs)
    signed = sorted((k, v) for k, v in headers.items()
                    if k.startswith("x-oss-") or k in _V4_DEFAULT_SIGNED or k in additional)
    return "\n".join([method.upper(), quote_key(_resource_path(bucket, key)), canonical_query,
                      "".join(f"{k}:{v}\n" for k, v in signed), ";".join(additional), UNSIGNED_PAYLOAD])


def _v4_signature(secret: str, stamp: str, region: str, canonical_request: str) -> tuple[str, str]:
    """Return (scope, hex signature)."""
    scope = f"{stamp[:8]}/{region}/{_V4_PRODUCT}/aliyun_v4_request"
    sts = "\n".join([_V4_ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    signing_key = f"aliyun_v4{secret}".encode("utf-8")
    for part in (stamp[:8], region, _V4_PRODUCT, "aliyun_v4_request"):
        signing_key = hmac.new(signing_key, part.encode("utf-8"), hashlib.sha256).digest()
    return scope, hmac.new(signing_key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_v4(method: str, bucket: str | None, key: str | None, query: Mapping[str, str | None],
            headers: Mapping[str, str], *, credentials: Credentials, region: str, now: datetime,
            additional_headers: Iterable[str] = ()) -> dict[str, str]:
    """Headers to ADD: x-oss-date, ``x-oss-content-sha256: UNSIGNED-PAYLOAD``, Authorization
    (``OSS4-HMAC-SHA256 Credential=<AK>/<scope>,AdditionalHeaders=a;b,Signature=<hex>``, no
    spaces, as alibabacloud-oss-v2 emits; AdditionalHeaders only when there are any) and, with
    a token, x-oss-security-token (signed).

    `region` is the region id (``cn-hangzhou``), not the endpoint name (``oss-cn-hangzhou``).
    `now` must be timezone-aware UTC. The body is never hashed (UNSIGNED-PAYLOAD).
    """
    if region.startswith("oss-"):
        # Signs fine locally but every request fails with SignatureDoesNotMatch.
        raise ValueError(f"OSS V4 wants the region id (e.g. 'cn-hangzhou'), not the endpoint name {region!r}")
    stamp = _v4_stamp(now)
    added = {"x-oss-date": stamp, "x-oss-content-sha256": UNSIGNED_PAYLOAD}
    if credentials.token:
        added["x-oss-security-token"] = credentials.token
    lowered = _lower_headers(headers, _V4_COMPUTED)
    lowered.update(added)
    additional = _v4_additional(additional_headers, lowered)
    cr = _v4_canonical_request(method, bucket, key, query, lowered, additional)
    scope, signature = _v4_signature(credentials.access_key_secret, stamp, region, cr)
    extra = f",AdditionalHeaders={';'.join(additional)}" if additional else ""
    credential = f"{credentials.access_key_id}/{scope}"
    added["Authorization"] = f"{_V4_ALGORITHM} Credential={credential}{extra},Signature={signature}"
    return added
