"""OSS V1/V4 signing: published vectors, and oss2 + alibabacloud-oss-v2 as oracles.

Both SDKs are imported unconditionally: in CI a missing oracle must fail the run, not quietly
skip it. Set OBJECTCOPY_ALLOW_MISSING_ORACLES=1 to skip the oracle tests locally.

Known SDK differences the oracle comparisons work around (see also provider/signing/oss.py):
- V1 with a token: oss2 sends and signs x-oss-security-token; alibabacloud-oss-v2 sends an
  unsigned `security-token` header. We follow oss2; v2 gets the token as a plain header.
- V1 sub-resources: each SDK has its own whitelist (v2 adds per-operation ones through
  SigningContext.sub_resource). We sign the union; oss2-only ones are checked against oss2 only.
- V4 Authorization: oss2 writes `Credential=.., Signature=.., AdditionalHeaders=..` (with spaces,
  additional headers ordered by first letter only) and lists additional headers the request
  does not carry; v2 writes our form. Against oss2 only the signature is compared.
- copy source: oss2 encodes '/' in the key as %2F, v2 keeps it.
"""

from __future__ import annotations

import email.utils
import hashlib
import importlib
import inspect
import os
import pkgutil
import random
import re
import string
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import quote, unquote, urlsplit

import pytest

from pulumi_objectcopy.signing import oss
from pulumi_objectcopy.signing.oss import (
    UNSIGNED_PAYLOAD,
    V1_SUBRESOURCES,
    Credentials,
    copy_source,
    quote_key,
    quote_query,
    sign_v1,
    sign_v4,
)

try:
    import oss2
    import oss2.auth
    import oss2.credentials
    import oss2.http
except ImportError:
    if os.environ.get("OBJECTCOPY_ALLOW_MISSING_ORACLES") != "1":
        raise
    oss2 = None  # type: ignore[assignment]

try:
    import alibabacloud_oss_v2 as oss_v2
    import alibabacloud_oss_v2.operations  # noqa: F401 - registers the operations the signer test calls
    from alibabacloud_oss_v2 import serde_utils
    from alibabacloud_oss_v2.credentials import StaticCredentialsProvider
    from alibabacloud_oss_v2.signer import SignerV1, SignerV4
    from alibabacloud_oss_v2.types import HttpClient, HttpRequest, SigningContext
except ImportError:
    if os.environ.get("OBJECTCOPY_ALLOW_MISSING_ORACLES") != "1":
        raise
    oss_v2 = None  # type: ignore[assignment]
    HttpClient = object  # type: ignore[assignment,misc]

needs_oss2 = pytest.mark.skipif(oss2 is None, reason="oss2 oracle not installed")
needs_v2 = pytest.mark.skipif(oss_v2 is None, reason="alibabacloud-oss-v2 oracle not installed")


# --- published vectors

def test_doc_v1_example() -> None:
    # help.aliyun.com "Include a V1 signature in the Authorization header" example.
    creds = Credentials("44CF9590006BF252F707", "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV")
    headers = {"Content-MD5": "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=", "Content-Type": "text/html",
               "X-OSS-Meta-Author": "foo@bar.com", "X-OSS-Magic": "abracadabra"}
    date = "Thu, 17 Nov 2005 18:49:58 GMT"
    out = sign_v1("PUT", "oss-example", "nelson", {}, headers, credentials=creds, date=date)
    assert out == {"Date": date, "Authorization": "OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA="}
    lowered = {k.lower(): v for k, v in headers.items()}
    assert oss._v1_string_to_sign("PUT", "oss-example", "nelson", {}, lowered, date) == (
        "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\n"
        "x-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson")


# aliyun/alibabacloud-oss-python-sdk-v2 tests/unit/signer/test_v1.py (header auth cases).
V2_V1_HEADERS = {"Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==", "Content-Type": "text/html",
                 "x-oss-meta-author": "alice", "x-oss-meta-magic": "abracadabra",
                 "x-oss-date": "Wed, 28 Dec 2022 10:27:41 GMT"}
V2_V1_STS = ("PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\n"
             "x-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n")
V2_V1_DATE_ONLY = {"x-oss-date": "Wed, 28 Dec 2022 10:27:41 GMT"}
V2_V1_STS_GET = "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n"


