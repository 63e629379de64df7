"""Local files when the operating system says no: a full disk, a read-only file system, a folder or file that may not
be read or written, a name or a path too long, a source that is a folder, a destination under a file. Each is one
line naming the URL and the reason, exit 1, never a traceback, and nothing is left behind: no temp file, no folder
made for the copy, no partial destination. `cp --recursive` counts such failures and goes on with the others."""
from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from pulumi_objectcopy.resources.copied_object import CopiedObjectProvider
from pulumi_objectcopy.stores.base import ObjectCopyError, SourceConditions, WriteOptions
from pulumi_objectcopy.stores.local import LocalStore
from pulumi_objectcopy.urls import parse

from ._local import MiB, cli, everything_under, one_error_line, sparse, temp_files, tmpfs, unprivileged  # noqa: F401 - fixtures

FULL = "no space left on the device (ENOSPC)"
READ_ONLY = "read-only file system (EROFS)"
DENIED = "permission denied (EACCES)"


@pytest.fixture
def big(tmp_path):
    """A 3 MiB source: more than the 1 MiB file systems below hold."""
    return sparse(tmp_path / "src" / "big.bin", 3 * MiB)


def test_disk_full_is_one_line_and_leaves_no_temp_file_or_folder(tmpfs, big):
    fs = tmpfs("1m")
    (fs / "kept").mkdir()
    dst = f"file://{fs}/new/deeper/big.bin"  # two folders made for this copy
    one_error_line(cli("cp", f"file://{big}", dst), dst, FULL)
    assert everything_under(fs) == ["kept"]
    one_error_line(cli("cp", f"file://{big}", f"file://{fs}/kept/big.bin"), f"file://{fs}/kept/big.bin", FULL)
    assert everything_under(fs) == ["kept"]


def test_folders_made_before_a_mkdir_fails_part_way_down_are_removed(tmpfs, big):
    fs = tmpfs("1m,nr_inodes=6")  # the root and 5 more: the sixth folder down cannot be made
    dst = f"file://{fs}/" + "d/" * 8 + "big.bin"
    one_error_line(cli("cp", f"file://{big}", dst), dst, FULL)
    assert everything_under(fs) == []


def test_disk_full_in_pulumi_names_the_destination_not_the_temp_file(tmpfs, big):
    fs = tmpfs("1m")
    dst = f"file://{fs}/seed/big.bin"
    provider = CopiedObjectProvider()
    checked = provider.check({}, {"source": f"file://{big}", "destination": dst})
    assert not checked.failures
    with pytest.raises(Exception) as failed:
        provider.create(checked.inputs)
    message = str(failed.value)
    assert dst in message and FULL in message and ".objectcopy-tmp" not in message, message
    assert everything_under(fs) == []


def test_read_only_file_system(tmpfs, big):
    fs = tmpfs("1m", read_only=True, prepare=lambda root: (root / "there").mkdir())
    for dst in (f"file://{fs}/there/big.bin", f"file://{fs}/new/big.bin"):
        one_error_line(cli("cp", f"file://{big}", dst), dst, READ_ONLY)
    assert everything_under(fs) == ["there"]


def test_a_folder_that_may_not_be_written(tmp_path, big, unprivileged):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    for dst in (f"file://{locked}/big.bin", f"file://{locked}/new/big.bin"):
        one_error_line(cli("cp", f"file://{big}", dst, prefix=unprivileged), dst, DENIED)
    assert everything_under(locked) == []


def test_a_source_that_may_not_be_read(tmp_path, big, unprivileged):
    big.chmod(0)
    one_error_line(cli("cp", f"file://{big}", f"file://{tmp_path}/out/big.bin", prefix=unprivileged),
                   f"file://{big}", DENIED)
    assert not (tmp_path / "out").exists()


def test_a_name_too_long_is_refused_before_anything_is_made(tmp_path, big):
    name = "n" * 300
    dst = f"file://{tmp_path}/out/{name}"
    one_error_line(cli("cp", f"file://{big}", dst), "DST", "is 300 bytes", "255 bytes", exit_code=2)
    assert not (tmp_path / "out").exists()


def test_a_path_too_deep_is_refused_before_anything_is_made(tmp_path, big):
    # 2100 levels: past PATH_MAX (4096 bytes) part way down, where a plain makedirs would make hundreds of folders
    dst = f"file://{tmp_path}/out/" + "d/" * 2100 + "big.bin"
    one_error_line(cli("cp", f"file://{big}", dst), "DST", "4,095 bytes", exit_code=2)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("tail", ["n" * 300, "d/" * 2100 + "big.bin"], ids=["name", "path"])
