import pytest

from pulumi_objectcopy.urls import ObjectURL, URLError, parse


@pytest.mark.parametrize("text,expected", [
    ("s3://bucket/key.txt", ObjectURL("s3", "bucket", "key.txt")),
    ("s3://prod@bucket/a b/c?d#e%20+f", ObjectURL("s3", "bucket", "a b/c?d#e%20+f", "prod")),
    ("s3://bucket//leading", ObjectURL("s3", "bucket", "/leading")),
    ("swift://container/dir/obj", ObjectURL("swift", "container", "dir/obj")),
    ("file:///tmp/x y.bin", ObjectURL("file", "", "/tmp/x y.bin")),
])
def test_parse_keeps_keys_literal(text, expected):
    assert parse(text) == expected
    assert str(parse(text)) == text


@pytest.mark.parametrize("text,message", [
    ("bucket/key", "is not an object URL"),
    ("gs://bucket/key", "unknown scheme 'gs'"),
    ("oci://ns", "has no bucket after the namespace"),
    ("s3:///key", "has no bucket"),
    ("s3://bucket", "names a bucket or folder, not an object"),
    ("s3://bucket/dir/", "names a bucket or folder"),
    ("s3://bad name/key", "bucket name 'bad name'"),
    ("s3://bad!prof@bucket/key", "profile name 'bad!prof'"),
    ("file://relative/path", "absolute path with three slashes"),
])
def test_parse_errors_name_the_problem(text, message):
    with pytest.raises(URLError, match=message) as e:
        parse(text, field="source")
    assert str(e.value).startswith("source: ")


def test_prefix_urls_allowed_for_listing():
    assert parse("s3://bucket", allow_prefix=True).key == ""
    assert parse("s3://bucket/dir/", allow_prefix=True).is_prefix
