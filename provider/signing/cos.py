"""Tencent COS request signing (the ``q-sign-algorithm=sha1`` Authorization header).

Pure functions: no I/O, no clock (the caller passes the key time), no imports from this
package, so the signer can be checked against the doc vectors and, request for request,
against cos-python-sdk-v5's ``CosS3Auth`` (tests/unit/test_cos_signer.py). Where the doc
text and the SDK differ (which headers are signed, how 'host' is derived), the SDK wins:
it is what COS is tested with. Algorithm: cloud.tencent.com/document/product/436/7778.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, unquote_plus, urlsplit

# cos_auth.filter_headers' list. 'date' is absent, so the SDK never signs it; 'expect' and
# 'transfer-encoding' are present, so it does sign those.
SDK_SIGNED_HEADERS: frozenset[str] = frozenset({
    "cache-control", "content-disposition", "content-encoding", "content-type", "content-md5",
    "content-length", "expect", "expires", "host", "if-match", "if-modified-since",
    "if-none-match", "if-unmodified-since", "origin", "range", "transfer-encoding",
    "pic-operations",
})
_SDK_SIGNED_PREFIXES = ("x-cos-", "x-ci-")

# sign() computes these; a caller's stale copy (e.g. from a retry) must not be signed.
_COMPUTED_HEADERS = frozenset({"authorization", "x-cos-security-token"})
TOKEN_HEADER = "x-cos-security-token"


@dataclass(frozen=True)
class Credentials:
    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


def sdk_header_filter(name: str) -> bool:
    """True when cos-python-sdk-v5 would sign a header of this name."""
    lname = name.lower()
    return lname in SDK_SIGNED_HEADERS or lname.startswith(_SDK_SIGNED_PREFIXES)


def key_time(now: int, expire: int = 10000, skew: int = 60) -> str:
    """``q-key-time`` as CosS3Auth builds it: valid from a minute ago (client clock skew)
    until `expire` seconds from now. Long transfers need an expiry beyond their duration."""
    return f"{now - skew};{now + expire}"


def copy_source(host: str, key: str, version_id: str | None = None) -> str:
    """``x-cos-copy-source`` as cos_comm.gen_copy_source_url builds it; `host` is
    ``<bucket-appid>.cos.<region>.myqcloud.com``.

    Unlike the SDK, a leading '/' of `key` is kept (keys are literal in this project). The
    version id is appended unencoded, and only when non-empty, as in the SDK.
    """
    value = f"{host}/{quote(key, safe='/-_.~')}"
    if version_id:
        value += f"?versionId={version_id}"
    return value


def _encode(s: str) -> str:
    # RFC 3986 unreserved only: '/' becomes %2F and space %20 (never '+').
    return quote(s, safe="-_.~")


def _join(pairs: Mapping[str, str]) -> tuple[str, str]:
    """(``k=v&...`` over encoded, lower-cased names, ``k1;k2`` name list), sorted by name."""
    names = sorted(pairs)
    return "&".join(f"{n}={pairs[n]}" for n in names), ";".join(names)


def _params(query: str) -> dict[str, str]:
    # Form decoding ('+' is a space): the SDK sends params through requests, which encodes
    # spaces as '+', while signing them as %20, so that is how COS reads the query too.
    out: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        k, _, v = item.partition("=")
        name = _encode(unquote_plus(k)).lower()
        if name in out:  # the SDK signs a dict; what COS does with repeats is unspecified
            raise ValueError(f"COS signing: query parameter {k!r} repeated")
        out[name] = _encode(unquote_plus(v))  # no value signs as 'k=', like the SDK's ''
    return out


def _headers(url: str, headers: Mapping[str, str], header_filter: Callable[[str], bool]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        if not header_filter(name):
            continue
        lname = _encode(name).lower()
        if lname in out:  # an HTTP client would send only one of them; which one is unknowable
            raise ValueError(f"COS signing: header {name!r} given twice (names differ only in case)")
        # Values are signed verbatim, not trimmed: that is what the SDK does.
        out[lname] = _encode(value)
    if "host" not in out:
        # The SDK uses urlparse().hostname: lower case, port dropped, IPv6 without brackets.
        out["host"] = _encode(urlsplit(url).hostname or "")
    return out


def http_string(method: str, url: str, headers: Mapping[str, str],
                header_filter: Callable[[str], bool] = sdk_header_filter) -> tuple[str, str, str]:
    """(HttpString, q-header-list, q-url-param-list) over exactly `headers` (filtered, plus host)."""
    if "#" in url:  # urlsplit would cut the key there; '#' in a key must be sent as %23
        raise ValueError("COS signing: URL contains '#'; percent-encode it in the key")
    parts = urlsplit(url)
    path = parts.path or "/"
    if any(seg in (".", "..") for seg in path.split("/")):
        # requests/urllib3 remove dot segments before sending, so the signature would cover a
        # path the server never sees. Encode such segments (e.g. '.' as %2E) in the URL.
        raise ValueError(f"COS signing: path {path!r} has '.' or '..' segments that HTTP clients rewrite")
    params, param_list = _join(_params(parts.query))
    hdrs, header_list = _join(_headers(url, headers, header_filter))
    # UriPathname is the DECODED path ('+' stays '+': it is literal in a path).
    return f"{method.lower()}\n{unquote(path)}\n{params}\n{hdrs}\n", header_list, param_list


def sign_key(secret_key: str, key_time: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), key_time.encode("utf-8"), hashlib.sha1).hexdigest()


def string_to_sign(key_time: str, http_string: str) -> str:
    return f"sha1\n{key_time}\n{hashlib.sha1(http_string.encode('utf-8')).hexdigest()}\n"


def sign(method: str, url: str, headers: Mapping[str, str], *, credentials: Credentials, key_time: str,
         header_filter: Callable[[str], bool] = sdk_header_filter) -> dict[str, str]:
    """Return the headers to add: Authorization and, with a session token, x-cos-security-token
    (signed, as the SDK does, since it matches ``x-cos-*``).

    `url` is final: path percent-encoded as sent (it is decoded for signing), query as sent
    (form-decoded for signing; encode a literal '+' as %2B). Headers passing `header_filter`
    are signed, plus 'host' from the URL unless given; the caller must send them unchanged.
    `key_time` is ``"start;end"`` (see key_time()).
    """
    added: dict[str, str] = {}
    # Empty token means "no token": an empty header would fail authentication.
    if credentials.token:
        added[TOKEN_HEADER] = credentials.token
    to_sign = {k: v for k, v in headers.items() if k.lower() not in _COMPUTED_HEADERS}
    to_sign.update(added)
    hs, header_list, param_list = http_string(method, url, to_sign, lambda n: n == TOKEN_HEADER or header_filter(n))
    signature = hmac.new(sign_key(credentials.secret_key, key_time).encode("ascii"),
                         string_to_sign(key_time, hs).encode("utf-8"), hashlib.sha1).hexdigest()
    added["Authorization"] = (
        f"q-sign-algorithm=sha1&q-ak={credentials.secret_id}&q-sign-time={key_time}&q-key-time={key_time}"
        f"&q-header-list={header_list}&q-url-param-list={param_list}&q-signature={signature}"
    )
    return added