@pytest.mark.parametrize(("method", "key", "query", "headers", "sts", "sig"), [
    ("PUT", "nelson", {}, V2_V1_HEADERS, V2_V1_STS + "/examplebucket/nelson", "kSHKmLxlyEAKtZPkJhG9bZb5k7M="),
    ("PUT", "nelson", {"acl": None}, V2_V1_HEADERS, V2_V1_STS + "/examplebucket/nelson?acl",
     "/afkugFbmWDQ967j1vr6zygBLQk="),
    ("GET", None, {"resourceGroup": None, "non-resousce": "null"}, V2_V1_DATE_ONLY,
     V2_V1_STS_GET + "/examplebucket/?resourceGroup", "vkQmfuUDyi1uDi3bKt67oemssIs="),
    ("GET", None, {"resourceGroup": None, "acl": None}, V2_V1_DATE_ONLY,
     V2_V1_STS_GET + "/examplebucket/?acl&resourceGroup", "x3E5TgOvl/i7PN618s5mEvpJDYk="),
])
def test_v2_sdk_v1_vectors(method: str, key: str | None, query: dict, headers: dict, sts: str, sig: str) -> None:
    out = sign_v1(method, "examplebucket", key, query, headers, credentials=Credentials("ak", "sk"),
                  date="Sat, 16 Dec 2023 16:20:57 GMT")
    # x-oss-date stands in for Date: no Date header is added.
    assert out == {"Authorization": f"OSS ak:{sig}"}
    lowered = {k.lower(): v for k, v in headers.items()}
    assert oss._v1_string_to_sign(method, "examplebucket", key, query, lowered, headers["x-oss-date"]) == sts


# aliyun/alibabacloud-oss-python-sdk-v2 tests/unit/signer/test_v4.py (header auth cases).
V2_V4_QUERY = {"param1": "value1", "+param1": "value3", "|param1": "value4", "+param2": "", "|param2": "",
               "param2": ""}
V2_V4_HEADERS = {"x-oss-head1": "value", "abc": "value", "ZAbc": "value", "XYZ": "value",
                 "content-type": "text/plain", "x-oss-content-sha256": "UNSIGNED-PAYLOAD"}


@pytest.mark.parametrize(("t", "token", "additional", "scope_date", "extra", "sig"), [
    (1702743657, None, (), "20231216", "",
     "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"),
    (1702784856, "token", (), "20231217", "",
     "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"),
    (1702747512, None, ("ZAbc", "abc"), "20231216", ",AdditionalHeaders=abc;zabc",
     "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"),
    # Default-signed and absent names are dropped from the list.
    (1702747512, None, ("x-oss-no-exist", "ZAbc", "x-oss-head1", "abc"), "20231216", ",AdditionalHeaders=abc;zabc",
     "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"),
])
def test_v2_sdk_v4_vectors(t: int, token: str | None, additional: tuple, scope_date: str, extra: str,
                           sig: str) -> None:
    now = datetime.fromtimestamp(t, timezone.utc)
    out = sign_v4("PUT", "bucket", "1234+-/123/1.txt", V2_V4_QUERY, V2_V4_HEADERS, now=now,
                  credentials=Credentials("ak", "sk", token), region="cn-hangzhou", additional_headers=additional)
    assert out["Authorization"] == (f"OSS4-HMAC-SHA256 Credential=ak/{scope_date}/cn-hangzhou/oss/aliyun_v4_request"
                                    f"{extra},Signature={sig}")
    assert out["x-oss-date"] == now.strftime("%Y%m%dT%H%M%SZ")
    assert out["x-oss-content-sha256"] == UNSIGNED_PAYLOAD
    assert out.get("x-oss-security-token") == token


def test_v2_sdk_v4_canonical_request() -> None:
    headers = {k.lower(): v for k, v in V2_V4_HEADERS.items()} | {"x-oss-date": "20231216T162057Z"}
    cr = oss._v4_canonical_request("PUT", "bucket", "1234+-/123/1.txt", V2_V4_QUERY, headers, [])
    assert cr == ("PUT\n/bucket/1234%2B-/123/1.txt\n"
                  "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n"
                  "content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\n"
                  "x-oss-head1:value\n\n\nUNSIGNED-PAYLOAD")
    digest = hashlib.sha256(cr.encode()).hexdigest()
    assert digest.startswith("f4613657") and digest.endswith("04c4")  # apis.md: STS hash f4613657…04c4


# --- unit tests

NOW = datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone.utc)
DATE = "Thu, 29 Feb 2024 23:59:59 GMT"
CREDS = Credentials("AK", "SK")


def test_credentials_repr_hides_secrets() -> None:
    text = repr(Credentials("AKID", "s3cr3t", "t0ken"))
    assert "AKID" in text and "s3cr3t" not in text and "t0ken" not in text


def test_bad_time_and_region_rejected() -> None:
    for now in (datetime(2024, 1, 1), datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=8)))):
        with pytest.raises(ValueError, match="UTC"):
            sign_v4("GET", "b", "k", {}, {}, credentials=CREDS, region="cn-hangzhou", now=now)
    with pytest.raises(ValueError, match="region id"):
        sign_v4("GET", "b", "k", {}, {}, credentials=CREDS, region="oss-cn-hangzhou", now=NOW)


