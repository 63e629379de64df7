"""The rules for a copy's inputs, at preview: what needs no network is refused there, on its own property, with
the same rules for the source, the destination and every header input (CopiedObjectArgs.validate, which
`objectcopy cp` calls too, with its flags' names)."""
from __future__ import annotations

import pytest

from pulumi_objectcopy.copy_inputs import CopiedObjectArgs
from pulumi_objectcopy.stores.base import Capabilities, WriteOptions
from pulumi_objectcopy.stores.oss import CAPABILITIES as OSS_CAPABILITIES
from pulumi_objectcopy.stores.s3 import PROVIDERS

OK = {"source": "s3://golden/db/v42.dump", "destination": "s3://env-dev/db/seed.dump"}


def failures(**props) -> dict[str, str]:
    return dict(CopiedObjectArgs.validate({**OK, **props}))


@pytest.mark.parametrize("destination,segment", [
    ("s3://b/a/../k", "'..'"), ("s3://b/./k", "'.'"), ("swift://c/a/..", "'..'"), ("cos://b-1250000000/x/./y", "'.'"),
    ("oss://b/..", "'..'"), ("oci://ns/b/..", "'..'"),
])
def test_a_dot_segment_in_the_destination_fails_the_preview_as_in_the_source(destination, segment):
    assert segment + " path segment" in failures(destination=destination)["destination"]
    assert segment + " path segment" in failures(source=destination)["source"]


def test_dot_segments_are_names_where_they_reach_the_store_as_such():
    assert failures(destination="oci://ns/b/a/../b") == {}  # one path segment on OCI: '/' is encoded
    assert failures(destination="s3://b/a/..x/.y") == {}


@pytest.mark.parametrize("prop", ["content_type", "cache_control", "content_disposition", "content_encoding",
                                  "kms_key_id", "source_version_id"])
@pytest.mark.parametrize("value,problem", [
    ("text/plain\r\nX-Injected: 1", "line break"), ("a\nb", "line break"), ("a\rb", "line break"),
    ("a\x00b", "NUL byte"), ("a\x07b", "control character"), ("a\x7fb", "control character"),
    (" leading", "begins with a space"), ("日本", "outside Latin-1"),
])
def test_a_header_input_http_cannot_carry_fails_on_its_property(prop, value, problem):
    extra = {"server_side_encryption": "aws:kms"} if prop == "kms_key_id" else {}
    message = failures(**{prop: value}, **extra)[prop]
    assert message.startswith(f"{prop}: ") and problem in message and "HTTP header cannot carry" in message


@pytest.mark.parametrize("props,prop,problem", [
    ({"metadata": {"note": "two\nlines"}}, "metadata", "line break"),
    ({"metadata": {"note": "nul\x00"}}, "metadata", "NUL byte"),
    ({"metadata": {"env\n": "dev"}}, "metadata", "lower-case letters"),   # '$' matched before a trailing newline
    ({"metadata": {"Env": "dev"}}, "metadata", "lower-case letters"),
    ({"tags": {"env": "a\nb"}}, "tags", "letters, digits"),                # '\s' let CR and LF through
    ({"tags": {"env\x00": "a"}}, "tags", "letters, digits"),
    ({"storage_class": "STANDARD\n"}, "storage_class", "class name"),
    ({"if_match": "9b2cf535f27731c974343645a3985328\n"}, "if_match", "is not an ETag"),
    ({"content_type": 42}, "content_type", "must be text"),
])
def test_maps_enums_and_etags_take_no_control_characters(props, prop, problem):
    assert problem in failures(**props)[prop]


def test_a_nul_byte_in_a_url_fails_the_preview_instead_of_up():
    assert "NUL byte" in failures(destination="file:///tmp/seed\x00.dump")["destination"]
    assert "NUL byte" in failures(source="s3://golden/a\x00b")["source"]


