"""Any object name reaches the server as exactly that name, or is refused before anything is sent.

requests removes '.' and '..' path segments from a URL before sending it, so a name with such a segment would
reach ANOTHER object: on Swift, whose requests are not signed, `rm swift://c/a/../b` would have deleted `b`. The
HTTP layer refuses such a request with a UsageError; every other name must arrive byte for byte."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import NotFound, UsageError, WriteOptions
from pulumi_objectcopy.urls import ObjectURL

from .garbage_server import Answer
from .strategies import nonempty_text, odd_header_value, unicode_text
from .test_garbage_answers import env, profiles, server, swift_logged_in  # noqa: F401  (fixtures: env is autouse)

# scheme -> (URL's bucket, profile, the path the server must see before the name)
STORES = {
    "s3": ("bucket", "gs3", "/bucket/"),
    "cos": ("bucket-1250000000", "gcos", "/"),
    "oss": ("bucket", "goss", "/bucket/"),
    "swift": ("container", "gswift", "/v1/AUTH_test/container/"),
    "oci": ("ns/bucket", "goci", "/n/ns/b/bucket/o/"),
}


def _has_dot_segment(scheme: str, key: str) -> bool:
    if scheme == "oci":  # the whole name is one path segment there ('/' is encoded)
        return key in (".", "..")
    return any(segment in (".", "..") for segment in key.split("/"))


@settings(max_examples=120, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scheme=st.sampled_from(sorted(STORES)), key=nonempty_text)
# Found by this property: Swift sent HEAD /container/etc for the name 'a/../etc' (and would DELETE it too).
@example(scheme="swift", key="a/../etc")
@example(scheme="s3", key="./k")
@example(scheme="oci", key="..")
@example(scheme="oci", key="a/../b")  # one segment on OCI: sent as is
@example(scheme="cos", key="/lead//x/.hidden/..x")
def test_a_name_reaches_the_server_as_itself(server, scheme, key):
    bucket, profile, prefix = STORES[scheme]
    server.reset(Answer(404, b"", {}))
    swift_logged_in(server)
    url = ObjectURL(scheme, bucket, key, profile)
    store = open_store(url)
    if _has_dot_segment(scheme, key):
        with pytest.raises(UsageError, match=r"'\.' or '\.\.' path segment"):
            store.head(url)
        assert not server.requests("HEAD")  # refused before anything was sent
        return
    with pytest.raises(NotFound):
        store.head(url)
    heads = server.requests("HEAD")
    assert len(heads) == 1 and heads[0].decoded_path == prefix + key, (heads, prefix + key)


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=unicode_text | odd_header_value)
@example(value=" leading space")
@example(value="日本")
@example(value="line\r\nbreak")
@example(value="trailing\t ")
@example(value="nul\x00byte")
def test_a_metadata_value_is_sent_or_refused(server, value):
    """User metadata goes out as HTTP headers: a value HTTP cannot carry (a leading space, a line break, NUL or
    another control character, a character outside Latin-1) is refused with a UsageError naming the header before
    anything is sent; any other arrives."""
    server.reset(Answer(200, b"", {"ETag": '"0123456789abcdef0123456789abcdef"'}))
    url = ObjectURL("s3", "bucket", "k.bin", "gs3")
    write = lambda: open_store(url).write(url, b"x", 1, options=WriteOptions(metadata={"note": value}))  # noqa: E731
    sendable = not value[:1].isspace() and _latin1(value) and not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value)
    if not sendable:
        with pytest.raises(UsageError, match=r"^PUT s3://gs3@bucket/k\.bin: header x-amz-meta-note has a value"):
            write()
        assert not server.requests()
        return
    write()
    puts = server.requests("PUT")
    assert len(puts) == 1
    arrived = {k.lower(): v for k, v in puts[0].headers.items()}["x-amz-meta-note"]
    assert arrived.strip(" \t") == value.strip(" \t")  # HTTP drops the whitespace around a field value


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
