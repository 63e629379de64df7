"""The live progress of `objectcopy cp` on a terminal (a pseudo-terminal here): a bar redrawn as bytes move, on every
path (file to file included), with the rate, the elapsed time and an ETA, never wider than the terminal; a counter of
objects and bytes for `cp --recursive`; nothing when stderr is not a terminal or with --json."""
from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios

from ..conftest import run_cli

MiB = 1 << 20
COLUMNS = 120
PERCENT = re.compile(r"\]\s+(\d+\.\d)%")


def sparse(path, size: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def on_a_terminal(*args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run `objectcopy ARGS` with stderr on a pseudo-terminal COLUMNS wide; (the process, the frames drawn on it)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    exe = run_cli("--version").args[0]
    proc = subprocess.Popen([exe, *args], stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError as e:  # EIO: the process closed its end
            assert e.errno == errno.EIO
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    proc.stdout_text = proc.stdout.read()
    proc.wait(120)
    frames = [f.replace("\x1b[K", "").strip() for f in screen.decode().split("\r")]
    return proc, [f for f in frames if f]


def test_a_file_to_file_copy_shows_a_live_bar_with_elapsed_time_and_eta(tmp_path):
    src = sparse(tmp_path / "src" / "big.bin", 256 * MiB)
    proc, frames = on_a_terminal("cp", f"file://{src}", f"file://{tmp_path}/out/big.bin")
    assert proc.returncode == 0, frames
    bars = [f for f in frames if PERCENT.search(f)]
    moving = [f for f in bars if 0 < float(PERCENT.search(f).group(1)) < 100]
    assert len(moving) >= 2, f"the bar was not redrawn as the bytes moved: {frames}"
    percents = [float(PERCENT.search(f).group(1)) for f in bars]
    assert percents == sorted(percents) and percents[-1] == 100.0, percents
    assert all("elapsed 0:" in f and "ETA " in f and "MiB/s" in f for f in moving), moving
    assert any(re.search(r"ETA \d+:\d\d", f) for f in moving), moving
    assert bars[-1].startswith("big.bin [" + "#" * 30 + "] 100.0%  256.0 MiB/256.0 MiB"), bars[-1]
    assert all(len(f) < COLUMNS for f in frames), max(frames, key=len)
    assert proc.stdout_text.startswith(f"copied file://{src} -> file://{tmp_path}/out/big.bin")


def test_nothing_is_drawn_with_json_or_off_a_terminal(tmp_path):
    src = sparse(tmp_path / "src" / "big.bin", 8 * MiB)
    proc, frames = on_a_terminal("cp", f"file://{src}", f"file://{tmp_path}/a.bin", "--json")
    assert proc.returncode == 0 and frames == [], frames
    piped = run_cli("cp", f"file://{src}", f"file://{tmp_path}/b.bin", check=True)
    assert piped.stderr == ""
    piped = run_cli("cp", "--recursive", f"file://{src.parent}/", f"file://{tmp_path}/c/", check=True)
    assert piped.stderr == ""


def test_a_recursive_copy_counts_objects_and_bytes(tmp_path):
    for n in range(4):
        sparse(tmp_path / "tree" / f"f{n}.bin", 32 * MiB)
    proc, frames = on_a_terminal("cp", "--recursive", "--concurrency", "1", f"file://{tmp_path}/tree/",
                                 f"file://{tmp_path}/out/")
    assert proc.returncode == 0, frames
    counts = [f for f in frames if f.startswith("objects ")]
    assert counts and counts[0].startswith("objects 0/4  0 B/128.0 MiB"), counts
    assert counts[-1].startswith("objects 4/4  128.0 MiB/128.0 MiB") and "elapsed 0:" in counts[-1], counts
    done = [int(re.match(r"objects (\d)/4", f).group(1)) for f in counts]
    assert done == sorted(done) and {1, 2, 3} <= set(done), counts
    assert any(re.search(r"ETA \d+:\d\d", f) for f in counts), counts
    lines = proc.stdout_text.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["copied"] * 4 and lines[-1].startswith("4 copied"), lines