def test_key_needs_bucket_and_duplicate_headers_rejected() -> None:
    with pytest.raises(ValueError, match="bucket"):
        sign_v1("GET", None, "k", {}, {}, credentials=CREDS, date=DATE)
    with pytest.raises(ValueError, match="twice"):
        sign_v4("GET", "b", "k", {}, {"x-oss-meta-a": "1", "X-Oss-Meta-A": "2"}, credentials=CREDS,
                region="cn-hangzhou", now=NOW)


def test_token_signed_and_empty_token_is_none() -> None:
    tok = Credentials("AK", "SK", "tok/en+==")
    out1 = sign_v1("GET", "b", "k", {}, {}, credentials=tok, date=DATE)
    assert out1["x-oss-security-token"] == "tok/en+=="
    assert out1["Authorization"] != sign_v1("GET", "b", "k", {}, {}, credentials=CREDS, date=DATE)["Authorization"]
    assert "x-oss-security-token:tok/en+==\n" in oss._v1_string_to_sign(
        "GET", "b", "k", {}, {"x-oss-security-token": "tok/en+=="}, DATE)
    out4 = sign_v4("GET", "b", "k", {}, {}, credentials=tok, region="cn-hangzhou", now=NOW)
    assert out4["x-oss-security-token"] == "tok/en+=="
    for creds in (Credentials("AK", "SK", ""), CREDS):
        assert set(sign_v1("GET", "b", "k", {}, {}, credentials=creds, date=DATE)) == {"Date", "Authorization"}
        assert set(sign_v4("GET", "b", "k", {}, {}, credentials=creds, region="cn-hangzhou", now=NOW)) == {
            "x-oss-date", "x-oss-content-sha256", "Authorization"}


def test_stale_computed_headers_replaced() -> None:
    stale1 = {"Authorization": "OSS x:y", "date": "Mon, 01 Jan 2000 00:00:00 GMT", "X-Oss-Security-Token": "old"}
    assert sign_v1("GET", "b", "k", {}, stale1, credentials=CREDS, date=DATE) == \
        sign_v1("GET", "b", "k", {}, {}, credentials=CREDS, date=DATE)
    stale4 = {"authorization": "x", "X-OSS-Date": "20000101T000000Z", "x-oss-content-sha256": "abc",
              "x-oss-security-token": "old"}
    assert sign_v4("GET", "b", "k", {}, stale4, credentials=CREDS, region="cn-hangzhou", now=NOW) == \
        sign_v4("GET", "b", "k", {}, {}, credentials=CREDS, region="cn-hangzhou", now=NOW)


def test_v1_resource_and_subresources() -> None:
    sts = oss._v1_string_to_sign(
        "put", "b", "a b/ü+%?#.txt", {"uploadId": "u/1", "partNumber": "3", "prefix": "x", "marker": ""},
        {"content-type": "t", "x-oss-meta-b": "2", "x-oss-meta-a": "1", "range": "bytes=0-1"}, DATE)
    assert sts == (f"PUT\n\nt\n{DATE}\nx-oss-meta-a:1\nx-oss-meta-b:2\n/b/a b/ü+%?#.txt?partNumber=3&uploadId=u/1")
    assert oss._v1_string_to_sign("GET", None, None, {"prefix": "p"}, {}, DATE).endswith(f"{DATE}\n/")
    assert oss._v1_string_to_sign("GET", "b", None, {"uploads": ""}, {}, DATE).endswith("\n/b/?uploads")


def test_v4_query_and_uri() -> None:
    cr = oss._v4_canonical_request("GET", "b", "/a b/ü~", {"prefix": "a/b c", "uploads": None, "max-keys": "5"},
                                   {"range": "bytes=0-1", "content-md5": "m"}, [])
    lines = cr.split("\n")
    assert lines[1] == "/b//a%20b/%C3%BC~"
    assert lines[2] == "max-keys=5&prefix=a%2Fb%20c&uploads"
    assert lines[3:5] == ["content-md5:m", ""]  # range is not signed unless listed as additional


def test_quoting_and_copy_source() -> None:
    assert quote_key("/a b/ü+?#%~") == "/a%20b/%C3%BC%2B%3F%23%25~"
    assert quote_query("a/b +=&ü~") == "a%2Fb%20%2B%3D%26%C3%BC~"
    assert copy_source("src", "a b/ü+&=?.txt", "CAEQ/x+") == "/src/a%20b/%C3%BC%2B%26%3D%3F.txt?versionId=CAEQ/x+"
    assert copy_source("src", "/lead//k") == "/src//lead//k"
    assert copy_source("src", "k", "") == "/src/k?versionId="