@pytest.mark.parametrize("url,limit", [
    ("s3://b/" + "k" * 1025, "1,024 bytes s3://"),
    ("s3://b/" + "é" * 513, "1,024 bytes s3://"),           # 513 characters, 1,026 bytes in UTF-8
    ("swift://c/" + "k" * 1025, "1,024 bytes swift://"),
    ("oss://b/" + "k" * 1024, "1,023 bytes oss://"),
    ("cos://b-1250000000/" + "k" * 851, "850 bytes cos://"),
    ("oci://ns/b/" + "k" * 1025, "1,024 bytes oci://"),
    ("file:///tmp/" + "n" * 256, "255 bytes a name in a file:// path"),
    ("file:///tmp" + "/dir" * 1024, "4,095 bytes file://"),
])
def test_a_name_over_the_stores_limit_fails_the_preview(url, limit):
    assert limit in failures(destination=url)["destination"]
    assert limit in failures(source=url)["source"]


@pytest.mark.parametrize("url", ["s3://b/" + "k" * 1024, "oss://b/" + "k" * 1023, "cos://b-1250000000/" + "k" * 850,
                                 "file:///tmp/" + "n" * 255])
def test_a_name_at_the_limit_is_fine(url):
    assert failures(destination=url) == {}


def test_local_limits_are_the_kernels():
    from pulumi_objectcopy.stores.local import LIMITS as LOCAL_LIMITS
    assert (LOCAL_LIMITS.max_key, LOCAL_LIMITS.max_segment) == (4095, 255)


def test_dates_that_have_no_utc_time_are_refused_not_a_crash():
    for text in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "Wed, 21 Oct 99999 07:28:00 GMT"):
        assert "is not a date" in failures(if_unmodified_since=text)["if_unmodified_since"]


def test_sm4_is_an_encryption_oss_offers_and_the_others_refuse():
    assert failures(server_side_encryption="SM4") == {}
    with_key = failures(server_side_encryption="SM4", kms_key_id="k")
    assert "needs server_side_encryption aws:kms" in with_key["kms_key_id"]
    options = CopiedObjectArgs.from_props({**OK, "server_side_encryption": "SM4"}).write_options()
    assert options.unsupported(OSS_CAPABILITIES) == []
    [(prop, reason)] = options.unsupported(PROVIDERS["aws"])
    assert prop == "server_side_encryption" and "SM4 not offered by this destination's store" in reason
    assert options.unsupported(Capabilities()) == [
        ("server_side_encryption", "not supported by this destination's store; remove it")]
    assert WriteOptions(server_side_encryption="AES256").unsupported(OSS_CAPABILITIES) == []


def test_the_command_gets_the_same_rules_in_its_flags_words():
    from pulumi_objectcopy.cli_inputs import FLAGS
    from pulumi_objectcopy.copy_inputs import check_inputs
    inputs = {**CopiedObjectArgs.defaults({**OK, "metadata_directive": "REPLACE", "kms_key_id": "k",
                                           "server_side_encryption": "AES256"}),
              "if_none_match": "a b", "if_modified_since": "soon", "dest_if_match": "*"}
    found = dict(check_inputs(inputs, FLAGS.get))
    assert found["metadata"] == ("--meta: --metadata-directive REPLACE with no --meta and no --content-type would "
                                 "strip the object's metadata; give --meta, or use COPY to keep the source's")
    assert found["kms_key_id"] == "--kms-key-id: needs --server-side-encryption aws:kms (or leave it unset)"
    assert found["if_none_match"].startswith("--if-none-match: 'a b' is not an ETag")
    assert found["if_modified_since"].startswith("--if-modified-since: 'soon' is not a date")
    assert found["dest_if_match"].startswith("--dest-if-match: '*' is not an ETag")
    assert dict(check_inputs({**inputs, "if_none_match": "*", "dest_if_match": "abc"}, FLAGS.get)).keys() == {
        "metadata", "kms_key_id", "if_modified_since"}


def test_every_resource_input_has_a_flag():
    from pulumi_objectcopy.cli_inputs import FLAGS
    assert set(CopiedObjectArgs.names()) - set(FLAGS) == {"track_source", "adopt_existing", "delete_policy"}
