"""COS signing (provider/signing/cos.py) against cos-python-sdk-v5's CosS3Auth on generated requests: any unicode
key, any query, header values with odd spacing. The oracle adapter is tests/unit/test_cos_signer.py's."""
from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from pulumi_objectcopy.signing.cos import Credentials, key_time, sign

from .strategies import odd_header_value, props, unicode_text

# As in tests/unit: a missing oracle fails the run, unless OBJECTCOPY_ALLOW_MISSING_ORACLES=1 asks to skip.
from tests.unit import test_cos_signer as unit  # noqa: E402
from tests.unit.test_cos_signer import UNSIGNED, _sdk_sign  # noqa: E402  (the oracle adapter)

if unit.qcloud_cos is None:
    pytest.skip("cos-python-sdk-v5 oracle not installed", allow_module_level=True)

SIGNED_NAMES = ["Content-Type", "Content-MD5", "Range", "If-Match", "If-None-Match", "Cache-Control",
                "Content-Disposition", "Content-Encoding", "Expires", "Origin", "Pic-Operations", "x-cos-meta-owner",
                "X-Cos-Meta-Note", "x-cos-copy-source", "x-cos-copy-source-range", "x-cos-metadata-directive",
                "x-cos-tagging", "x-ci-process"]
HEADER_NAMES = SIGNED_NAMES + [n for n in UNSIGNED if n.lower() != "authorization"]


def _enc(s: str) -> str:
    return quote(s, safe="-_.~")  # what the stores put in URLs (s3family.q)


def _sendable_key(key: str) -> bool:
    # '.' and '..' segments: requests rewrites them before sending, so no signature can match what the server sees;
    # our signer refuses them (tests/unit/test_cos_signer.py::test_ambiguous_input_refused) rather than sign a path
    # that is not sent, while the SDK signs the key it is given. Not compared here.
    return not any(seg in (".", "..") for seg in ("/" + key).split("/"))


# Query names: the SDK signs a dict keyed on the lower-cased encoded name, so two names differing only in case
# collapse into one there (the last wins) while both go on the wire; our signer refuses such a query. Names are
# therefore unique case-insensitively here, and non-empty (an empty name is no parameter; the SDK would sign '=').
PARAMS = st.dictionaries(unicode_text.filter(bool), st.none() | unicode_text, max_size=5).filter(
    lambda d: len({_enc(k).lower() for k in d}) == len(d))


@st.composite
def requests_(draw):
    region = draw(st.sampled_from(["ap-beijing", "ap-guangzhou", "na-siliconvalley"]))
    bucket = draw(st.sampled_from(["examplebucket-1250000000", "b-1"]))
    host = f"{bucket}.cos.{region}.myqcloud.com"
    key = draw(unicode_text.filter(_sendable_key))
    params = draw(PARAMS)
    # As CosStore._target: the service host, or a profile endpoint with the service host in a Host header.
    endpoint = draw(st.sampled_from([None, "http://127.0.0.1:9000", "https://cos.internal.example"]))
    url = (endpoint or f"https://{host}") + "/" + quote(key, safe="/-_.~")
    if params:
        url += "?" + "&".join(_enc(k) + ("" if v is None else "=" + _enc(v)) for k, v in params.items())
    names = draw(st.lists(st.sampled_from(HEADER_NAMES), unique_by=str.lower, max_size=6))
    headers = {name: draw(odd_header_value) for name in names}
    if endpoint:
        headers["Host"] = host
    token = draw(st.none() | st.text("abcXYZ019+/=", min_size=1, max_size=40))
    return dict(method=draw(st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"])), url=url, headers=headers,
                params={k: v or "" for k, v in params.items()}, conf_args=dict(Region=region),
                creds=Credentials("AKIDexample", draw(st.text("abcXYZ019", min_size=1, max_size=32)), token),
                now=draw(st.integers(1_500_000_000, 2_000_000_000)), expire=draw(st.sampled_from([600, 10000])))


def _example(key, query="", headers=None):
    url = "https://b-1.cos.ap-beijing.myqcloud.com/" + quote(key, safe="/-_.~") + (f"?{query}" if query else "")
    params = {unquote(k): unquote(v) for k, _, v in (p.partition("=") for p in query.split("&") if p)}
    return dict(method="PUT", url=url, headers=headers or {}, params=params, conf_args=dict(Region="ap-beijing"),
                creds=Credentials("AKIDx", "sk"), now=1_700_000_000, expire=600)


@props(400)
@given(case=requests_())
@example(case=_example("/腾讯云 a+b/%2B#?&=", "uploads&prefix=a%20b%2Bc%2F&Odd%20Name%2B=v%26%3D%2B%C3%BC&empty="))
@example(case=_example("k", headers={"x-cos-meta-a": "  lead\t\tand  trail  ", "Content-Type": "\t"}))
def test_matches_sdk(case):
    prepared = requests.Request(case["method"], case["url"]).prepare()
    assert prepared.url == case["url"]  # the URL our stores build is what requests sends, byte for byte
    # Set after prepare(): requests refuses values with leading whitespace, but the signer must still agree.
    prepared.headers.update(case["headers"])
    if case["creds"].token:
        prepared.headers["x-cos-security-token"] = case["creds"].token
    ours_in = {k: v for k, v in prepared.headers.items() if k.lower() != "x-cos-security-token"}
    ours = sign(case["method"], prepared.url, ours_in, credentials=case["creds"],
                key_time=key_time(case["now"], case["expire"]))
    # The SDK signs the key it is given: give it the path that is sent (decoded, with its leading '/').
    theirs = _sdk_sign(case, prepared, unquote(urlsplit(prepared.url).path))
    assert ours["Authorization"] == theirs