# --- generated requests

ORACLE_CASES = 400
SEED = 20240607
KEY_PIECES = ["a", "b c", "ü", "日本語", "+", "%", "%2B", "%2F", "?", "#", "=", "&", "~", ".", "..", ";", ":",
              "@", "!", "$", "'", "(", ")", "*", ",", "[x]", "é é", "a+b=c&d", "😀", "|", "\\", "^"]
B64 = string.ascii_letters + string.digits + "+/="
ALNUM = string.ascii_letters + string.digits


def _token(rng: random.Random, alphabet: str = B64, n: tuple[int, int] = (8, 60)) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(*n)))


def _key(rng: random.Random) -> str:
    key = "/".join("".join(rng.choice(KEY_PIECES) for _ in range(rng.randint(1, 3)))
                   for _ in range(rng.randint(1, 4)))
    return "/" * rng.choice([0, 0, 0, 1, 2]) + key


def _http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt, usegmt=True)


def _when(rng: random.Random) -> datetime:
    return datetime(2015, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 12 * 365 * 86400))


# Sub-resources that only oss2 signs (v2 would need them in SigningContext.sub_resource).
OSS2_ONLY = ["x-oss-process", "x-oss-traffic-limit", "objectInfo", "link", "x-oss-request-payer"]


def _query(rng: random.Random, level: str) -> dict[str, str | None]:
    pools = {
        "service": [lambda: {"prefix": _key(rng)}, lambda: {"marker": _token(rng)}, lambda: {"max-keys": "100"},
                    lambda: {"regionList": None}, lambda: {"resourceGroup": None}],
        "bucket": [lambda: {"uploads": rng.choice([None, ""])}, lambda: {"acl": None}, lambda: {"tagging": ""},
                   lambda: {"versions": None, "key-marker": _key(rng), "version-id-marker": _token(rng)},
                   lambda: {"list-type": "2", "prefix": _key(rng), "continuation-token": _token(rng),
                            "delimiter": "/", "encoding-type": "url"},
                   lambda: {"lifecycle": None}, lambda: {"cors": ""}, lambda: {"delete": None},
                   lambda: {"marker": _key(rng), "max-keys": str(rng.randint(1, 1000))}],
        "object": [lambda: {"uploads": rng.choice([None, ""])},
                   lambda: {"partNumber": str(rng.randint(1, 10000)), "uploadId": _token(rng, ALNUM, (32, 32))},
                   lambda: {"uploadId": _token(rng, ALNUM, (32, 32))}, lambda: {"versionId": _token(rng)},
                   lambda: {"acl": None}, lambda: {"tagging": rng.choice([None, ""])}, lambda: {"symlink": None},
                   lambda: {"restore": None}, lambda: {"append": None, "position": str(rng.randint(0, 10**9))},
                   lambda: {"response-content-type": "text/plain; charset=utf-8",
                            "response-content-disposition": f'attachment; filename="{_key(rng)}"'},
                   lambda: {"response-cache-control": "no-cache", "response-expires": "0"},
                   lambda: {"x-custom": _key(rng), _key(rng): _token(rng)},
                   lambda: {rng.choice(OSS2_ONLY): rng.choice([None, _token(rng)])}],
    }
    query: dict[str, str | None] = {}
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        query.update(rng.choice(pools[level])())
    return query


