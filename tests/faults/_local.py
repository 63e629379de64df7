"""Shared pieces of the local-file fault tests: small file systems mounted by the test (a tmpfs of 1 MiB, one
remounted read-only), a command run without root's right to ignore permissions, a copy paused mid-way, and what a
user checks afterwards (one error line, nothing left behind)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MiB = 1 << 20
EXE = shutil.which("objectcopy", path=str(Path(sys.executable).parent)) or "objectcopy"
# Root ignores permission bits: drop the two capabilities that let it, keeping its uid (so the venv stays readable).
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                "--inh-caps=-dac_override,-dac_read_search", "--"]


def cli(*args: str, prefix: list[str] | tuple = (), timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, EXE, *args], capture_output=True, text=True, timeout=timeout)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_error_line(proc, *names: str, exit_code: int = 1) -> str:
    """The command failed with `exit_code` and said so in one line naming each of `names`, with no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode == exit_code, f"exit {proc.returncode}, expected {exit_code}: {proc.stderr}"
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("objectcopy: error: "), err
    for name in names:
        assert name in err, f"{name!r} is not in: {err}"
    return err


def everything_under(root: Path) -> list[str]:
    """Every file and folder under root (hidden ones too), relative to it."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def temp_files(root: Path) -> list[Path]:
    """The hidden temp files of copies (`.objectcopy-tmp-` and a random part)."""
    return [p for p in root.rglob(".objectcopy-tmp-*")]


# --- file systems ---------------------------------------------------------------------------------------------------
def _mount(*args: str) -> str | None:
    """None when it worked, else why not."""
    if not shutil.which("mount"):
        return "no mount command here"
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    return None if proc.returncode == 0 else f"mount {' '.join(args)}: {proc.stderr.strip()} (needs root)"


def _umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def tmpfs(tmp_path):
    """tmpfs(size="1m", read_only=False, prepare=None) -> a folder on a fresh tmpfs of that size; `prepare(root)` runs
    before a read-only remount. Skipped, with the reason, where mounting is not permitted."""
    mounted: list[Path] = []

    def make(size: str = "1m", *, read_only: bool = False, prepare=None) -> Path:
        root = tmp_path / f"fs{len(mounted)}"
        root.mkdir()
        why = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(root))
        if why:
            pytest.skip(f"a small file system is mounted for this test, and cannot be here: {why}")
        mounted.append(root)
        if prepare:
            prepare(root)
        if read_only:
            why = _mount("-o", "remount,ro", str(root))
            if why:
                pytest.skip(f"a read-only file system is made for this test, and cannot be here: {why}")
        return root

    yield make
    for root in reversed(mounted):
        _umount(root)


@pytest.fixture
def unprivileged(tmp_path):
    """The prefix that runs a command subject to permission bits. As root: setpriv without the capabilities that
    bypass them; skipped, with the reason, where that cannot be done."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("permissions are ignored by root, and setpriv (util-linux), which drops that right, is missing")
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    if subprocess.run([*UNPRIVILEGED, "cat", str(probe)], capture_output=True).returncode == 0:
        pytest.skip("setpriv could not drop root's right to ignore permissions here")
    return UNPRIVILEGED


def sparse(path: Path, size: int) -> Path:
    """A file of `size` zero bytes, made at once (sparse); reading it costs what reading any file does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


# --- a copy paused mid-way ------------------------------------------------------------------------------------------
def pause_mid_copy(proc: subprocess.Popen, folder: Path, *, at_least: int = 1, timeout: float = 60,
                   ignore: tuple[Path, ...] = ()) -> Path:
    """Wait until the copy's temp file in `folder` (any but `ignore`) holds at least `at_least` bytes, then stop the
    process (SIGSTOP) and return the temp file: the copy is frozen part way, whatever the machine's speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the copy ended before it was paused: {proc.communicate()}"
        for tmp in temp_files(folder):
            if tmp in ignore:
                continue
            try:
                if tmp.stat().st_size >= at_least:
                    os.kill(proc.pid, signal.SIGSTOP)
                    os.waitpid(proc.pid, os.WUNTRACED)  # returns once the process is stopped
                    return tmp
            except FileNotFoundError:
                continue
        os.sched_yield()
    raise AssertionError(f"no temp file of {at_least} bytes appeared in {folder} within {timeout} s")


def pause_when_read(proc: subprocess.Popen, path: Path, *, at_least: int, timeout: float = 60) -> int:
    """Wait until the process has read `at_least` bytes of `path` through one open file (its offset, from
    /proc/PID/fdinfo), then stop it (SIGSTOP); the offset it was stopped at."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the copy ended before it was paused: {proc.communicate()}"
        for fd in os.listdir(f"/proc/{proc.pid}/fd"):
            try:
                if os.readlink(f"/proc/{proc.pid}/fd/{fd}") != str(path):
                    continue
                with open(f"/proc/{proc.pid}/fdinfo/{fd}") as info:
                    pos = int(next(line for line in info if line.startswith("pos:")).split()[1])
            except (OSError, StopIteration):
                continue  # closed meanwhile
            if pos >= at_least:
                os.kill(proc.pid, signal.SIGSTOP)
                os.waitpid(proc.pid, os.WUNTRACED)
                return pos
        os.sched_yield()
    raise AssertionError(f"{path} was not read up to {at_least} bytes within {timeout} s")


def resume(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGCONT)
