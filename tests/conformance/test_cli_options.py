"""`objectcopy cp` sets what CopiedObject can: tags and tagging directive, ACL, storage class, server-side
encryption (OSS's SM4 included) and KMS key, Cache-Control, Content-Disposition, Content-Encoding; each read back
with the vendor's own client, on a server-side copy and on a streamed one."""
from __future__ import annotations

import json

import pytest

from .test_cli_inputs import cli, refused

FLAGS = ["--tags", "env=dev", "--tags", "team=a b+c", "--cache-control", "max-age=60",
         "--content-disposition", 'attachment; filename="seed.bin"', "--content-encoding", "gzip",
         "--content-type", "application/x-seed", "--acl", "private"]


def copied(*args: str) -> dict:
    proc = cli("cp", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path", ["server-side", "streamed"])
def test_every_option_on_minio(backends, key_prefix, path):
    minio, local = backends("minio"), backends("local")
    source = (minio if path == "server-side" else local)
    source.put(key_prefix + "src", b"seed" * 100)
    out = copied(source.url(key_prefix + "src"), minio.url(key_prefix + "dst"), *FLAGS,
                 "--storage-class", "REDUCED_REDUNDANCY", "--server-side-encryption", "AES256")
    assert out["method"] == path
    head = minio.client.head_object(Bucket=minio.bucket, Key=key_prefix + "dst")
    assert (head["CacheControl"], head["ContentDisposition"], head["ContentEncoding"], head["ContentType"]) == (
        "max-age=60", 'attachment; filename="seed.bin"', "gzip", "application/x-seed")
    assert (head["StorageClass"], head["ServerSideEncryption"]) == ("REDUCED_REDUNDANCY", "AES256")
    tags = minio.client.get_object_tagging(Bucket=minio.bucket, Key=key_prefix + "dst")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"env": "dev", "team": "a b+c"}


def test_kms_key_and_tagging_directive_on_minio(backends, key_prefix):
    minio = backends("minio")
    minio.client.put_object(Bucket=minio.bucket, Key=key_prefix + "src", Body=b"k", Tagging="origin=golden")
    src = minio.url(key_prefix + "src")
    copied(src, minio.url(key_prefix + "kms"), "--kms-key-id", "objectcopy-test-key")
    head = minio.client.head_object(Bucket=minio.bucket, Key=key_prefix + "kms")
    assert head["ServerSideEncryption"] == "aws:kms" and "objectcopy-test-key" in head["SSEKMSKeyId"]
    copied(src, minio.url(key_prefix + "kept"))
    copied(src, minio.url(key_prefix + "cleared"), "--tagging-directive", "replace")
    tags = {k: minio.client.get_object_tagging(Bucket=minio.bucket, Key=key_prefix + k)["TagSet"]
            for k in ("kept", "cleared")}
    assert tags == {"kept": [{"Key": "origin", "Value": "golden"}], "cleared": []}


def test_sm4_is_refused_where_the_store_lacks_it_before_anything_is_written(backends, key_prefix):
    minio, swift = backends("minio"), backends("swift")
    minio.put(key_prefix + "src", b"s")
    refused(cli("cp", minio.url(key_prefix + "src"), minio.url(key_prefix + "dst"), "--server-side-encryption", "SM4"),
            "--server-side-encryption: SM4 not offered by this destination's store (it offers AES256, aws:kms")
    refused(cli("cp", minio.url(key_prefix + "src"), swift.url(key_prefix + "dst"), "--tags", "a=b"),
            "--tags: not supported by this destination's store; remove it")
    assert not minio.exists(key_prefix + "dst") and not swift.exists(key_prefix + "dst")


@pytest.mark.parametrize("path", ["server-side", "streamed"])
def test_every_option_on_oss_with_sm4(backends, key_prefix, path):
    oss, local = backends("oss"), backends("local")
    source = oss if path == "server-side" else local
    source.put(key_prefix + "src", b"seed" * 100)
    out = copied(source.url(key_prefix + "src"), oss.url(key_prefix + "dst"), *FLAGS, "--storage-class", "IA",
                 "--server-side-encryption", "SM4")
    assert out["method"] == path
    head = {k.lower(): v for k, v in oss.client.head_object(key_prefix + "dst").headers.items()}
    assert (head["x-oss-server-side-encryption"], head["x-oss-storage-class"]) == ("SM4", "IA")
    assert (head["cache-control"], head["content-disposition"], head["content-encoding"], head["content-type"]) == (
        "max-age=60", 'attachment; filename="seed.bin"', "gzip", "application/x-seed")
    assert oss.client.get_object_tagging(key_prefix + "dst").tag_set.tagging_rule == {"env": "dev", "team": "a b+c"}
