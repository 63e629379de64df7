"""URL parsing on any input: well-formed URLs round-trip with their keys taken literally, and anything else is a
URLError whose message starts with the field's name, never another exception type."""
from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pulumi_objectcopy.urls import SCHEMES, ObjectURL, URLError, parse

from .strategies import nonempty_text, props, unicode_text

BUCKET = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,20}\Z")
PROFILE = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,15}\Z")
# What urls.py documents as valid names, matched against the WHOLE string (no trailing newline let through).
BUCKET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}")
PROFILE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _usable(key: str) -> bool:
    """No NUL (no store takes one) and no '.' or '..' segment (HTTP clients remove them): such names are refused."""
    return "\x00" not in key and not any(s in (".", "..") for s in key.split("/"))


OBJECT_KEY = nonempty_text.filter(lambda k: not k.endswith("/") and _usable(k))  # a trailing '/' names a folder
FILE_PATH = nonempty_text.filter(lambda k: not k.endswith("/") and "\x00" not in k)  # '..' is a path's own
BUCKET_SCHEMES = sorted(s for s in SCHEMES if s not in ("file", "oci"))


@props(300)
@given(scheme=st.sampled_from(BUCKET_SCHEMES), profile=st.none() | PROFILE, bucket=BUCKET, key=OBJECT_KEY)
@example(scheme="s3", profile="p", bucket="b", key="a b/c?d#e%20+f@g://h")
@example(scheme="swift", profile=None, bucket="c", key="/leading//double")
def test_bucket_urls_round_trip(scheme, profile, bucket, key):
    text = f"{scheme}://{profile + '@' if profile else ''}{bucket}/{key}"
    url = parse(text)
    assert url == ObjectURL(scheme, bucket, key, profile)  # the key literally: no decoding, nothing dropped
    assert str(url) == text
    assert parse(str(url)) == url


@props(200)
@given(namespace=BUCKET, bucket=BUCKET, key=OBJECT_KEY, profile=st.none() | PROFILE)
def test_oci_urls_round_trip(namespace, bucket, key, profile):
    text = f"oci://{profile + '@' if profile else ''}{namespace}/{bucket}/{key}"
    url = parse(text)
    assert (url.bucket, url.key, url.profile) == (f"{namespace}/{bucket}", key, profile)
    assert str(url) == text


@props(200)
@given(path=FILE_PATH)
def test_file_urls_round_trip(path):
    text = "file:///" + path
    url = parse(text)
    assert url.key == "/" + path and str(url) == text


@props(200)
@given(scheme=st.sampled_from(BUCKET_SCHEMES), bucket=BUCKET, folder=unicode_text.filter(_usable))
def test_folders_need_allow_prefix(scheme, bucket, folder):
    text = f"{scheme}://{bucket}/{folder}/"
    with pytest.raises(URLError, match=r"^src: .*names a (bucket|container) or folder"):
        parse(text, field="src")
    assert str(parse(text, allow_prefix=True)) == text


def _check_parsed_or_refused(text, field="source"):
    """The contract on any input: a URLError naming the field, or a URL that is well-formed and prints back as the
    input (with the scheme lowercased)."""
    try:
        url = parse(text, field=field)
    except URLError as e:
        assert str(e).startswith(f"{field}: "), e
        assert "\n" not in str(e).split(": ", 1)[0]
        return None
    assert url.scheme in SCHEMES
    if url.scheme != "file":
        for part in url.bucket.split("/"):
            assert BUCKET_RE.fullmatch(part), url
        assert url.profile is None or PROFILE_RE.fullmatch(url.profile), url
    assert url.key and not url.is_prefix
    scheme, rest = text.split("://", 1)
    assert str(url) == scheme.lower() + "://" + rest
    return url


@props(500)
@given(text=st.one_of(unicode_text,
                      st.builds("{}://{}".format, st.sampled_from(sorted(SCHEMES) + ["S3", "Swift", "gs", ""]),
                                unicode_text)))
# Found by this property: '$' in the name patterns matched before a trailing newline, so these parsed into a bucket
# 'bucket\n' or a profile 'prof\n' that no server or profile file can have (fixed: fullmatch).
@example(text="s3://bucket\n/key")
@example(text="s3://prof\n@bucket/key")
@example(text="oci://ns/b\n/k")
def test_any_text_parses_or_names_the_field(text):
    _check_parsed_or_refused(text)


@props(300)
@given(scheme=st.sampled_from(BUCKET_SCHEMES + ["oci", "file"]), key=nonempty_text.filter(lambda k: not _usable(k)),
       field=st.sampled_from(["source", "destination", "DST"]))
@example(scheme="s3", key="a/../b", field="destination")
@example(scheme="file", key="seed\x00.dump", field="destination")
def test_a_name_no_store_can_take_is_refused_naming_the_field(scheme, key, field):
    """A NUL anywhere, and a '.' or '..' segment in a name sent over HTTP (the whole name, on OCI), are refused when
    the URL is parsed: at preview, for the source and the destination alike, not at `up`."""
    text = {"file": f"file:///{key}", "oci": f"oci://ns/bucket/{key}"}.get(scheme, f"{scheme}://bucket/{key}")
    dots = key in (".", "..") if scheme == "oci" else any(s in (".", "..") for s in key.split("/"))
    if scheme == "file" and "\x00" not in key or not ("\x00" in key or dots):
        return  # a path's '..' is the file system's to resolve; on OCI, 'a/../b' is one segment
    with pytest.raises(URLError, match=rf"^{field}: .*(NUL byte|path segment)"):
        parse(text, field=field, allow_prefix=True)


@pytest.mark.parametrize("value", [None, b"s3://bucket/key", 42, ["s3://b/k"], {"url": "s3://b/k"}, 1.5])
def test_non_strings_are_url_errors(value):
    with pytest.raises(URLError, match=r"^dst: .* is not an object URL"):
        parse(value, field="dst")


# One defect at a time in an otherwise valid URL: each is a URLError that names the field and the defect.
DEFECTS = {
    "bucket": (lambda u, bad: u.replace("BUCKET", "b" + bad), r"(bucket|container|namespace) name .* is not valid"),
    "profile": (lambda u, bad: u.replace("PROFILE", "p" + bad), r"profile name .* must be letters"),
}
BAD_NAME_CHARS = nonempty_text.filter(lambda s: not re.fullmatch(r"[A-Za-z0-9._:-]*", s) and "/" not in s
                                      and "@" not in s)


@props(300)
@given(scheme=st.sampled_from(BUCKET_SCHEMES + ["oci"]), defect=st.sampled_from(sorted(DEFECTS)),
       bad=BAD_NAME_CHARS, key=OBJECT_KEY, field=st.sampled_from(["source", "destination", "URL"]))
@example(scheme="s3", defect="bucket", bad="\n", key="k", field="source")
@example(scheme="s3", defect="profile", bad="\n", key="k", field="source")
def test_one_defect_is_named(scheme, defect, bad, key, field):
    template = f"{scheme}://PROFILE@BUCKET/" + ("bucket/" if scheme == "oci" else "") + key
    make, message = DEFECTS[defect]
    text = make(template, bad).replace("PROFILE", "p").replace("BUCKET", "b")
    if defect == "profile" and re.fullmatch(r"[A-Za-z0-9_.-]*", bad):
        return  # still a valid profile name
    with pytest.raises(URLError, match=rf"^{field}: .*({message}|has a NUL byte)"):  # a NUL is named first
        parse(text, field=field)
