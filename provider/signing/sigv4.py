"""AWS Signature Version 4 (header form) for S3.

Pure functions: no I/O, no clock, no imports from this package, so the signer can be
checked byte for byte against published vectors and against botocore's ``S3SigV4Auth``
(tests/unit/test_sigv4.py). Where S3 and botocore differ from the generic SigV4 text,
botocore's behaviour wins, because that is what S3 and S3-compatible servers are tested with.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

EMPTY_SHA256: str = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_ALGORITHM = "AWS4-HMAC-SHA256"
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Exactly botocore.auth.SIGNED_HEADERS_BLACKLIST. Proxies and HTTP clients add, drop or
# rewrite these hop-by-hop/tracing headers, so signing them would break the signature.
# Only the two listed proxy-* names are excluded: botocore signs e.g. proxy-connection.
_UNSIGNED_HEADERS = frozenset({
    "baggage", "connection", "expect", "keep-alive", "proxy-authenticate",
    "proxy-authorization", "te", "traceparent", "tracestate", "trailer",
    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
})

# sign() computes these itself; a caller's stale copy (e.g. from a retried request) must
# neither be signed nor end up sent twice.
_COMPUTED_HEADERS = frozenset({
    "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
})

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


def quote_key(key: str) -> str:
    """Percent-encode an object key for the URL path, as botocore's greedy ``{Key+}`` label does.

    '/' stays literal so the key's "folders" remain path segments; S3 signs the path as sent.
    """
    return quote(key, safe="/~")


def quote_query_value(v: str) -> str:
    """RFC 3986 encoding for query keys and values: the canonical query is built from the URL
    without re-encoding, so the URL must already carry exactly this form."""
    return quote(v, safe="-_.~")


def copy_source(bucket: str, key: str, version_id: str | None = None) -> str:
    """Value of ``x-amz-copy-source`` as botocore builds it from a dict.

    The version id is appended unencoded: botocore does so, and ids are URL-safe in practice.
    """
    value = quote(f"{bucket}/{key}", safe="-._~/")
    if version_id is not None:
        value += f"?versionId={version_id}"
    return value


def payload_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _amz_date(now: datetime) -> str:
    # A naive datetime is ambiguous (local or UTC?) and a wrong guess yields a request that
    # S3 rejects for clock skew, far from the cause; refuse it here instead.
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError(f"SigV4 needs a timezone-aware UTC datetime, got {now!r}")
    return now.strftime(_AMZ_DATE_FORMAT)


def _host_from_url(url: str) -> str:
    # Same derivation as botocore.auth._host_from_url: lowercase hostname without userinfo,
    # IPv6 re-bracketed, port only when it is not the scheme's default. HTTP clients send
    # the Host header the same way, which is what the server checks the signature against.
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _canonical_query(query: str) -> str:
    # The query is used as already encoded (no decode/re-encode round trip, which could
    # change '+' or '%2B'); only split and sorted, exactly as botocore does for URL queries.
    if not query:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
    return "&".join(f"{k}={v}" for k, v in pairs)


def _canonical_headers(url: str, headers: Mapping[str, str]) -> tuple[str, str]:
    """Return (canonical header block, signed header list)."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname not in _UNSIGNED_HEADERS:
            # Names differing only in case are one header to HTTP; SigV4 joins repeats with ','.
            grouped.setdefault(lname, []).append(" ".join(str(value).split()))
    if "host" not in grouped:
        grouped["host"] = [_host_from_url(url)]
    names = sorted(grouped)
    block = "".join(f"{n}:{','.join(grouped[n])}\n" for n in names)
    return block, ";".join(names)


def _canonical(method: str, url: str, headers: Mapping[str, str], payload_hash: str) -> tuple[str, str]:
    parts = urlsplit(url)
    # S3 signs the path as sent, with no normalisation ('//', '.', '..' kept). An empty path
    # goes on the wire as '/', so sign '/' (botocore would sign '' but never builds such URLs).
    path = parts.path or "/"
    block, signed = _canonical_headers(url, headers)
    cr = "\n".join([method.upper(), path, _canonical_query(parts.query), block, signed, payload_hash])
    return cr, signed


def canonical_request(method: str, url: str, headers: Mapping[str, str], payload_hash: str) -> str:
    """Canonical request over exactly `headers` (minus the unsigned ones, plus Host if absent)."""
    return _canonical(method, url, headers, payload_hash)[0]


def _scope(now: datetime, region: str, service: str) -> str:
    return f"{_amz_date(now)[:8]}/{region}/{service}/aws4_request"


def string_to_sign(canonical_request: str, now: datetime, region: str, service: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return "\n".join([_ALGORITHM, _amz_date(now), _scope(now, region, service), digest])


def _signature(secret_key: str, sts: str, now: datetime, region: str, service: str) -> str:
    key = f"AWS4{secret_key}".encode("utf-8")
    for part in (_amz_date(now)[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    credentials: Credentials,
    region: str,
    now: datetime,
    payload_hash: str,
    service: str = "s3",
) -> dict[str, str]:
    """Return the headers to add to the request (Authorization, X-Amz-Date,
    X-Amz-Content-Sha256 and, with a session token, X-Amz-Security-Token).

    `url` must be final: path percent-encoded (see quote_key) and query RFC 3986-encoded
    (see quote_query_value); both are signed verbatim. Every header in `headers` is signed
    except botocore's unsigned set; the caller must send them unchanged.
    """
    added = {"X-Amz-Date": _amz_date(now), "X-Amz-Content-Sha256": payload_hash}
    # Empty token means "no token", as in botocore; sending an empty header would fail auth.
    if credentials.token:
        added["X-Amz-Security-Token"] = credentials.token
    to_sign = {k: v for k, v in headers.items() if k.lower() not in _COMPUTED_HEADERS}
    to_sign.update(added)
    cr, signed = _canonical(method, url, to_sign, payload_hash)
    sts = string_to_sign(cr, now, region, service)
    signature = _signature(credentials.secret_key, sts, now, region, service)
    added["Authorization"] = (
        f"{_ALGORITHM} Credential={credentials.access_key}/{_scope(now, region, service)}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    return added
