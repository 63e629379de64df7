"""OCI API request signing (draft-cavage-http-signatures-08, rsa-sha256).

Pure functions: no I/O, no clock (the caller passes the Date value), no imports from this package,
so the signer can be checked byte for byte against the published vectors and against the Python
SDK's ``oci.signer.Signer`` (tests/unit/test_oci_signer.py). Where the docs and the SDK differ,
the SDK wins: it is what OCI's endpoints are tested with. RSA PKCS#1 v1.5 is deterministic, so
equal signing strings give byte-identical signatures.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

EMPTY_SHA256_B64: str = base64.b64encode(hashlib.sha256(b"").digest()).decode()

_GENERIC_HEADERS = ("date", "(request-target)", "host")
_BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# What the SDK sends when the caller set no content type (it injects it on every request).
_DEFAULT_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class ApiKey:
    tenancy: str
    user: str
    fingerprint: str
    private_key_pem: str | bytes = field(repr=False)
    passphrase: bytes | None = field(default=None, repr=False)

    @property
    def key_id(self) -> str:
        return f"{self.tenancy}/{self.user}/{self.fingerprint}"


def quote_path_segment(value: str) -> str:
    """Encode a path parameter (namespace, bucket, object name) as the SDK does (strict encoding:
    '/' too). quote() never encodes unreserved characters and writes uppercase hex, which is the
    form requests/urllib3 leave alone; any other spelling is rewritten on the way out and the
    signed (request-target) would no longer match. Names '.' and '..' cannot be sent safely at all:
    even the SDK's '%2E' is turned back into '.' by requests."""
    return quote(value, safe="")


@functools.lru_cache(maxsize=8)
def _load_private_key(pem: bytes, passphrase: bytes | None) -> rsa.RSAPrivateKey:
    # Parsing an RSA key costs far more than signing with it; callers sign many requests per key.
    key = serialization.load_pem_private_key(pem, passphrase)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"OCI API keys are RSA keys, got {type(key).__name__}")
    return key


def _private_key(pem: str | bytes, passphrase: bytes | None) -> rsa.RSAPrivateKey:
    return _load_private_key(pem.encode("ascii") if isinstance(pem, str) else bytes(pem), passphrase)


def fingerprint(private_key_pem: str | bytes, passphrase: bytes | None = None) -> str:
    """The key's fingerprint as the console shows it: MD5 of the DER SubjectPublicKeyInfo,
    i.e. ``openssl rsa -pubout -outform DER | openssl md5 -c``."""
    der = _private_key(private_key_pem, passphrase).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


def body_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def _request_target(method: str, url: str) -> str:
    # requests' PreparedRequest.path_url: the path (or '/') and the query, verbatim. No
    # re-encoding here: the server sees the bytes on the request line, so those are signed.
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


def signing_string(names: list[str], method: str, url: str, headers: Mapping[str, str]) -> str:
    """One ``name: value`` line per listed header, in order, joined by '\\n' (no trailing newline).
    Values are used as they are: the SDK neither trims nor folds them."""
    lower = {k.lower(): v for k, v in headers.items()}
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"{name}: {_request_target(method, url)}")
        elif name == "host" and "host" not in lower:
            lines.append(f"host: {urlsplit(url).netloc}")
        elif name in lower:
            lines.append(f"{name}: {lower[name]}")
        else:
            raise KeyError(f"signed header {name!r} missing from the request")
    return "\n".join(lines)


def sign(method: str, url: str, headers: Mapping[str, str], body: bytes | None, *, key: ApiKey, date: str,
         with_body_headers: bool | None = None) -> dict[str, str]:
    """Return the headers to add: date, host, for body-signing requests x-content-sha256,
    content-length and (when the caller set none) content-type, and Authorization.

    GET/HEAD/DELETE sign ``date (request-target) host``; POST/PUT/PATCH also ``content-length
    content-type x-content-sha256``, unless with_body_headers=False: Object Storage's PutObject and
    UploadPart, which the SDK calls with enforce_content_headers=False so a streamed body need not
    be hashed first. `url` is signed verbatim (see quote_path_segment); `date` is an RFC 1123 GMT
    string (the server allows 5 minutes of skew). `body` None means an empty body.
    """
    method = method.upper()
    if with_body_headers is None:
        with_body_headers = method in _BODY_METHODS
    # Only content-type and host are taken from the caller; the headers computed below replace
    # the caller's copies (e.g. stale ones from a retried request), which the SDK would trust.
    caller = {k.lower(): v for k, v in headers.items()}
    # The SDK signs the URL's netloc and also sends it as Host. Return it too: an HTTP client
    # would otherwise drop an explicit default port (":443") from Host and break the signature.
    added = {"date": date, "host": caller.get("host", urlsplit(url).netloc)}
    names = list(_GENERIC_HEADERS)
    if with_body_headers:
        data = body or b""
        added["x-content-sha256"] = body_sha256(data)
        added["content-length"] = str(len(data))
        if "content-type" not in caller:
            added["content-type"] = _DEFAULT_CONTENT_TYPE
        names += _BODY_HEADERS
    text = signing_string(names, method, url, {**caller, **added})
    private = _private_key(key.private_key_pem, key.passphrase)
    signature = base64.b64encode(private.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()
    # Parameter order is free; this is the order of the docs and the Go SDK.
    added["Authorization"] = (f'Signature version="1",keyId="{key.key_id}",algorithm="rsa-sha256",'
                              f'headers="{" ".join(names)}",signature="{signature}"')
    return added


_PARAM = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')


def parse_authorization(value: str) -> dict[str, str]:
    """The parameters of an ``Authorization: Signature k="v",...`` header (order-free)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != "Signature":
        raise ValueError(f"not an HTTP Signature Authorization header: {value[:40]!r}")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            raise ValueError(f"malformed Signature parameters at {rest[pos:pos + 40]!r}")
        params[m.group(1)] = m.group(2)
        pos = m.end()
    return params


def verify(method: str, url: str, headers: Mapping[str, str], public_key_pem: bytes) -> bool:
    """Server side: recompute the signing string from the headers the Authorization lists, as
    received, and check the RSA signature. The caller still checks the keyId, the Date skew and,
    when x-content-sha256 is signed, that it matches the body received."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        params = parse_authorization(lower.get("authorization", ""))
        names = params.get("headers", "date").split()
        if params.get("algorithm") != "rsa-sha256" or params.get("version", "1") != "1":
            return False
        # A signature over less than this would let date, path or host be replayed or swapped.
        if not set(_GENERIC_HEADERS) <= set(names):
            return False
        text = signing_string(names, method, url, lower)
        public = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(public, rsa.RSAPublicKey):
            return False
        public.verify(base64.b64decode(params["signature"], validate=True), text.encode("utf-8"),
                      padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, KeyError, InvalidSignature):
        return False
    return True
