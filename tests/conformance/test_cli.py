"""`objectcopy` as a user runs it: exit codes, one-line errors, --json, --verbose without secrets."""
import hashlib
import json

import pytest

from ..conftest import BACKEND_NAMES, run_cli


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("objectcopy 0.")


@pytest.mark.parametrize("args,message", [
    (["cp", "gs://b/k", "file:///tmp/x"], "SRC: unknown scheme 'gs'"),
    (["cp", "s3:/b/k", "file:///tmp/x"], "SRC: 's3:/b/k' is not an object URL"),
    (["cp", "file:///etc/hostname", "s3://b/k", "--if-unmodified-since", "yesterday"],
     "--if-unmodified-since: 'yesterday' is not a date"),
    (["cp", "file:///etc/hostname", "s3://b/k", "--meta", "novalue"], "--meta: 'novalue' must be KEY=VALUE"),
    (["cp", "file:///etc/hostname", "s3://nope@b/k"], "profile 'nope' in s3://nope@b/k is not defined"),
])
def test_bad_usage_exits_2_with_one_line(args, message, profiles_file):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_credentials_exit_2_and_say_how(tmp_path, profiles_file):
    src = tmp_path / "a"
    src.write_bytes(b"a")
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": None,
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "OBJECTCOPY_ENDPOINT_S3": "http://127.0.0.1:9"}
    proc = run_cli("cp", f"file://{src}", "s3://bucket/k", env=env)
    assert proc.returncode == 2, proc.stderr
    assert "no AWS credentials found" in proc.stderr and "AWS_ACCESS_KEY_ID" in proc.stderr


def test_cp_json_and_head(backends, key_prefix, tmp_path):
    minio = backends("minio")
    src = tmp_path / "seed.bin"
    src.write_bytes(b"seed" * 1000)
    proc = run_cli("cp", f"file://{src}", minio.url(key_prefix + "seed.bin"), "--json", "--meta", "env=dev",
                   "--content-type", "application/x-seed", check=True)
    out = json.loads(proc.stdout)
    assert out["method"] == "streamed" and out["size"] == 4000
    assert out["etag"] == hashlib.md5(b"seed" * 1000).hexdigest()
    assert set(out) >= {"source", "destination", "etag", "size", "last_modified", "version_id", "method"}
    head = json.loads(run_cli("head", minio.url(key_prefix + "seed.bin"), "--json", check=True).stdout)
    assert head["metadata"] == {"env": "dev"} and head["content_type"] == "application/x-seed"
    proc = run_cli("cp", minio.url(key_prefix + "seed.bin"), minio.url(key_prefix + "copy.bin"), "--json",
                   check=True)
    assert json.loads(proc.stdout)["method"] == "server-side"


def test_precondition_failure_exits_3_and_writes_nothing(backends, key_prefix):
    swift = backends("swift")
    swift.put(key_prefix + "src", b"data")
    proc = run_cli("cp", swift.url(key_prefix + "src"), swift.url(key_prefix + "dst"),
                   "--if-match", "0123456789abcdef0123456789abcdef")
    assert proc.returncode == 3
    assert "if-match failed" in proc.stderr and "0123456789abcdef0123456789abcdef" in proc.stderr
    assert not swift.exists(key_prefix + "dst")


def test_missing_bucket_exits_1_naming_it(backends, key_prefix, tmp_path):
    backends("minio")
    src = tmp_path / "x"
    src.write_bytes(b"x")
    proc = run_cli("cp", f"file://{src}", f"s3://minio@no-such-bucket-oc/{key_prefix}x")
    assert proc.returncode == 1
    assert "NoSuchBucket" in proc.stderr and "no-such-bucket-oc" in proc.stderr


def test_verbose_shows_requests_without_secrets(backends, key_prefix):
    swift = backends("swift")
    minio = backends("minio")
    swift.put(key_prefix + "src", b"verbose")
    proc = run_cli("--verbose", "cp", swift.url(key_prefix + "src"), minio.url(key_prefix + "dst"), check=True)
    assert "> PUT http://127.0.0.1:19000/" in proc.stderr and "<redacted>" in proc.stderr
    for secret in ("testing", "minioadmin", "AUTH_tk"):
        assert secret not in proc.stderr.replace("test:tester", "")


def test_ls_and_rm(backends, key_prefix):
    local = backends("local")
    for name in ("a", "b"):
        local.put(key_prefix + name, name.encode())
    proc = run_cli("ls", local.url(key_prefix), "--json", check=True)
    assert [json.loads(line)["url"] for line in proc.stdout.splitlines()] == [
        local.url(key_prefix + "a"), local.url(key_prefix + "b")]
    assert run_cli("rm", local.url(key_prefix + "a"), "--if-match", "ffff").returncode == 3
    run_cli("rm", local.url(key_prefix + "a"), check=True)
    assert not local.exists(key_prefix + "a")


@pytest.mark.parametrize("src_name", BACKEND_NAMES)
def test_cp_into_a_folder_keeps_the_name(backends, key_prefix, src_name, tmp_path):
    src = backends(src_name)
    src.skip_gap("cli")
    src.put(key_prefix + "named.txt", b"named")
    run_cli("cp", src.url(key_prefix + "named.txt"), f"file://{tmp_path}/", check=True)
    assert (tmp_path / "named.txt").read_bytes() == b"named"


def test_http_proxy_from_the_environment_is_used(backends, key_prefix):
    from ..counting_proxy import CountingProxy
    minio = backends("minio")
    minio.put(key_prefix + "via-proxy", b"p")
    proxy = CountingProxy("http://unused.invalid")
    try:
        proc = run_cli("head", minio.url(key_prefix + "via-proxy"), "--json",
                       env={"HTTP_PROXY": proxy.url, "http_proxy": proxy.url, "NO_PROXY": None, "no_proxy": None})
        assert proc.returncode == 0, proc.stderr
        assert [(m, p.split("?")[0]) for m, p, _ in proxy.requests] == [
            ("HEAD", f"http://127.0.0.1:19000/{minio.bucket}/{key_prefix}via-proxy")]
    finally:
        proxy.close()
