"""`objectcopy` for scripts: under --json a failure is JSON on stdout ({"error": {"code", "message", "url",
"exit_code"}}); --dry-run says what a copy or a delete would do, after the checks, and writes nothing."""
from __future__ import annotations

import json

import pytest

from .test_cli_inputs import cli


def json_error(proc) -> dict:
    assert proc.stderr == "" and "Traceback" not in proc.stdout, proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["exit_code"] == proc.returncode and set(error) == {"code", "message", "url", "exit_code"}
    return error


def test_a_failed_copy_is_json_with_its_type_and_url(backends, key_prefix):
    minio = backends("minio")
    missing, dst = minio.url(key_prefix + "missing"), minio.url(key_prefix + "dst")
    error = json_error(cli("cp", missing, dst, "--json"))
    assert (error["code"], error["exit_code"], error["url"]) == ("NotFound", 1, missing)
    minio.put(key_prefix + "src", b"data")
    src = minio.url(key_prefix + "src")
    error = json_error(cli("cp", src, dst, "--json", "--if-match", "0123456789abcdef0123456789abcdef"))
    assert (error["code"], error["exit_code"], error["url"]) == ("PreconditionFailed", 3, src)
    assert "if-match failed" in error["message"] and not minio.exists(key_prefix + "dst")
    error = json_error(cli("cp", src, dst, "--json", "--if-match", "not an etag"))
    assert (error["code"], error["exit_code"]) == ("UsageError", 2)
    assert error["message"].startswith("--if-match: 'not an etag' is not an ETag")


@pytest.mark.parametrize("args,code,exit_code", [
    (["head", "s3://minio@{bucket}/{prefix}missing", "--json"], "NotFound", 1),
    (["ls", "gs://bucket/", "--json"], "UsageError", 2),
    (["cleanup", "s3://minio@{bucket}/", "--older-than", "-1d", "--json"], "UsageError", 2),
    (["drift", "--state", "/nonexistent/state.json", "--json"], "UsageError", 2),
    (["cp", "--json", "s3://minio@{bucket}/{prefix}a"], "UsageError", 2),            # argparse: DST missing
    (["cp", "--json", "--concurrency", "many", "file:///a", "file:///b"], "UsageError", 2),
    (["cp", "--json", "file:///a", "s3://nope@b/k"], "ConfigError", 2),
])
def test_every_subcommand_with_json_fails_in_json(backends, key_prefix, args, code, exit_code):
    minio = backends("minio")
    proc = cli(*(a.format(bucket=minio.bucket, prefix=key_prefix) for a in args))
    error = json_error(proc)
    assert (error["code"], error["exit_code"]) == (code, exit_code), error


def test_without_json_a_failure_stays_one_line_of_text(backends, key_prefix):
    minio = backends("minio")
    proc = cli("head", minio.url(key_prefix + "missing"))
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.startswith("objectcopy: error: ")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_dry_run_of_one_copy_says_what_and_how_and_writes_nothing(backends, key_prefix):
    minio, local = backends("minio"), backends("local")
    minio.put(key_prefix + "big", b"x" * (6 * 1024 * 1024))
    src, dst = minio.url(key_prefix + "big"), minio.url(key_prefix + "copy")
    proc = cli("cp", src, dst, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"would copy {src} -> {dst} (6291456 bytes, etag ")
    assert "server-side); nothing was written" in proc.stdout
    out = json.loads(cli("cp", src, local.url(key_prefix + "big"), "--dry-run", "--json", "--multipart-threshold",
                         "5MiB", "--part-size", "5MiB").stdout)
    assert (out["dry_run"], out["method"], out["parts"], out["part_size"]) == (True, "streamed-multipart", 2, 5 << 20)
    assert not minio.exists(key_prefix + "copy") and not local.exists(key_prefix + "big")
    # The checks a copy would make come first: the source's preconditions, the destination's --no-overwrite.
    failed = cli("cp", src, dst, "--dry-run", "--if-match", "0123456789abcdef0123456789abcdef")
    assert failed.returncode == 3 and "if-match failed" in failed.stderr
    minio.put(key_prefix + "copy", b"already here")
    exists = cli("cp", src, dst, "--dry-run", "--no-overwrite")
    assert exists.returncode == 3 and "already exists" in exists.stderr
    assert minio.get(key_prefix + "copy") == b"already here"


def test_dry_run_of_rm_deletes_nothing(backends, key_prefix):
    minio = backends("minio")
    minio.put(key_prefix + "keep", b"keep")
    url = minio.url(key_prefix + "keep")
    proc = cli("rm", url, "--dry-run")
    assert proc.returncode == 0 and proc.stdout.startswith(f"would delete {url} (4 bytes, etag ")
    wrong = cli("rm", url, "--dry-run", "--if-match", "0123456789abcdef0123456789abcdef")
    assert wrong.returncode == 3 and "not deleting" in wrong.stderr
    gone = cli("rm", minio.url(key_prefix + "gone"), "--dry-run")
    assert gone.returncode == 0 and "would delete nothing" in gone.stdout
    assert minio.get(key_prefix + "keep") == b"keep"
    bad = cli("rm", url, "--if-match", "a b")
    assert bad.returncode == 2 and "--if-match: 'a b' is not an ETag" in bad.stderr  # was exit 3
