"""SigV4 (provider/signing/sigv4.py) against botocore's S3SigV4Auth on generated requests: any unicode key, any
query (reserved and unicode characters, empty values, repeated keys: S3 takes them and botocore sorts them by
value), header values with odd spacing. The oracle adapter is tests/unit/test_sigv4.py's."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pulumi_objectcopy.signing.sigv4 import (UNSIGNED_PAYLOAD, Credentials, payload_sha256, quote_key,
                                             quote_query_value, sign)

from .strategies import odd_header_value, props, unicode_text

# As in tests/unit: a missing oracle fails the run, unless OBJECTCOPY_ALLOW_MISSING_ORACLES=1 asks to skip.
from tests.unit import test_sigv4 as unit  # noqa: E402
from tests.unit.test_sigv4 import ENDPOINTS, HOP_HEADERS, _botocore_sign  # noqa: E402  (the oracle adapter)

if unit.botocore is None:
    pytest.skip("botocore oracle not installed", allow_module_level=True)

HEADER_NAMES = ["Content-Type", "Range", "If-Match", "Cache-Control", "Content-Disposition", "x-amz-meta-owner",
                "X-Amz-Meta-Note", "x-amz-copy-source", "x-amz-copy-source-range", "x-amz-tagging",
                "x-amz-metadata-directive", "x-amz-storage-class", *HOP_HEADERS]


@st.composite
def requests_(draw):
    prefix, path_style = draw(st.sampled_from(ENDPOINTS))
    bucket = draw(st.sampled_from(["examplebucket", "b-1", "my.bucket"]))
    key = draw(unicode_text)
    url = prefix.format(bucket=bucket) + (f"/{bucket}" if path_style else "") + "/" + quote_key(key)
    # (name, value or None for a bare name); names may repeat
    params = draw(st.lists(st.tuples(unicode_text, st.none() | unicode_text), max_size=5))
    if params:
        url += "?" + "&".join(quote_query_value(k) + ("" if v is None else "=" + quote_query_value(v))
                              for k, v in params)
    names = draw(st.lists(st.sampled_from(HEADER_NAMES), unique_by=str.lower, max_size=6))
    headers = {name: draw(odd_header_value) for name in names}
    method = draw(st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]))
    body = draw(st.binary(max_size=64)) if method in ("PUT", "POST") else b""
    token = draw(st.none() | st.text("abcXYZ019+/=", min_size=1, max_size=40))
    return dict(method=method, url=url, headers=headers, body=body,
                credentials=Credentials("AKIDEXAMPLE", draw(st.text("abcXYZ019+/", min_size=1, max_size=40)), token),
                region=draw(st.sampled_from(["us-east-1", "eu-west-3", "auto"])),
                now=draw(st.datetimes(datetime(2013, 1, 1), datetime(2037, 1, 1), timezones=st.just(timezone.utc))
                         ).replace(microsecond=0),
                unsigned=draw(st.booleans()))


def _example(key="", query="", headers=None, method="GET"):
    return dict(method=method, url="http://127.0.0.1:9000/b/" + quote_key(key) + (f"?{query}" if query else ""),
                headers=headers or {}, body=b"", credentials=Credentials("AK", "SK"), region="us-east-1",
                now=datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone.utc), unsigned=True)


@props(400)
@given(case=requests_())
@example(case=_example("a b/ü+%2B?#", "b=2&a=&a=1&k%20%C3%BC=v%26%3D%2B&uploads"))
@example(case=_example("x", headers={"x-amz-meta-a": "  lead\t\tand  trail  ", "Content-Type": "\t"}))
@example(case=_example("..//./k~", "x=%7E"))
def test_matches_botocore(case):
    payload_hash = UNSIGNED_PAYLOAD if case["unsigned"] else payload_sha256(case["body"])
    ours = sign(case["method"], case["url"], case["headers"], credentials=case["credentials"],
                region=case["region"], now=case["now"], payload_hash=payload_hash)
    theirs = _botocore_sign(case).headers
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token")
