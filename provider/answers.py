"""Reading answers. A success status says nothing about the body: a proxy or gateway answers 200 with an HTML page,
a server dies mid-document, a load balancer sends its own JSON. Every body is read through json_body or xml_body,
which name the request and say what the answer was instead (BadAnswer), never a parser's traceback."""
from __future__ import annotations

import json
import re

import requests
from defusedxml import DefusedXmlException, ElementTree

from .errors import BadAnswer
from .etags import normalize_etag

_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)


def _body(resp: requests.Response) -> bytes:
    if resp.request is not None and resp.request.method == "HEAD":
        return b""
    try:
        return resp.content or b""
    except Exception:  # a streamed body that broke off or was released: describe the headers only
        return b""


def _is_html(resp: requests.Response) -> bool:
    return "html" in resp.headers.get("Content-Type", "").lower() or bool(_HTML.search(_body(resp)[:1024]))


def answer_summary(resp: requests.Response) -> str:
    """What an answer was, in a few words, for error messages: 'an HTML page titled ...', 'an empty body', ..."""
    body = _body(resp)
    if _is_html(resp):
        title = _TITLE.search(body[:8192])
        text = " ".join(title.group(1).decode("utf-8", "replace").split())[:80] if title else ""
        return f"an HTML page titled {text!r}" if text else "an HTML page"
    if not body.strip():
        return "an empty body"
    first = body.lstrip()[:1]
    kind = "JSON" if first in (b"{", b"[") else "XML" if first == b"<" else (
        resp.headers.get("Content-Type") or "text").split(";")[0].strip()
    return f"{len(body)} bytes of {kind}"


def _snippet(body: bytes, n: int = 60) -> str:
    return repr(" ".join(body.decode("utf-8", "replace").split())[:n])


def json_body(resp: requests.Response, context: str, shape: type | tuple[type, ...] | None = None):
    """The JSON of a success answer, or BadAnswer naming the request and what came instead. `shape`: the type the
    top level must have (dict, list)."""
    body = _body(resp)
    where = f"{context}: answered HTTP {resp.status_code} with"
    if not body.strip():
        raise BadAnswer(f"{where} an empty body, not JSON", status=resp.status_code)
    try:
        data = json.loads(body)  # first: a JSON answer mislabelled text/html is still the answer
    except ValueError as e:  # JSONDecodeError, or bytes that are no text at all
        first = body.lstrip()[:1]
        if _is_html(resp):
            raise BadAnswer(f"{where} {answer_summary(resp)}, not JSON", status=resp.status_code) from None
        if first == b"<":
            raise BadAnswer(f"{where} XML, not JSON: {_snippet(body)}", status=resp.status_code) from None
        if first in (b"{", b"[") and _json_cut_short(e):
            raise BadAnswer(f"{where} truncated JSON ({len(body)} bytes, ending {_snippet(body[-40:], 40)})",
                            status=resp.status_code) from None
        if first in (b"{", b"["):
            raise BadAnswer(f"{where} malformed JSON ({e})", status=resp.status_code) from None
        raise BadAnswer(f"{where} {answer_summary(resp)}, not JSON: {_snippet(body)}",
                        status=resp.status_code) from None
    if shape is not None and not isinstance(data, shape):
        raise BadAnswer(f"{where} a JSON {_json_type(data)} where a JSON {_json_type(shape)} was expected",
                        status=resp.status_code)
    return data


_JSON_NUMBER_PREFIX = re.compile(r"-|-?(0|[1-9]\d*)(\.\d*)?([eE][+-]?\d*)?")
_JSON_NUMBER_TAIL = re.compile(r"[-+.\deE]+\Z")
_JSON_WORDS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")


def _json_cut_short(e: ValueError) -> bool:
    """Whether a JSON parse failed because the document stops, not because it is wrong: the failure is at its end,
    in a string, an escape, a literal or a number that was cut, or inside a multi-byte character."""
    if isinstance(e, UnicodeDecodeError):
        return e.reason == "unexpected end of data"
    doc, msg, pos = getattr(e, "doc", None), getattr(e, "msg", ""), getattr(e, "pos", 0)
    if not isinstance(doc, str):
        return False
    doc = doc.rstrip()
    rest = doc[pos:]
    if pos >= len(doc) or msg.startswith("Unterminated string"):
        return True
    # an escape cut short, or a surrogate pair cut in its second half (the parser points at the first)
    if msg.startswith("Invalid \\uXXXX escape") and re.fullmatch(r"\\?u?[0-9a-fA-F]{0,4}(\\(u[0-9a-fA-F]{0,3})?)?",
                                                                 rest):
        return True
    if msg == "Expecting value" and any(word.startswith(rest) for word in _JSON_WORDS):
        return True
    tail = _JSON_NUMBER_TAIL.search(doc)  # a number the parser read part of, cut in its fraction or exponent
    return bool(tail and (tail.start() < pos or msg == "Expecting value") and _JSON_NUMBER_PREFIX.fullmatch(tail[0]))


