"""The plugin's CopiedPrefix from a YAML program (programs/prefix) through the real `pulumi` CLI, on local files and
MinIO: up with include and exclude globs, a no-op preview, a changed, a new and a removed source object shown by
preview (with the counts line), refresh of an object edited by hand and the up that restores exactly that one,
`pulumi import` by SOURCE,DESTINATION, destroy that leaves what it did not write (with the warning). The record of
what the resource wrote is kept in the state and never displayed, even with --diff and --show-full-output."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from .cli import Project
from .test_programs import store_urls

PROGRAM = Path(__file__).parent / "programs" / "prefix"
TOKEN = "objectcopy:index:CopiedPrefix"
GOLDEN = {"db/a.sql": b"a v1\n", "db/b.sql": b"b v1\n", "assets/logo.svg": b"<svg/>\n", "drafts/x.md": b"draft\n",
          "tmp.tmp": b"scratch\n", "notes.txt": b"not included\n"}
COPIED = ("db/a.sql", "db/b.sql", "assets/logo.svg")
RECORD = "ocr1:"  # how the record of what the resource wrote starts, wherever it would be printed
SHOW_ALL = ("--diff", "--show-full-output")


def delete_by_hand(backend, key: str) -> None:
    if backend.scheme == "file":
        (backend.root / key).unlink()
    else:
        backend.client.delete_object(Bucket=backend.bucket, Key=key)


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("store", ["local", "minio"])
def test_prefix_from_a_yaml_program(store, pulumi_bin, tmp_path, backends):
    backend = backends(store)
    project = Project(pulumi_bin, tmp_path, PROGRAM).stack(f"prefix-{store}")
    url = store_urls(project, backend)
    root = f"yp-{uuid.uuid4().hex[:8]}/"
    src, dst = root + "golden/", root + "env/"
    for rel, data in GOLDEN.items():
        backend.put(src + rel, data)
    backend.put(dst + "user.txt", b"not this resource's\n")
    project.config("source", url(src))
    project.config("destination", url(dst))
    shown: list[str] = []  # what preview, up, refresh, import and destroy printed

    def run(*args: str, check: bool = True):
        proc = project.run(*args, check=check)
        shown.append(proc.stdout + proc.stderr)
        return proc

    run("up", "--yes", *SHOW_ALL)
    assert {rel: backend.get(dst + rel) for rel in COPIED} == {rel: GOLDEN[rel] for rel in COPIED}
    assert not any(backend.exists(dst + rel) for rel in ("drafts/x.md", "tmp.tmp", "notes.txt"))
    assert project.outputs() == {"objectCount": 3, "lastSync": "3 copied", "writtenCount": 3}
    recorded = project.resource("assets")["outputs"]
    run("preview", "--expect-no-changes", *SHOW_ALL)

    # The source changed: one object edited, one new, one removed.
    backend.put(src + "db/a.sql", b"a v2, changed\n")
    backend.put(src + "db/new.sql", b"new\n")
    delete_by_hand(backend, src + "assets/logo.svg")
    preview = run("preview", *SHOW_ALL)
    diff = preview.stdout
    assert diff.count(f"~ {TOKEN}: (update)") == 1 and re.search(r'~ sourceDigest\s*: "\w+" => "\w+"', diff)
    # what the update will do, in counts and the first keys: an info diagnostic, which the engine prints on stderr
    counts = "1 changed, 1 new, 1 gone from the source: db/a.sql, db/new.sql, assets/logo.svg"
    assert counts in preview.stderr, preview.stdout + preview.stderr
    assert backend.get(dst + "db/a.sql") == b"a v1\n"
    run("up", "--yes", *SHOW_ALL)
    assert backend.get(dst + "db/a.sql") == b"a v2, changed\n" and backend.get(dst + "db/new.sql") == b"new\n"
    assert project.outputs()["lastSync"] == "2 copied, 1 unchanged, 1 kept (gone from the source; prune is off)"
    run("preview", "--expect-no-changes")

    # Edited by hand: refresh records it, the next up restores that object and no other.
    backend.put(dst + "db/b.sql", b"edited by hand\n")
    refreshed = run("refresh", "--yes", "--diff").stdout  # refresh has no --show-full-output
    assert project.resource("assets")["outputs"]["drift"] == "1 edited by hand: db/b.sql", refreshed
    up = run("up", "--yes", *SHOW_ALL)
    assert "1 edited by hand: db/b.sql: will restore them" in up.stderr, up.stdout + up.stderr
    assert backend.get(dst + "db/b.sql") == b"b v1\n"
    assert project.outputs()["lastSync"].startswith("1 copied, 2 unchanged")
    run("preview", "--expect-no-changes")

    # Import: what is there is adopted; the id has no globs, so what they leave out has no copy, and the up that
    # records the program's globs copies nothing.
    flags = ("--yes", "--generate-code=false", "--protect=false")
    wrong = run("import", TOKEN, "other", f"{url(src)},{url(root + 'elsewhere/')}", *flags, check=False)
    assert wrong.returncode != 0 and "none of the 6 objects under" in wrong.stdout, wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr
    project.run("state", "delete", project.resource("assets")["urn"], "--yes")
    imported = run("import", TOKEN, "assets", f"{url(src)},{url(dst)}", *flags).stdout
    assert "adopted 3 of the 6 objects under the source; 3 have no copy here yet (drafts/x.md, notes.txt, " \
        "tmp.tmp)" in imported, imported
    run("up", "--yes", *SHOW_ALL)
    assert project.outputs()["lastSync"] == "0 copied, 3 unchanged"
    run("preview", "--expect-no-changes")

    # Destroy: deletes what this resource wrote; the user's object and one edited by hand stay, with a warning.
    backend.put(dst + "db/a.sql", b"someone else's now\n")
    destroy = run("destroy", "--yes", *SHOW_ALL)
    destroyed = destroy.stdout + destroy.stderr  # with --diff the engine prints diagnostics on stderr
    assert re.search(r"warning: CopiedPrefix: deleted 2 objects under .*; left 1 this resource wrote but changed "
                     r"since \(db/a.sql\) and 2 it did not write", destroyed), destroyed
    assert backend.get(dst + "db/a.sql") == b"someone else's now\n" and backend.exists(dst + "user.txt")
    assert backend.exists(dst + "assets/logo.svg")                      # not written by the imported resource
    assert not any(backend.exists(dst + rel) for rel in ("db/b.sql", "db/new.sql"))

    printed = [text for text in shown if RECORD in text]
    assert not printed, printed[0]
    assert recorded["__written"].startswith(RECORD) and "written" not in recorded  # kept, under an internal key