def test_the_store_maps_a_name_too_long_and_leaves_no_folders(tmp_path, tail):
    """Below the command's checks (a caller of the store, a file system with smaller limits), the operating
    system's ENAMETOOLONG is one line naming the URL, and the folders made on the way down are removed."""
    url = parse(f"file://{tmp_path}/out/{tail}")
    with pytest.raises(ObjectCopyError) as failed:
        LocalStore(None).write(url, b"x", 1, options=WriteOptions())
    message = str(failed.value)
    assert "ENAMETOOLONG" in message and message.startswith(f"file://{tmp_path}/out/") and "\n" not in message
    assert not (tmp_path / "out").exists()


def test_a_source_that_is_a_folder(tmp_path, big):
    one_error_line(cli("cp", f"file://{big.parent}", f"file://{tmp_path}/x.bin"), f"file://{big.parent}",
                   "is a directory")
    assert not (tmp_path / "x.bin").exists()


def test_a_destination_that_is_a_folder_or_under_a_file(tmp_path, big):
    (tmp_path / "afolder").mkdir()
    one_error_line(cli("cp", f"file://{big}", f"file://{tmp_path}/afolder"), f"file://{tmp_path}/afolder",
                   "is a directory")
    assert everything_under(tmp_path / "afolder") == []
    under = f"file://{big}/x/y.bin"
    one_error_line(cli("cp", f"file://{big}", under), under,
                   "a parent of this path is a file")
    assert big.stat().st_size == 3 * MiB and everything_under(big.parent) == ["big.bin"]


# --- many at once -----------------------------------------------------------------------------------------------------
def test_recursive_counts_a_full_disk_and_goes_on(tmpfs, tmp_path):
    src = tmp_path / "tree"
    small = os.urandom(100 * 1024)
    for name, data in (("a.bin", small), ("b.bin", os.urandom(2 * MiB)), ("c/d.bin", small)):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    fs = tmpfs("1m")
    proc = cli("cp", "--recursive", "--concurrency", "1", f"file://{src}/", f"file://{fs}/out/")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "2 copied, 0 already in sync, 1 failed", proc.stdout
    [failed] = [line for line in lines if line.startswith("failed ")]
    assert f"file://{src}/b.bin" in failed and f"file://{fs}/out/b.bin" in failed and FULL in failed, failed
    assert everything_under(fs) == ["out", "out/a.bin", "out/c", "out/c/d.bin"]
    assert hashlib.md5((fs / "out/c/d.bin").read_bytes()).digest() == hashlib.md5(small).digest()


def test_recursive_counts_what_cannot_be_read_and_goes_on(tmp_path, unprivileged):
    src = tmp_path / "tree"
    for name in ("a.bin", "locked/x.bin", "secret.bin", "z.bin"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(name.encode())
    (src / "locked").chmod(0)
    (src / "secret.bin").chmod(0)
    dst = tmp_path / "out"
    proc = cli("cp", "--recursive", f"file://{src}/", f"file://{dst}/", prefix=unprivileged)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "2 copied, 0 already in sync, 2 failed", proc.stdout
    failed = sorted(line for line in lines if line.startswith("failed "))
    assert len(failed) == 2, proc.stdout
    assert f"file://{src}/locked/: cannot list: {DENIED}" in failed[0], failed
    assert f"file://{src}/secret.bin: cannot read: {DENIED}" in failed[1], failed
    assert everything_under(dst) == ["a.bin", "z.bin"] and temp_files(tmp_path) == []


@pytest.mark.parametrize("size, reason", [(5000, FULL), (70_000, "too large for this file system (E2BIG)")])
def test_metadata_the_file_system_cannot_hold_is_an_error_not_lost(tmp_path, size, reason):
    """ext4 keeps a file's extended attributes in one block (about 4 KiB: ENOSPC past it); no file system takes a
    value over 64 KiB (E2BIG). Either way the copy fails, naming the URL, rather than dropping the metadata."""
    kind = subprocess.run(["stat", "-f", "-c", "%T", str(tmp_path)], capture_output=True, text=True).stdout.strip()
    if size < 65536 and not kind.startswith("ext"):
        pytest.skip(f"the 4 KiB limit is ext4's; {tmp_path} is on {kind or 'an unknown file system'}")
    store, src = LocalStore(None), tmp_path / "src.bin"
    src.write_bytes(b"x")
    dst = parse(f"file://{tmp_path}/out/dst.bin")
    with pytest.raises(ObjectCopyError) as failed:
        store.copy(store.head(parse(f"file://{src}")), dst, conditions=SourceConditions(),
                   options=WriteOptions(metadata_directive="REPLACE", metadata={"big": "v" * size}))
    assert str(failed.value).startswith(f"{dst}: cannot store its metadata ") and reason in str(failed.value)
    assert not (tmp_path / "out").exists()