def _json_type(value) -> str:
    kinds = value if isinstance(value, tuple) else (value,) if isinstance(value, type) else (type(value),)
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
             type(None): "null"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def xml_body(resp: requests.Response, context: str, root: str | tuple[str, ...] | None = None):
    """The XML root element of a success answer, or BadAnswer naming the request and what came instead. `root`: the
    document element's local name(s) the answer must have (an XHTML page parses as XML too)."""
    body = _body(resp)
    where = f"{context}: answered HTTP {resp.status_code} with"
    if not body.strip():
        raise BadAnswer(f"{where} an empty body, not XML", status=resp.status_code)
    first = body.lstrip()[:1]
    if _is_html(resp) and (first != b"<" or _HTML.search(body[:1024])):
        raise BadAnswer(f"{where} {answer_summary(resp)}, not XML", status=resp.status_code)
    if first != b"<":
        raise BadAnswer(f"{where} {'JSON' if first in (b'{', b'[') else answer_summary(resp)}, not XML: "
                        f"{_snippet(body)}", status=resp.status_code)
    try:
        element = ElementTree.fromstring(body)
    except ElementTree.ParseError as e:
        if _is_html(resp):
            raise BadAnswer(f"{where} {answer_summary(resp)}, not XML", status=resp.status_code) from None
        # expat: 3 no element found, 5 unclosed token, 6 partial character: the document just stops
        kind = "truncated" if e.code in (3, 5, 6) else "malformed"
        raise BadAnswer(f"{where} {kind} XML ({len(body)} bytes: {e})", status=resp.status_code) from None
    except DefusedXmlException as e:
        raise BadAnswer(f"{where} XML this client refuses to expand ({type(e).__name__})",
                        status=resp.status_code) from None
    tag = element.tag.rsplit("}", 1)[-1]
    if tag.lower() == "html":
        raise BadAnswer(f"{where} {answer_summary(resp)} (XHTML), not XML", status=resp.status_code)
    roots = (root,) if isinstance(root, str) else root
    if roots and tag not in roots:
        raise BadAnswer(f"{where} an XML <{tag}> document where <{'> or <'.join(roots)}> was expected",
                        status=resp.status_code)
    return element


def header_int(resp: requests.Response, name: str, context: str, default: int | None = None) -> int:
    """An integer header (Content-Length), or BadAnswer when the answer carries something else."""
    value = resp.headers.get(name)
    if value is None and default is not None:
        return default
    try:
        number = int(str(value).strip())
        if number < 0:
            raise ValueError(value)
    except ValueError:
        raise BadAnswer(f"{context}: answered HTTP {resp.status_code} with {name}: {value!r}, not a byte count",
                        status=resp.status_code) from None
    return number


def etag_header(resp: requests.Response, context: str) -> str:
    """The ETag an answer about one object carries (HEAD, PUT, a part or a copy): every object has one, so an answer
    without it is not about one (a proxy's page, say)."""
    etag = normalize_etag(resp.headers.get("ETag"))
    if not etag:
        raise without(resp, "an ETag", context)
    return etag


def without(resp: requests.Response, what: str, context: str) -> BadAnswer:
    """The error for a success answer that lacks what every real answer to this request carries (an ETag, an
    upload id, a work request id)."""
    return BadAnswer(f"{context}: answered HTTP {resp.status_code} without {what} ({answer_summary(resp)})",
                     status=resp.status_code)


class Response(requests.Response):
    """What Transport.send returns: a requests.Response whose json() fails as json_body does (BadAnswer naming
    the request), so a caller that reads the answer with .json() never sees a JSONDecodeError."""

    context: str = ""

    def json(self, **kwargs):
        return json_body(self, self.context)