COPY_HEADERS = {
    "x-oss-copy-source": lambda rng: copy_source(rng.choice(["src", "src-bucket-1"]), _key(rng).lstrip("/") or "k",
                                                 rng.choice([None, _token(rng, B64 + "._-")])),
    "x-oss-metadata-directive": lambda rng: rng.choice(["COPY", "REPLACE"]),
    "x-oss-tagging-directive": lambda rng: rng.choice(["Copy", "Replace"]),
    "x-oss-copy-source-if-match": lambda rng: '"' + _token(rng, "0123456789ABCDEF", (32, 32)) + '"',
    "x-oss-copy-source-if-none-match": lambda rng: '"' + _token(rng, "0123456789abcdef", (32, 32)) + '"',
    "x-oss-copy-source-if-modified-since": lambda rng: _http_date(_when(rng)),
    "x-oss-copy-source-if-unmodified-since": lambda rng: _http_date(_when(rng)),
    "x-oss-copy-source-range": lambda rng: f"bytes=0-{rng.randint(1, 2**30)}",
    "x-oss-forbid-overwrite": lambda rng: rng.choice(["true", "false"]),
    "x-oss-server-side-encryption": lambda rng: rng.choice(["AES256", "KMS", "SM4"]),
    "x-oss-object-acl": lambda rng: rng.choice(["private", "public-read", "default"]),
    "x-oss-storage-class": lambda rng: rng.choice(["Standard", "IA", "Archive"]),
    "x-oss-tagging": lambda rng: "a=1&b=c%20d",
    "x-oss-meta-author": lambda rng: rng.choice(["alice", "a  b", "x" * 100, ""]),
    "X-Oss-Meta-CamelCase": lambda rng: _token(rng),
}
OTHER_HEADERS = {
    "Content-Type": lambda rng: rng.choice(["application/octet-stream", "text/plain; charset=utf-8", "image/jpeg"]),
    "Content-MD5": lambda rng: _token(rng, B64, (24, 24)),
    "Range": lambda rng: f"bytes={rng.randint(0, 99)}-{rng.randint(100, 10**9)}",
    "Cache-Control": lambda rng: rng.choice(["no-cache", "max-age=0, private", ""]),
    "Content-Disposition": lambda rng: f'attachment; filename="{_token(rng, ALNUM)}"',
    "If-Match": lambda rng: '"' + _token(rng, "0123456789abcdef", (32, 32)) + '"',
    "User-Agent": lambda rng: "objectcopy/0.1",
    "Content-Length": lambda rng: str(rng.randint(0, 10**6)),
}
# Names a V4 caller may list as additional: present, absent, always-signed, mixed case.
ADDITIONAL_POOL = ["Range", "range", "cache-control", "Content-Disposition", "if-match", "user-agent",
                   "content-length", "If-None-Match", "x-oss-no-exist", "x-oss-meta-author", "Content-Type", "host"]
STALE = {"v1": {"Authorization": "OSS old:sig", "Date": "Mon, 01 Jan 2001 00:00:00 GMT"},
         "v4": {"Authorization": "OSS4-HMAC-SHA256 stale", "X-Oss-Date": "20000101T000000Z",
                "x-oss-content-sha256": "stale"}}


def _headers(rng: random.Random, version: str) -> dict[str, str]:
    pool = COPY_HEADERS | OTHER_HEADERS
    names = rng.sample(sorted(pool), rng.randint(0, len(pool)))
    headers = {rng.choice([n, n.lower(), n.upper()]): pool[n](rng) for n in names}
    if version == "v4" and rng.random() < 0.3:
        headers["Host"] = "bucket.oss-cn-hangzhou.aliyuncs.com"
    if version == "v1" and rng.random() < 0.2:  # x-oss-date stands in for Date under V1
        headers[rng.choice(["x-oss-date", "X-OSS-Date"])] = _http_date(_when(rng))
    if rng.random() < 0.08:  # stale values from a retry: replaced, not signed
        headers.update(STALE[version])
    return headers


def _case(i: int, version: str) -> dict:
    rng = random.Random(f"{SEED}-{version}-{i}")
    level = rng.choices(["service", "bucket", "object"], [1, 3, 8])[0]
    bucket = None if level == "service" else rng.choice(["examplebucket", "b-1", "oss-example", "x" * 63])
    key = _key(rng) if level == "object" else None
    token = _token(rng, B64, (100, 400)) if rng.random() < 0.4 else rng.choice([None, None, ""])
    return dict(
        method=rng.choice(["GET", "HEAD", "PUT", "POST", "DELETE"]), bucket=bucket, key=key,
        query=_query(rng, level), headers=_headers(rng, version),
        credentials=Credentials("LTAI" + _token(rng, ALNUM, (20, 20)), _token(rng, ALNUM, (30, 30)), token),
        when=_when(rng), region=rng.choice(["cn-hangzhou", "cn-shanghai", "ap-southeast-1", "us-west-1",
                                            "eu-central-1", "cn-hongkong"]),
        additional=rng.sample(ADDITIONAL_POOL, rng.choice([0, 0, 1, 2, 4])) if version == "v4" else [],
    )


V1_COMPUTED = {"authorization", "date", "x-oss-security-token"}
V4_COMPUTED = {"authorization", "x-oss-date", "x-oss-content-sha256", "x-oss-security-token"}


def _sent(case: dict, computed: set[str], added: dict[str, str]) -> dict[str, str]:
    """The request as it goes out: the caller's headers minus stale computed ones, plus ours."""
    return {k: v for k, v in case["headers"].items() if k.lower() not in computed} | added


def _url(case: dict) -> str:
    host = "oss-cn-hangzhou.aliyuncs.com"
    if case["bucket"] is not None:
        host = f"{case['bucket']}.{host}"
    url = f"https://{host}/{quote(case['key'] or '', safe='/')}"
    # None renders as a bare name, '' as 'name=': both SDKs treat the two alike.
    pairs = [quote(k, safe="") + ("" if v is None else "=" + quote(v, safe="")) for k, v in case["query"].items()]
    return url + ("?" + "&".join(pairs) if pairs else "")


