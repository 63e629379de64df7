"""The one place answers are read (http.json_body, http.xml_body, header_int): on any body, any content type, they
return the document or raise BadAnswer naming the request, never a parser's exception; a document cut anywhere is
called truncated; a well-formed answer mislabelled text/html is still read."""
from __future__ import annotations

import json

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from pulumi_objectcopy.answers import header_int, json_body, xml_body
from pulumi_objectcopy.stores.base import BadAnswer

from .strategies import props, unicode_text

CONTEXT = "list s3://b/dir/"
CONTENT_TYPES = st.sampled_from(["application/xml", "application/json", "text/html; charset=utf-8", "text/plain",
                                 "application/xhtml+xml", "", "application/octet-stream"])


def answer(body: bytes, content_type: str = "", status: int = 200, method: str = "GET") -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content = status, body
    resp.headers = CaseInsensitiveDict({"Content-Type": content_type} if content_type else {})
    resp.request = requests.Request(method, "http://127.0.0.1/b").prepare()
    return resp


def _read_or_bad_answer(read):
    try:
        return read()
    except BadAnswer as e:
        assert str(e).startswith(f"{CONTEXT}: answered HTTP "), e
        assert "\n" not in str(e)
        return None


BODIES = st.one_of(st.binary(max_size=200), unicode_text.map(str.encode),
                   st.sampled_from([b"<a><b>x</b></a>", b'{"a": [1, 2]}', b"<!DOCTYPE html><html></html>", b"[]",
                                    b"\xef\xbb\xbf{}", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
                                    b"\x00\x01", b"<x>\xff</x>", b'"\\ud800"', b"NaN", b"1e999"]))


@props(500)
@given(body=BODIES, content_type=CONTENT_TYPES, shape=st.sampled_from([None, dict, list]),
       root=st.sampled_from([None, "ListBucketResult", ("a", "x")]))
def test_any_body_is_read_or_a_bad_answer(body, content_type, shape, root):
    resp = answer(body, content_type)
    _read_or_bad_answer(lambda: json_body(resp, CONTEXT, shape))
    _read_or_bad_answer(lambda: xml_body(resp, CONTEXT, root))


JSON_DOCS = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | unicode_text,
                         lambda inner: st.lists(inner, max_size=4) | st.dictionaries(unicode_text, inner, max_size=4),
                         max_leaves=12).filter(lambda d: isinstance(d, (dict, list)))


@props(300)
@given(doc=JSON_DOCS, cut=st.integers(min_value=1), ascii_only=st.booleans())
@example(doc={"a": True}, cut=3, ascii_only=True)       # '{"a": tr'
@example(doc={"a": -1.5e-07}, cut=4, ascii_only=True)   # a number cut after its sign or exponent
@example(doc=[float("inf")], cut=4, ascii_only=True)    # '[Infin'
@example(doc=["é"], cut=3, ascii_only=False)            # a UTF-8 character cut in two
def test_json_cut_anywhere_is_truncated(doc, cut, ascii_only):
    text = json.dumps(doc, ensure_ascii=ascii_only).encode()
    prefix = text[:max(1, len(text) - cut)]
    with pytest.raises(BadAnswer, match=r"truncated JSON"):
        json_body(answer(prefix, "application/json"), CONTEXT)
    assert json_body(answer(text, "text/html"), CONTEXT) == doc  # mislabelled, still the answer


XML_DOCS = st.builds(
    lambda root, items: f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    + "".join(f"<Contents><Key>{k}</Key><Size>{n}</Size><ETag>&quot;e&quot;</ETag></Contents>" for k, n in items)
    + f"</{root}>",
    st.sampled_from(["ListBucketResult", "CopyObjectResult"]),
    st.lists(st.tuples(unicode_text.map(lambda s: s.replace("&", "&amp;").replace("<", "&lt;")).filter(
        lambda s: all(c == "\t" or c == "\n" or c == "\r" or c >= " " for c in s) and "\x7f" not in s
        and "\ufffe" not in s and "\uffff" not in s),
        st.integers(0, 10**12)), max_size=3))


@props(300)
@given(doc=XML_DOCS, cut=st.integers(min_value=1))
def test_xml_cut_anywhere_is_truncated(doc, cut):
    data = doc.encode()
    prefix = data[:max(1, len(data) - cut)]
    with pytest.raises(BadAnswer, match=r"truncated XML"):
        xml_body(answer(prefix, "application/xml"), CONTEXT, "ListBucketResult")
    root = doc.split("<", 3)[2].split(" ")[0]
    assert xml_body(answer(data, "text/html"), CONTEXT, root).tag.endswith(root)  # mislabelled, still read


@pytest.mark.parametrize("value,ok", [("0", 0), ("123", 123), (" 7 ", 7), ("-1", None), ("lots", None), ("1e3", None),
                                      ("", None), ("9" * 30, int("9" * 30))])
def test_header_int(value, ok):
    resp = answer(b"", method="HEAD")
    resp.headers["Content-Length"] = value
    if ok is None:
        with pytest.raises(BadAnswer, match=r"^HEAD x: answered HTTP 200 with Content-Length: "):
            header_int(resp, "Content-Length", "HEAD x")
    else:
        assert header_int(resp, "Content-Length", "HEAD x") == ok
