"""Object options only S3 has (tags, storage class, encryption, versions), on MinIO, which implements them all.
Swift's s3api has no tagging; the check that refuses such options before any write is in the lifecycle tests."""
from __future__ import annotations

import hashlib

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import WriteOptions
from pulumi_objectcopy.urls import parse


@pytest.fixture
def minio(backends):
    return backends("minio")


def tags_of(backend, key):
    return {t["Key"]: t["Value"] for t in backend.client.get_object_tagging(Bucket=backend.bucket, Key=key)["TagSet"]}


def copy(src_backend, src_key, dst_backend, dst_key, **options):
    return transfer.copy_object(parse(src_backend.url(src_key)), parse(dst_backend.url(dst_key)),
                                options=WriteOptions(**options))


def test_tags_are_copied_by_default_and_replaced_when_given(minio, key_prefix):
    minio.client.put_object(Bucket=minio.bucket, Key=key_prefix + "src", Body=b"t", Tagging="origin=golden")
    copy(minio, key_prefix + "src", minio, key_prefix + "kept")
    assert tags_of(minio, key_prefix + "kept") == {"origin": "golden"}
    copy(minio, key_prefix + "src", minio, key_prefix + "replaced", tags={"env": "dev", "team": "a b+c/d@e"})
    assert tags_of(minio, key_prefix + "replaced") == {"env": "dev", "team": "a b+c/d@e"}
    copy(minio, key_prefix + "src", minio, key_prefix + "cleared", tagging_directive="REPLACE")
    assert tags_of(minio, key_prefix + "cleared") == {}


def test_tags_on_a_streamed_write(backends, minio, key_prefix):
    local = backends("local")
    local.put(key_prefix + "src", b"streamed with tags")
    copy(local, key_prefix + "src", minio, key_prefix + "dst", tags={"env": "dev"})
    assert tags_of(minio, key_prefix + "dst") == {"env": "dev"}


def test_storage_class(minio, key_prefix):
    minio.put(key_prefix + "src", b"cold")
    copy(minio, key_prefix + "src", minio, key_prefix + "dst", storage_class="REDUCED_REDUNDANCY")
    assert minio.client.head_object(Bucket=minio.bucket, Key=key_prefix + "dst")["StorageClass"] == \
        "REDUCED_REDUNDANCY"


@pytest.mark.parametrize("sse,key_id,expected", [("AES256", None, "AES256"), (None, "objectcopy-test-key", "aws:kms")])
def test_server_side_encryption_server_side_and_streamed(backends, minio, key_prefix, sse, key_id, expected):
    data = b"secret-ish seed data" * 100
    minio.put(key_prefix + "src", data)
    copy(minio, key_prefix + "src", minio, key_prefix + "dst", server_side_encryption=sse, kms_key_id=key_id)
    assert minio.client.head_object(Bucket=minio.bucket, Key=key_prefix + "dst")["ServerSideEncryption"] == expected
    # Streamed into an encrypted destination: under KMS the ETag is no MD5, and the integrity check must know it.
    local = backends("local")
    local.put(key_prefix + "local-src", data)
    result = copy(local, key_prefix + "local-src", minio, key_prefix + "streamed", server_side_encryption=sse,
                  kms_key_id=key_id)
    assert minio.get(key_prefix + "streamed") == data
    assert (result.destination.md5 is None) == (expected == "aws:kms")
    assert result.destination.md5 in (None, hashlib.md5(data).hexdigest())


def test_delete_all_versions(minio, key_prefix):
    c = minio.client
    bucket = minio.bucket + "-v"
    c.create_bucket(Bucket=bucket)
    c.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2", b"v3"):
        c.put_object(Bucket=bucket, Key=key_prefix + "obj", Body=body)
    c.put_object(Bucket=bucket, Key=key_prefix + "obj-neighbour", Body=b"keep")
    transfer.delete_all_versions(parse(f"s3://minio@{bucket}/{key_prefix}obj"))
    listed = c.list_object_versions(Bucket=bucket, Prefix=key_prefix)
    keys = [v["Key"] for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]
    assert keys == [key_prefix + "obj-neighbour"]


def test_copy_of_a_version_reports_it(minio, key_prefix):
    c = minio.client
    bucket = minio.bucket + "-ver2"
    c.create_bucket(Bucket=bucket)
    c.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = c.put_object(Bucket=bucket, Key=key_prefix + "src", Body=b"first")["VersionId"]
    c.put_object(Bucket=bucket, Key=key_prefix + "src", Body=b"second")
    result = transfer.copy_object(parse(f"s3://minio@{bucket}/{key_prefix}src"),
                                  parse(f"s3://minio@{bucket}/{key_prefix}dst"), source_version_id=first)
    assert c.get_object(Bucket=bucket, Key=key_prefix + "dst")["Body"].read() == b"first"
    assert result.source.version_id == first and result.destination.version_id