def _v2_subresources() -> set[str]:
    """What the v2 client passes as SigningContext.sub_resource: each operation's own list."""
    found: set[str] = set()
    for mod in pkgutil.iter_modules(oss_v2.operations.__path__):
        src = inspect.getsource(importlib.import_module(f"{oss_v2.operations.__name__}.{mod.name}"))
        for items in re.findall(r"""['"]sub-resource['"]\s*:\s*\[([^\]]*)\]""", src):
            found |= set(re.findall(r"""['"]([^'"]+)['"]""", items))
    return found


def _oss2_v1(case: dict) -> dict[str, str]:
    c: Credentials = case["credentials"]
    auth = oss2.StsAuth(c.access_key_id, c.access_key_secret, c.token) if c.token else \
        oss2.Auth(c.access_key_id, c.access_key_secret)
    req = oss2.http.Request(case["method"], _url(case), params=dict(case["query"]),
                            headers=_sent(case, V1_COMPUTED, {}))
    with mock.patch("oss2.auth.utils.http_date", return_value=_http_date(case["when"])):
        auth._sign_request(req, case["bucket"] or "", case["key"] or "")
    return dict(req.headers)


def _v2_context(case: dict, headers: dict[str, str], token: str | None, **ctx: object) -> SigningContext:
    c: Credentials = case["credentials"]
    creds = StaticCredentialsProvider(c.access_key_id, c.access_key_secret, token).get_credentials()
    return SigningContext(bucket=case["bucket"], key=case["key"], signing_time=case["when"], credentials=creds,
                          request=HttpRequest(case["method"], _url(case), headers=headers), **ctx)


V2_OP_SUBRESOURCES: set[str] = _v2_subresources() if oss_v2 is not None else set()


@needs_oss2
@needs_v2
@pytest.mark.parametrize("i", range(ORACLE_CASES), ids=lambda i: f"v1case{i:03d}")
def test_v1_matches_oss2_and_v2(i: int) -> None:
    case = _case(i, "v1")
    c: Credentials = case["credentials"]
    date = _http_date(case["when"])
    ours = sign_v1(case["method"], case["bucket"], case["key"], case["query"], case["headers"],
                   credentials=c, date=date)

    theirs = _oss2_v1(case)
    assert ours["Authorization"] == theirs["authorization"], case
    assert ours.get("x-oss-security-token") == theirs.get("x-oss-security-token")
    has_oss_date = any(k.lower() == "x-oss-date" for k in case["headers"])
    assert ours.get("Date") == (None if has_oss_date else theirs["date"])

    if set(case["query"]) & set(OSS2_ONLY):
        return  # v2 signs these only when its operation lists them; oss2 always does
    # v2 sends its V1 token as an unsigned `security-token` header, so give it ours as a header.
    headers = _sent(case, V1_COMPUTED, {"x-oss-security-token": c.token} if c.token else {})
    context = _v2_context(case, headers, None)
    context.sub_resource = [k for k in case["query"] if k in V2_OP_SUBRESOURCES]
    SignerV1().sign(context)
    assert ours["Authorization"] == context.request.headers["Authorization"], context.string_to_sign


@needs_oss2
@needs_v2
@pytest.mark.parametrize("i", range(ORACLE_CASES), ids=lambda i: f"v4case{i:03d}")
def test_v4_matches_v2_and_oss2(i: int) -> None:
    case = _case(i, "v4")
    c: Credentials = case["credentials"]
    ours = sign_v4(case["method"], case["bucket"], case["key"], case["query"], case["headers"], credentials=c,
                   region=case["region"], now=case["when"], additional_headers=case["additional"])

    headers = _sent(case, V4_COMPUTED, {})
    context = _v2_context(case, headers, c.token, product="oss", region=case["region"],
                          additional_headers=set(case["additional"]))
    SignerV4().sign(context)
    assert ours["Authorization"] == context.request.headers["Authorization"], case
    for name in ("x-oss-date", "x-oss-content-sha256", "x-oss-security-token"):
        assert ours.get(name) == context.request.headers.get(name)

    # oss2 lists additional headers the request lacks; give it only those present, as v2 keeps.
    lowered = {k.lower(): v for k, v in headers.items()}
    present = sorted({n.lower() for n in case["additional"]} & {k for k, v in lowered.items() if v})
    req = oss2.http.Request(case["method"], _url(case), headers=headers, region=case["region"], product="oss",
                            params={k: v or "" for k, v in case["query"].items()})
    fixed = type("FixedDatetime", (datetime,), {"utcnow": classmethod(lambda cls: case["when"].replace(tzinfo=None))})
    # ProviderAuthV4, not StsAuth: StsAuth drops the additional-headers argument.
    auth = oss2.auth.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        c.access_key_id, c.access_key_secret, c.token or ""))
    with mock.patch.object(oss2.auth, "datetime", fixed):
        auth._sign_request(req, case["bucket"] or "", case["key"] or "", present)
    theirs = req.headers["authorization"]
    assert re.search(r"Signature=([0-9a-f]{64})", theirs)[1] == ours["Authorization"].rsplit("Signature=", 1)[1]
    listed = re.search(r"AdditionalHeaders=([^,]*)", theirs)
    assert set(listed[1].split(";") if listed else []) == set(
        re.search(r"AdditionalHeaders=([^,]*)", ours["Authorization"])[1].split(";")
        if "AdditionalHeaders=" in ours["Authorization"] else [])


