"""The released versions whose stacks the current code must keep working, and a venv of each, built from this
repository's history into ${OBJECTCOPY_CACHE:-~/.cache/objectcopy}/releases/<tag>/ (`git archive` of the commit, then
`pip install` of that folder). A built release is reused: the second run costs nothing.

A new release joins RELEASES with one line (and its tag: `git tag vX.Y.Z <commit>`).

    python -m tests.compat.releases            # build every release, print tag and venv
    python -m tests.compat.releases v0.1.0     # one
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# tag -> commit. The commit is what the test builds: a clone without the tag (or a CI clone that could not fetch
# tags) still finds the release by its commit.
RELEASES: dict[str, str] = {
    "v0.1.0": "cdc620328b00eb041384bf285a031f29261174d3",
}


class ReleaseUnavailable(Exception):
    """A listed release cannot be built here; the message says why and what to do."""


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, timeout=120)


def resolve(tag: str) -> str:
    """The commit to build for `tag`: the listed commit, checked against the tag when the clone has the tag."""
    commit = RELEASES[tag]
    tagged = _git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}")
    if tagged.returncode == 0 and tagged.stdout.decode().strip() != commit:
        raise ReleaseUnavailable(f"tag {tag} points to {tagged.stdout.decode().strip()}, but tests/compat/releases.py "
                                 f"lists {tag} as {commit}: one of them is wrong")
    if _git("rev-parse", "--git-dir").returncode != 0:
        raise ReleaseUnavailable(f"release {tag} (commit {commit}) cannot be built: {ROOT} is not a git clone, and "
                                 f"the test builds each release from the repository's history")
    if _git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        shallow = _git("rev-parse", "--is-shallow-repository").stdout.decode().strip() == "true"
        why = "this clone is shallow" if shallow else "this clone does not hold that commit"
        raise ReleaseUnavailable(f"release {tag} (commit {commit}) cannot be built: {why}; fetch the history and "
                                 f"tags (`git fetch --unshallow --tags`, as .ci/run does when it has a remote)")
    return commit


def cache_root() -> Path:
    return Path(os.environ.get("OBJECTCOPY_CACHE") or Path.home() / ".cache" / "objectcopy") / "releases"


def venv(tag: str) -> Path:
    """The venv of release `tag` (its python is venv/bin/python), built on first use. Concurrent sessions wait for
    one another's build instead of building twice."""
    commit = resolve(tag)
    home = cache_root() / tag
    home.mkdir(parents=True, exist_ok=True)
    stamp = f"{commit} {sys.version_info.major}.{sys.version_info.minor}\n"
    built = home / "built"
    if built.exists() and built.read_text() == stamp:
        return home / "venv"
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built.exists() and built.read_text() == stamp):
            built.unlink(missing_ok=True)
            _build(tag, commit, home)
            built.write_text(stamp)
    return home / "venv"


def _build(tag: str, commit: str, home: Path) -> None:
    for old in ("src", "venv"):
        shutil.rmtree(home / old, ignore_errors=True)
    with tempfile.TemporaryFile() as archive:
        proc = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], stdout=archive,
                              stderr=subprocess.PIPE, timeout=120)
        if proc.returncode != 0:
            raise ReleaseUnavailable(f"git archive {commit} ({tag}) failed: {proc.stderr.decode().strip()}")
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(home / "src", filter="data")
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True, timeout=300)
    log = home / "install.log"
    with open(log, "w") as out:
        proc = subprocess.run([str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet",
                               "--disable-pip-version-check", str(home / "src")], stdout=out, stderr=out,
                              timeout=900)
    if proc.returncode != 0:
        raise ReleaseUnavailable(f"pip install of release {tag} failed ({proc.returncode}); see {log}:\n"
                                 + log.read_text()[-2000:])


def main(argv: list[str]) -> int:
    for tag in argv or list(RELEASES):
        try:
            print(tag, venv(tag))
        except (ReleaseUnavailable, KeyError) as e:
            print(f"{tag}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
