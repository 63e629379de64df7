"""`objectcopy cp` for many objects and large ones: --recursive, --dry-run, part options, the progress bar, and
`objectcopy cleanup` of stale multipart uploads."""
from __future__ import annotations

import json
import os
import pty
import subprocess

from ..conftest import run_cli


def test_recursive_copy_skips_what_is_in_sync(backends, key_prefix):
    minio, local = backends("minio"), backends("local")
    for name in ("a.txt", "dir/b.txt", "dir/sub/c.txt"):
        minio.put(f"{key_prefix}src/{name}", name.encode())
    src, dst = minio.url(key_prefix + "src/"), local.url(key_prefix + "dst/")
    dry = json.loads(run_cli("cp", "--recursive", "--dry-run", src, dst, "--json", check=True).stdout)
    assert len(dry["planned"]) == 3 and not local.exists(key_prefix + "dst/a.txt")
    first = json.loads(run_cli("cp", "-r", src, dst, "--json", check=True).stdout)
    assert sorted(r["destination"] for r in first["copied"]) == sorted(
        local.url(f"{key_prefix}dst/{n}") for n in ("a.txt", "dir/b.txt", "dir/sub/c.txt"))
    assert local.get(key_prefix + "dst/dir/sub/c.txt") == b"dir/sub/c.txt"
    minio.put(f"{key_prefix}src/dir/b.txt", b"changed")
    again = run_cli("cp", "-r", src, dst, check=True).stdout
    assert "1 copied, 2 already in sync, 0 failed" in again
    assert local.get(key_prefix + "dst/dir/b.txt") == b"changed"


def test_part_options_make_a_multipart_copy(backends, key_prefix):
    minio = backends("minio")
    minio.put(key_prefix + "big", os.urandom(11 * 1024 * 1024))
    out = json.loads(run_cli("cp", minio.url(key_prefix + "big"), minio.url(key_prefix + "copy"), "--json",
                             "--multipart-threshold", "5MiB", "--part-size", "5MiB", "--concurrency", "2",
                             check=True).stdout)
    assert out["method"] == "server-side-multipart" and out["etag"].endswith("-3")
    bad = run_cli("cp", minio.url(key_prefix + "big"), minio.url(key_prefix + "x"), "--part-size", "1MiB",
                  "--multipart-threshold", "1")
    assert bad.returncode == 2 and "--part-size: 1MiB is below the smallest part s3:// accepts (5 MiB)" in bad.stderr


def test_progress_bar_on_a_terminal_only(backends, key_prefix, tmp_path):
    minio = backends("minio")
    minio.put(key_prefix + "big", os.urandom(11 * 1024 * 1024))
    args = ["cp", minio.url(key_prefix + "big"), f"file://{tmp_path}/big", "--part-size", "5MiB",
            "--multipart-threshold", "5MiB"]
    piped = run_cli(*args, check=True)
    assert "[" not in piped.stderr
    leader, follower = pty.openpty()
    exe = run_cli("--version").args[0]
    proc = subprocess.run([exe, *args], stdout=subprocess.PIPE, stderr=follower, timeout=120)
    os.close(follower)
    screen = os.read(leader, 65536).decode()
    os.close(leader)
    assert proc.returncode == 0
    assert "100.0%" in screen and "part 3/3" in screen and "#" * 30 in screen


def test_cleanup_aborts_stale_uploads(backends, key_prefix):
    minio = backends("minio")
    c = minio.client
    upload = c.create_multipart_upload(Bucket=minio.bucket, Key=key_prefix + "orphan")["UploadId"]
    prefix = minio.url(key_prefix)
    listed = json.loads(run_cli("cleanup", prefix, "--older-than", "0s", "--dry-run", "--json", check=True).stdout)
    assert [u["upload_id"] for u in listed] == [upload]
    assert run_cli("cleanup", prefix, "--json", check=True).stdout.strip() == "[]"  # younger than the 1d default
    run_cli("cleanup", prefix, "--older-than", "0s", check=True)
    left = c.list_multipart_uploads(Bucket=minio.bucket).get("Uploads", [])  # no Prefix: MinIO's is exact-key
    assert [u for u in left if u["Key"].startswith(key_prefix)] == []
    bad = run_cli("cleanup", prefix, "--older-than", "soon")
    assert bad.returncode == 2 and "--older-than: 'soon' is not an age" in bad.stderr
