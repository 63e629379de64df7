"""Local copies interrupted or disturbed part way: a source that grows or shrinks while it is read, SIGTERM (as a
service manager or `kill` sends it), a process killed outright (whose temp file `objectcopy cleanup` sweeps), and the
Pulumi provider stopped by its engine. Each copy is frozen part way with SIGSTOP once its temp file holds bytes (or,
in process, held by its progress callback), so what happens next does not depend on the machine's speed."""
from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.resources import engine_watch
from pulumi_objectcopy.stores.base import ObjectCopyError
from pulumi_objectcopy.urls import parse

from ._local import (MiB, cli, everything_under, one_error_line, pause_mid_copy, pause_when_read, resume, sparse, start,
                     temp_files)

SIZE = 64 * MiB


@pytest.fixture
def src(tmp_path) -> Path:
    return sparse(tmp_path / "src" / "big.bin", SIZE)


def _finish(proc) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    proc.stdout, proc.stderr, proc.returncode = out, err, proc.returncode  # what one_error_line reads
    return proc.returncode, out, err


@pytest.mark.parametrize("change", ["grows", "shrinks"])
def test_a_source_that_changes_size_mid_copy_fails_and_leaves_nothing(tmp_path, src, change):
    dst_dir = tmp_path / "out"
    dst_dir.mkdir()
    (dst_dir / "big.bin").write_bytes(b"the previous copy")
    proc = start("cp", f"file://{src}", f"file://{dst_dir}/big.bin")
    tmp = pause_mid_copy(proc, dst_dir)
    assert tmp.stat().st_size + 2 * MiB < SIZE, "paused too late to change the source under the copy"
    with open(src, "r+b") as f:
        if change == "grows":
            f.seek(0, os.SEEK_END)
            f.write(b"appended while it was copied")
        else:
            f.truncate(tmp.stat().st_size + 2 * MiB)
    resume(proc)
    _finish(proc)
    # The pinned ETag failing is a failed precondition on every store: exit 3, and nothing was copied.
    one_error_line(proc, f"file://{src}", "changed while it was copied", exit_code=3)
    assert everything_under(dst_dir) == ["big.bin"] and (dst_dir / "big.bin").read_bytes() == b"the previous copy"


def test_a_source_that_grows_while_it_is_streamed_to_s3_fails_and_leaves_nothing(src, backends, key_prefix):
    minio = backends("minio")
    dst = minio.url(key_prefix + "big.bin")
    cli("head", f"file://{src}")  # its MD5 is cached: the only read of it by `cp` is the copy's own
    proc = start("cp", f"file://{src}", dst)
    pos = pause_when_read(proc, src, at_least=8 * MiB)
    assert pos + 2 * MiB < SIZE, "paused too late to change the source under the copy"
    with open(src, "ab") as f:
        f.write(b"appended while it was copied")
    resume(proc)
    _finish(proc)
    one_error_line(proc, f"file://{src}", "changed while it was copied", exit_code=3)
    assert not minio.exists(key_prefix + "big.bin")


def test_sigterm_mid_copy_removes_the_temp_file_as_ctrl_c_does(tmp_path, src):
    dst_dir = tmp_path / "out"
    proc = start("cp", f"file://{src}", f"file://{dst_dir}/new/big.bin")
    pause_mid_copy(proc, tmp_path / "out")
    os.kill(proc.pid, signal.SIGTERM)  # delivered when it runs again
    resume(proc)
    code, _, err = _finish(proc)
    assert code == 128 + signal.SIGTERM and err.strip() == "objectcopy: terminated", (code, err)
    assert not dst_dir.exists(), everything_under(dst_dir)  # no temp file, and no folder made for the copy


def test_cleanup_sweeps_the_temp_file_of_a_killed_copy_and_nothing_else(tmp_path, src):
    dst_dir = tmp_path / "out"
    dst_dir.mkdir()
    mine = dst_dir / ".objectcopy-tmp-notes.txt"  # a user's file that starts like ours
    mine.write_text("mine")
    proc = start("cp", f"file://{src}", f"file://{dst_dir}/big.bin")
    debris = pause_mid_copy(proc, dst_dir, ignore=(mine,))
    os.kill(proc.pid, signal.SIGKILL)  # nothing can clean up after that
    proc.wait()
    assert sorted(temp_files(dst_dir)) == sorted([debris, mine])
    prefix = f"file://{dst_dir}/"

    listed = cli("ls", prefix)
    assert listed.returncode == 0 and str(mine) in listed.stdout and debris.name not in listed.stdout, listed.stdout
    young = cli("cleanup", prefix)  # the default --older-than 1d leaves a copy that may still be running
    assert young.returncode == 0 and young.stdout.splitlines() == ["0 stale temp file(s) older than 1d"], young.stdout
    dry = cli("cleanup", prefix, "--older-than", "0s", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0].startswith(f"would remove file://{debris} (a temp file of an interrupted copy")
    assert dry.stdout.splitlines()[1:] == ["1 stale temp file(s) older than 0s"] and debris.exists()
    as_json = json.loads(cli("cleanup", prefix, "--older-than", "0s", "--dry-run", "--json").stdout)
    assert [u["url"] for u in as_json] == [f"file://{debris}"]

    swept = cli("cleanup", prefix, "--older-than", "0s")
    assert swept.returncode == 0 and swept.stdout.startswith(f"removed file://{debris}"), swept.stdout
    assert everything_under(dst_dir) == [mine.name] and mine.read_text() == "mine"


class HeldCopy:
    """A copy into a local file run in this process, held by its progress callback once part of it is written."""

    def __init__(self, src: Path, dst: str):
        self.written, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(src, dst))
        self.thread.start()
        assert self.written.wait(60), "the copy never started writing"

    def _progress(self, done: int, total: int, _parts_done: int, _parts: int) -> None:
        if 0 < done < total and not self.written.is_set():
            self.written.set()
            self.release.wait(60)

    def _run(self, src: Path, dst: str) -> None:
        try:
            transfer.copy_object(parse(f"file://{src}"), parse(dst), progress=self._progress)
        except BaseException as e:  # noqa: BLE001 - the test reads it
            self.error = e

    def finish(self) -> BaseException | None:
        self.release.set()
        self.thread.join(60)
        return self.error


def test_the_provider_stopped_by_its_engine_removes_its_local_temp_file(tmp_path, src):
    """engine_watch's Watcher, once the engine is gone, aborts what this process has open: the local temp file of a
    copy in flight too, and that copy stops."""
    dst_dir = tmp_path / "out"
    held = HeldCopy(src, f"file://{dst_dir}/new/big.bin")
    assert len(temp_files(dst_dir)) == 1
    exits: list[int] = []
    watcher = engine_watch.Watcher(("127.0.0.1", 9), refuses=lambda _address: True, exit_process=exits.append)
    watcher.run()
    assert exits == [engine_watch.EXIT_ENGINE_GONE]
    assert not dst_dir.exists(), everything_under(dst_dir)  # removed while the copy was still held
    error = held.finish()
    assert isinstance(error, ObjectCopyError) and "the copy was stopped" in str(error), repr(error)
    assert not dst_dir.exists()
