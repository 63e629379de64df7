"""`objectcopy` refuses bad input up front: one line naming the flag (or the setting and its file) as the user
wrote it, exit 2, and nothing sent or written; the same rules as CopiedObject's preview."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import MINIO_ENDPOINT


def cli(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed command, bounded: a setting that made it hang fails the test instead of the run."""
    exe = shutil.which("objectcopy", path=str(Path(sys.executable).parent)) or "objectcopy"
    merged = {**os.environ, **(env or {})}
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout,
                          env={k: v for k, v in merged.items() if v is not None})


def refused(proc: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 2 with one line on stderr holding `words`, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("objectcopy: error: "), proc.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.fixture
def seed(tmp_path):
    src = tmp_path / "src" / "seed.bin"
    src.parent.mkdir()
    src.write_bytes(b"seed data")
    dst = tmp_path / "dst"
    dst.mkdir()
    return f"file://{src}", dst


def nothing_in(folder: Path) -> bool:
    return not any(folder.rglob("*"))


@pytest.mark.parametrize("flags,words", [
    (["--if-match", "not an etag"], ["--if-match: 'not an etag' is not an ETag"]),   # was exit 3, "if-match failed"
    (["--if-match", "*"], ["--if-match: '*' is not an ETag"]),
    (["--if-none-match", "a b"], ["--if-none-match: 'a b' is not an ETag"]),
    (["--dest-if-match", "x y"], ["--dest-if-match: 'x y' is not an ETag"]),
    (["--if-modified-since", "yesterday"], ["--if-modified-since: 'yesterday' is not a date"]),
    (["--if-unmodified-since", "0001-01-01T00:00:00+01:00"], ["--if-unmodified-since: ", "is not a date"]),
    (["--meta", "Env=dev"], ["--meta: key 'Env' must be lower-case"]),             # was lower-cased silently
    (["--meta", "note=a\rb"], ["--meta: the value of 'note'", "line break"]),
    (["--metadata-directive", "REPLACE"], ["--meta: --metadata-directive REPLACE with no --meta"]),  # was allowed
    (["--content-type", "text/plain\r\nX-Evil: 1"], ["--content-type: ", "line break"]),
    (["--cache-control", "\x01"], ["--cache-control: ", "control character"]),
    (["--content-disposition", "日本"], ["--content-disposition: ", "outside Latin-1"]),
    (["--content-encoding", " gzip"], ["--content-encoding: ", "begins with a space"]),
    (["--version-id", "v\n1"], ["--version-id: ", "line break"]),
    (["--tags", "env=a\nb"], ["--tags: tag 'env'"]),
    (["--tags", "novalue"], ["--tags: 'novalue' must be KEY=VALUE"]),
    (["--tagging-directive", "MERGE"], ["--tagging-directive: invalid choice: 'MERGE'"]),
    (["--acl", "world-writable"], ["--acl: 'world-writable' is not a canned ACL"]),
    (["--storage-class", "COLD STORAGE"], ["--storage-class: 'COLD STORAGE' must be a class name"]),
    (["--server-side-encryption", "AES128"], ["--server-side-encryption: 'AES128' is not one of AES256"]),
    (["--server-side-encryption", "SM4", "--kms-key-id", "k"], ["--kms-key-id: needs --server-side-encryption"]),
    (["--part-size", "0"], ["--part-size: '0' is no size"]),
    (["--part-size", "lots"], ["--part-size: 'lots' is not a size"]),
    (["--multipart-threshold", "0"], ["--multipart-threshold: '0' is no size"]),
    (["--concurrency", "0"], ["--concurrency: 0 is no number of requests; give 1 or more"]),
])
def test_a_bad_flag_is_exit_2_naming_it_and_nothing_is_written(seed, flags, words):
    src, dst = seed
    refused(cli("cp", src, f"file://{dst}/copy.bin", *flags), *words)
    assert nothing_in(dst)


@pytest.mark.parametrize("dst_text,words", [
    ("s3://bucket/a/../seed.bin", ["DST: 's3://bucket/a/../seed.bin' has a '..' path segment"]),
    ("swift://c/./seed.bin", ["DST: 'swift://c/./seed.bin' has a '.' path segment"]),
    ("s3://bucket/" + "k" * 1025, ["DST: the name is 1,025 bytes long (UTF-8), over the 1,024 bytes s3:// allows"]),
    ("oss://bucket/" + "é" * 512, ["DST: the name is 1,024 bytes long", "over the 1,023 bytes oss://"]),
])
def test_a_destination_no_store_can_take_is_refused_before_any_request(seed, dst_text, words):
    src, _ = seed
    # Nothing listens at that endpoint: a request would be a connection error (exit 1), not a usage error.
    env = {"OBJECTCOPY_ENDPOINT_S3": "http://127.0.0.1:9", "OBJECTCOPY_ENDPOINT_OSS": "http://127.0.0.1:9",
           "OBJECTCOPY_ENDPOINT_SWIFT": "http://127.0.0.1:9/auth/v1.0", "AWS_ACCESS_KEY_ID": "k",
           "AWS_SECRET_ACCESS_KEY": "s", "OSS_ACCESS_KEY_ID": "k", "OSS_ACCESS_KEY_SECRET": "s", "OSS_REGION": "r",
           "ST_USER": "u", "ST_KEY": "k"}
    refused(cli("cp", src, dst_text, env=env), *words)


def test_a_local_name_too_long_is_refused_and_no_folder_is_left(seed):
    src, dst = seed
    refused(cli("cp", src, f"file://{dst}/deep/{'n' * 256}"), "DST: ", "256 bytes long",
            "over the 255 bytes a name in a file:// path may have")
    refused(cli("cp", src, f"file://{dst}" + "/dir" * 1024), "DST: the path is", "over the 4,095 bytes file://")
    assert nothing_in(dst)


def test_sizes_are_checked_against_the_destination_even_when_no_parts_are_used(backends, key_prefix, seed):
    minio = backends("minio")
    src, _ = seed
    refused(cli("cp", src, minio.url(key_prefix + "x"), "--part-size", "1KB"),
            "--part-size: 1KB is below the smallest part s3:// accepts (5 MiB)")
    refused(cli("cp", src, minio.url(key_prefix + "x"), "--part-size", "100TB"),
            "--part-size: 100TB is above the largest part s3:// accepts (5 GiB)")
    refused(cli("cp", src, minio.url(key_prefix + "x"), "--multipart-threshold", "10TiB"),
            "--multipart-threshold: 10TiB is above the largest object s3:// takes in one request (5 GiB)")
    assert not minio.exists(key_prefix + "x")


@pytest.mark.parametrize("env,words", [
    ({"OBJECTCOPY_MAX_REQUESTS": "0"}, ["OBJECTCOPY_MAX_REQUESTS='0' is not a number of requests from 1 to"]),
    ({"OBJECTCOPY_MAX_REQUESTS": "abc"}, ["OBJECTCOPY_MAX_REQUESTS='abc'"]),
    ({"OBJECTCOPY_ENDPOINT_S3": "127.0.0.1:19000"}, ["OBJECTCOPY_ENDPOINT_S3: '127.0.0.1:19000' must start with"]),
    ({"OBJECTCOPY_ENDPOINT_S4": "http://h"}, ["OBJECTCOPY_ENDPOINT_S4: 's4' is not a scheme with an endpoint"]),
    ({"OBJECTCOPY_LOG": "loud"}, ["OBJECTCOPY_LOG='loud' is not a log level"]),
])
def test_a_bad_environment_setting_is_refused_up_front_never_a_hang(seed, env, words):
    """OBJECTCOPY_MAX_REQUESTS=0 made every request wait forever for a slot; =abc was a traceback."""
    src, dst = seed
    refused(cli("cp", src, f"file://{dst}/copy.bin", env=env, timeout=30), *words)
    assert nothing_in(dst)


@pytest.mark.parametrize("text,words", [
    ('[lab]\nscheme = "s3"\n', ["{path}: lab outside the [profiles] table"]),
    ('[profiles]\nlab = "s3"\n', ["{path}: profile 'lab' must be a table of settings"]),
    ('[profiles.lab]\nscheme = "s3"\nendpoint = "minio:9000"\n', ["{path}: profile 'lab': endpoint: 'minio:9000'"]),
    ('[profiles.lab]\nscheme = "s3"\nconcurrency = "16"\n', ["{path}: profile 'lab': concurrency: must be a whole"]),
    ('[profiles.lab]\nscheme = "s3"\npart_size = "1KB"\nendpoint = "http://127.0.0.1:9"\n'
     'access_key_id_env = "HOME"\nsecret_access_key_env = "HOME"\n',
     ["profile 'lab': part_size: 1000 is below the smallest part s3:// accepts (5 MiB)"]),
    ("not toml [", ["profiles file {path}: "]),
])
def test_a_profiles_file_of_the_wrong_shape_is_refused_naming_the_file(seed, tmp_path, text, words):
    src, dst = seed
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    refused(cli("cp", src, "s3://lab@bucket/copy.bin", env={"OBJECTCOPY_PROFILES": str(path)}),
            *(word.format(path=path) for word in words))


@pytest.mark.parametrize("age,words", [
    ("-1d", ["--older-than: '-1d' is negative"]), ("infd", ["--older-than: 'infd' is not an age"]),
    ("nan", ["--older-than: 'nan' is not an age"]), ("1e400d", ["--older-than: '1e400d' is not an age"]),
    ("99999999999d", ["--older-than: '99999999999d' is more than a century"]),
])
def test_cleanup_refuses_an_age_that_would_reach_running_copies(backends, age, words):
    minio = backends("minio")
    refused(cli("cleanup", minio.url(""), f"--older-than={age}"), *words)


def test_a_recursive_copy_into_its_own_source_is_refused(seed, backends, key_prefix):
    src, _ = seed
    folder = Path(src[len("file://"):]).parent
    refused(cli("cp", "-r", f"file://{folder}/", f"file://{folder}/backup/"),
            f"DST: file://{folder}/backup/ is inside SRC file://{folder}/")
    assert sorted(p.name for p in folder.iterdir()) == ["seed.bin"]
    minio = backends("minio")
    minio.put(key_prefix + "a/x", b"x")
    refused(cli("cp", "-r", minio.url(key_prefix), minio.url(key_prefix + "a/copy/")), "is inside SRC")
    assert not minio.exists(key_prefix + "a/copy/a/x")
    ok = cli("cp", "-r", minio.url(key_prefix + "a/"), minio.url(key_prefix + "b/"))  # siblings are fine
    assert ok.returncode == 0 and minio.get(key_prefix + "b/x") == b"x"


def test_verbose_never_prints_an_endpoints_password(backends, key_prefix, tmp_path):
    minio = backends("minio")
    minio.put(key_prefix + "k", b"k")
    path = tmp_path / "profiles.toml"
    path.write_text('[profiles.basic]\nscheme = "s3"\nprovider = "minio"\naddressing = "path"\n'
                    f'endpoint = "{MINIO_ENDPOINT.replace("http://", "http://admin:hunter2-pw@")}"\n'
                    'access_key_id_env = "OC_TEST_MINIO_KEY"\nsecret_access_key_env = "OC_TEST_MINIO_SECRET"\n')
    proc = cli("--verbose", "head", f"s3://basic@{minio.bucket}/{key_prefix}k", env={"OBJECTCOPY_PROFILES": str(path)})
    assert "> HEAD http://<redacted>@127.0.0.1:19000/" in proc.stderr
    assert "hunter2-pw" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_max_requests_0_is_refused_instead_of_waiting_forever_for_a_slot(backends, key_prefix, tmp_path):
    minio = backends("minio")
    minio.put(key_prefix + "src", b"s")
    proc = cli("cp", minio.url(key_prefix + "src"), f"file://{tmp_path}/dst", env={"OBJECTCOPY_MAX_REQUESTS": "0"},
               timeout=30)
    refused(proc, "OBJECTCOPY_MAX_REQUESTS='0'")
    assert not (tmp_path / "dst").exists()