@needs_oss2
@needs_v2
def test_v1_subresources_are_the_sdks_union() -> None:
    sdk = set(oss2.auth.ProviderAuth._subresource_key_set) | set(SignerV1._subresource_key_set) | V2_OP_SUBRESOURCES
    assert V1_SUBRESOURCES == sdk, (sorted(sdk - V1_SUBRESOURCES), sorted(V1_SUBRESOURCES - sdk))
    assert set(OSS2_ONLY) <= set(oss2.auth.ProviderAuth._subresource_key_set) - set(SignerV1._subresource_key_set) \
        - V2_OP_SUBRESOURCES


def test_oracle_cases_cover_the_brief() -> None:
    for version in ("v1", "v4"):
        cases = [_case(i, version) for i in range(ORACLE_CASES)]
        keys = " ".join(c["key"] or "" for c in cases)
        params = {k for c in cases for k in c["query"]}
        names = [{k.lower() for k in c["headers"]} for c in cases]
        assert {c["method"] for c in cases} == {"GET", "HEAD", "PUT", "POST", "DELETE"}
        assert sum(c["bucket"] is None for c in cases) > 15 and sum(c["key"] is None for c in cases) > 60
        assert sum(bool(c["credentials"].token) for c in cases) > 100
        assert any(c["credentials"].token == "" for c in cases)
        for piece in ("ü", " ", "+", "%", "%2F", "?", "#", "😀", " /", "/.."):
            assert piece in keys, piece
        assert any(c["key"] and c["key"].startswith("//") for c in cases)
        for p in ("uploads", "partNumber", "uploadId", "versionId", "acl", "tagging", "response-content-type",
                  "prefix", "marker", "max-keys", "continuation-token", "x-custom", *OSS2_ONLY):
            assert p in params, p
        for name in (*[n.lower() for n in COPY_HEADERS], "content-type", "content-md5"):
            assert sum(name in n for n in names) > 50, name
        assert any("?versionId=" in c["headers"].get("x-oss-copy-source", "") for c in cases)
        assert sum(any(s in c["headers"] for s in STALE[version]) for c in cases) > 10
    cases4 = [_case(i, "v4") for i in range(ORACLE_CASES)]
    assert sum("AdditionalHeaders=" in sign_v4(c["method"], c["bucket"], c["key"], c["query"], c["headers"],
                                               credentials=c["credentials"], region=c["region"], now=c["when"],
                                               additional_headers=c["additional"])["Authorization"]
               for c in cases4) > 50
    assert sum(any(k.lower() == "x-oss-date" for k in c["headers"]) for c in (_case(i, "v1") for i in range(400))) > 40


# --- copy source: each SDK's own construction

class _Captured(Exception):
    def __init__(self, request: object) -> None:
        self.request = request


@needs_oss2
@needs_v2
@pytest.mark.parametrize("i", range(200), ids=lambda i: f"src{i:03d}")
def test_copy_source_matches_sdks(i: int) -> None:
    rng = random.Random(f"{SEED}-src-{i}")
    bucket, key = rng.choice(["src", "a-b-1"]), _key(rng)
    vid = rng.choice([None, _token(rng, B64 + "._-")])
    ours = copy_source(bucket, key, vid)
    v2 = serde_utils.encode_copy_source(oss_v2.CopyObjectRequest(
        bucket="dst", key="k", source_bucket=bucket, source_key=key, source_version_id=vid))
    assert ours == v2

    captured: dict[str, str] = {}

    def capture(self: object, method: str, key: str, **kwargs: object) -> None:
        captured.update(kwargs["headers"])
        raise _Captured(None)

    b = oss2.Bucket(oss2.Auth("ak", "sk"), "https://oss-cn-hangzhou.aliyuncs.com", "dst")
    with mock.patch.object(oss2.Bucket, "_Bucket__do_object", capture), pytest.raises(_Captured):
        b.copy_object(bucket, key, "k", params={"versionId": vid} if vid is not None else None)
    # oss2 also encodes '/' in the key; the server decodes both forms to the same source.
    assert ours == captured["x-oss-copy-source"].replace("%2F", "/")
    assert unquote(urlsplit(ours).path) == f"/{bucket}/{key}"


