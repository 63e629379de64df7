"""`objectcopy sync` on every store: what it copies, skips and prunes, --include/--exclude on both sides,
--dry-run, --json, the progress line on a terminal, and bad input as one line naming the flag."""
from __future__ import annotations

import json
import os
import pty
import subprocess

from ..conftest import run_cli


def sync(*args: str) -> dict:
    return json.loads(run_cli("sync", *args, "--json", check=True).stdout)


def test_sync_copies_skips_and_prunes_only_selected_keys(backend, key_prefix):
    backend.skip_gap("cli")
    b = backend
    for rel in ("a.txt", "db/b.sql", "db/c.sql", "x.tmp"):
        b.put(f"{key_prefix}src/{rel}", rel.encode())
    b.put(f"{key_prefix}dst/keep.tmp", b"excluded: never deleted")
    b.put(f"{key_prefix}dst/db/c.sql", b"db/c.sql")  # already in sync: skipped
    src, dst = b.url(key_prefix + "src/"), b.url(key_prefix + "dst/")

    dry = sync(src, dst, "--exclude", "*.tmp", "--dry-run", "--prune")
    assert (sorted(dry["copy"]), dry["prune"], dry["skipped"]) == (["a.txt", "db/b.sql"], [], 1)
    assert not b.exists(f"{key_prefix}dst/a.txt")

    first = sync(src, dst, "--exclude", "*.tmp")
    assert {k: first[k] for k in ("copied", "skipped", "pruned", "failed", "bytes")} == \
        {"copied": 2, "skipped": 1, "pruned": 0, "failed": 0, "bytes": len(b"a.txt") + len(b"db/b.sql")}
    assert b.get(f"{key_prefix}dst/db/b.sql") == b"db/b.sql" and not b.exists(f"{key_prefix}dst/x.tmp")

    b.put(f"{key_prefix}src/a.txt", b"a, changed")
    b.put(f"{key_prefix}dst/stray.txt", b"no source")
    lines = run_cli("sync", src, dst, "--exclude", "*.tmp", "--prune", "--dry-run", check=True).stdout
    assert f"would copy {b.url(key_prefix + 'src/a.txt')} -> {b.url(key_prefix + 'dst/a.txt')} (changed)" in lines
    assert f"would delete {b.url(key_prefix + 'dst/stray.txt')}" in lines
    assert "dry run: 1 to copy (10 B), 2 already in sync, 1 to delete" in lines
    summary = run_cli("sync", src, dst, "--exclude", "*.tmp", "--prune", check=True).stdout
    assert "1 copied (10 B), 2 skipped (in sync), 1 pruned, 0 failed" in summary
    assert b.get(f"{key_prefix}dst/a.txt") == b"a, changed" and not b.exists(f"{key_prefix}dst/stray.txt")
    assert b.get(f"{key_prefix}dst/keep.tmp") == b"excluded: never deleted"
    assert sync(src, dst, "--exclude", "*.tmp", "--prune")["copied"] == 0


def test_sync_between_stores(backends, key_prefix):
    minio, local = backends("minio"), backends("local")
    for i in range(5):
        minio.put(f"{key_prefix}src/d{i % 2}/o{i}", os.urandom(100 + i))
    out = sync(minio.url(key_prefix + "src/"), local.url(key_prefix + "dst/"), "--include", "d1/**")
    assert out["copied"] == 2 and local.get(f"{key_prefix}dst/d1/o1") == minio.get(f"{key_prefix}src/d1/o1")
    assert not local.exists(f"{key_prefix}dst/d0/o0")


def test_progress_line_on_a_terminal_only(backends, key_prefix, tmp_path):
    minio = backends("minio")
    for i in range(40):
        minio.put(f"{key_prefix}src/o{i:02d}", b"x" * 1024)
    args = ["sync", minio.url(key_prefix + "src/"), f"file://{tmp_path}/dst/"]
    piped = run_cli(*args, check=True)
    assert "objects/s" not in piped.stderr
    leader, follower = pty.openpty()
    exe = run_cli("--version").args[0]
    proc = subprocess.run([exe, *args[:2], f"file://{tmp_path}/dst2/"], stdout=subprocess.PIPE, stderr=follower,
                          timeout=120)
    os.close(follower)
    screen = os.read(leader, 65536).decode()
    os.close(leader)
    assert proc.returncode == 0
    assert "40/40 objects, 40.0 KiB/40.0 KiB" in screen and "objects/s" in screen and "ETA" in screen, screen


def test_bad_input_is_one_line_naming_the_flag(backends, key_prefix):
    local = backends("local")
    src, dst = local.url(key_prefix + "src/"), local.url(key_prefix + "dst/")
    for args, message in (
            ((src, dst, "--exclude", "[ab"), "--exclude: '[ab': '[' opens a character class that is never closed"),
            ((local.url(key_prefix + "src"), dst), "SRC-PREFIX: "),
            ((src, dst, "--concurrency", "0"), "--concurrency: must be 1 or more")):
        proc = run_cli("sync", *args)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