# --- alibabacloud-oss-v2's real client: URL, copy source and signature on the wire

class _CaptureClient(HttpClient):  # type: ignore[misc,valid-type]
    def send(self, request: object, **kwargs: object) -> object:
        raise _Captured(request)  # stop before any network I/O

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


@needs_v2
@pytest.mark.parametrize("i", range(80), ids=lambda i: f"client{i:02d}")
def test_matches_v2_client_on_the_wire(i: int) -> None:
    rng = random.Random(f"{SEED}-client-{i}")
    version = rng.choice(["v1", "v4"])
    token = _token(rng) if version == "v4" and rng.random() < 0.5 else None  # v2's V1 token header is unsigned
    creds = Credentials("LTAI" + _token(rng, ALNUM, (20, 20)), _token(rng, ALNUM, (30, 30)), token)
    cfg = oss_v2.config.load_default()
    cfg.credentials_provider = StaticCredentialsProvider(creds.access_key_id, creds.access_key_secret, token)
    cfg.region, cfg.signature_version, cfg.http_client, cfg.retry_max_attempts = "cn-hangzhou", version, \
        _CaptureClient(), 1
    key, src_key, vid = _key(rng), _key(rng), rng.choice([None, _token(rng, B64 + "._-")])
    op = rng.choice(["copy", "part_copy", "init_mpu", "list", "get", "list_buckets"])
    bucket: str | None = "dst"
    if op == "copy":
        call = oss_v2.Client.copy_object, oss_v2.CopyObjectRequest(
            bucket="dst", key=key, source_bucket="src", source_key=src_key, source_version_id=vid,
            metadata_directive="REPLACE", tagging_directive="Copy", forbid_overwrite=True,
            if_match='"abc"', metadata={"Author": "a b"}, content_type="text/plain")
    elif op == "part_copy":
        call = oss_v2.Client.upload_part_copy, oss_v2.UploadPartCopyRequest(
            bucket="dst", key=key, part_number=7, upload_id=_token(rng, ALNUM), source_bucket="src",
            source_key=src_key, source_version_id=vid, source_range="bytes=0-99")
    elif op == "init_mpu":
        call = oss_v2.Client.initiate_multipart_upload, oss_v2.InitiateMultipartUploadRequest(bucket="dst", key=key)
    elif op == "list":
        call = oss_v2.Client.list_objects_v2, oss_v2.ListObjectsV2Request(
            bucket="dst", prefix=key, continuation_token=_token(rng), delimiter="/", max_keys=5)
        key = None
    elif op == "get":
        call = oss_v2.Client.get_object, oss_v2.GetObjectRequest(
            bucket="dst", key=key, version_id=_token(rng), response_content_disposition=f"attachment; x={key}")
    else:
        call = oss_v2.Client.list_buckets, oss_v2.ListBucketsRequest(prefix=key, marker=_token(rng))
        bucket = key = None
    with pytest.raises(Exception) as caught:
        call[0](oss_v2.Client(cfg), call[1])
    err: BaseException | None = caught.value
    while err is not None and not isinstance(err, _Captured):
        err = err.__cause__ or err.__context__
    assert err is not None, caught.value
    wire = err.request
    parts = urlsplit(wire.url)

    assert parts.path == "/" + ("" if key is None else quote_key(key))
    query: dict[str, str | None] = {}
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        query[unquote(name)] = unquote(value)
        assert pair == f"{quote_query(unquote(name))}={quote_query(unquote(value))}"  # our encoding is theirs
    if op in ("copy", "part_copy"):
        assert wire.headers["x-oss-copy-source"] == copy_source("src", src_key, vid)

    if version == "v4":
        headers = {k: v for k, v in wire.headers.items() if k.lower() not in V4_COMPUTED}
        now = datetime.strptime(wire.headers["x-oss-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        ours = sign_v4(wire.method, bucket, key, query, headers, credentials=creds, region="cn-hangzhou", now=now)
        assert ours.get("x-oss-security-token") == wire.headers.get("x-oss-security-token")
    else:
        headers = {k: v for k, v in wire.headers.items() if k.lower() not in V1_COMPUTED}
        ours = sign_v1(wire.method, bucket, key, query, headers, credentials=creds, date=wire.headers["Date"])
    assert ours["Authorization"] == wire.headers["Authorization"]
