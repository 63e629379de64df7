"""objectcopy_copied_prefix through the real terraform, on local files and MinIO: apply a prefix with include and
exclude globs, a second plan is empty (exit 0), a changed, a new and a removed source object are an update (exit 2)
whose counts line terraform shows, an object edited by hand shows after refresh and the next apply restores
exactly that one, prune deletes what the resource wrote and no more, import by SOURCE,DESTINATION, destroy leaves
an object it did not write (with the warning). No plan prints the record of what the resource wrote."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from .test_terraform_cli import CONFIG as OBJECT_CONFIG
from .test_terraform_cli import PROVIDER_BLOCKS, delete_by_hand
from .tfcli import Terraform, install_mirror

HEADER = OBJECT_CONFIG[:OBJECT_CONFIG.index("resource ")]  # required_providers and {provider}
CONFIG = HEADER + """resource "objectcopy_copied_prefix" "assets" {{
  source      = "{source}"
  destination = "{destination}"
  include     = ["db/**", "assets/**", "drafts/**", "*.tmp"]
  exclude     = ["*.tmp", "drafts/**"]
  prune       = {prune}
}}

output "last_sync" {{ value = objectcopy_copied_prefix.assets.last_sync }}
output "written_count" {{ value = objectcopy_copied_prefix.assets.written_count }}
"""
GOLDEN = {"db/a.sql": b"a v1\n", "db/b.sql": b"b v1\n", "assets/logo.svg": b"<svg/>\n", "drafts/x.md": b"draft\n",
          "tmp.tmp": b"scratch\n", "notes.txt": b"not included\n"}
COPIED = ("db/a.sql", "db/b.sql", "assets/logo.svg")
RECORD = "ocr1:"  # how the record of what the resource wrote starts, wherever it would be printed


def outputs(tf: Terraform) -> dict:
    return {k: v["value"] for k, v in json.loads(tf.run("output", "-json")).items()}


def scenario(tf: Terraform, backend, url, provider_block: str = "") -> None:
    root = f"tfp-{uuid.uuid4().hex[:8]}/"
    src, dst = root + "golden/", root + "env/"
    for rel, data in GOLDEN.items():
        backend.put(src + rel, data)
    backend.put(dst + "user.txt", b"not this resource's\n")
    config = dict(provider=provider_block, source=url(src), destination=url(dst))
    tf.write(CONFIG.format(**config, prune="false"))
    shown = [tf.run("init", "-input=false")]

    planned = tf.plan(2)
    shown.append(planned)
    assert re.search(r"\+ object_count +\= 3\n", planned) and re.search(r"\+ source_digest += \"", planned), planned
    shown.append(tf.apply())
    assert {rel: backend.get(dst + rel) for rel in COPIED} == {rel: GOLDEN[rel] for rel in COPIED}
    assert not any(backend.exists(dst + rel) for rel in ("drafts/x.md", "tmp.tmp", "notes.txt"))
    assert outputs(tf) == {"last_sync": "3 copied", "written_count": 3}
    shown.append(tf.plan(0))

    # The source changed: one object edited, one new, one removed.
    backend.put(src + "db/a.sql", b"a v2, changed\n")
    backend.put(src + "db/new.sql", b"new\n")
    delete_by_hand(backend, src + "assets/logo.svg")
    changed = tf.plan(2)
    shown.append(changed)
    assert "will be updated in-place" in changed and re.search(r"~ source_digest += \"\w+\" -> \"", changed), changed
    assert "1 changed, 1 new, 1 gone from the source: db/a.sql, db/new.sql, assets/logo.svg" in changed, changed
    shown.append(tf.apply())
    assert backend.get(dst + "db/a.sql") == b"a v2, changed\n" and backend.get(dst + "db/new.sql") == b"new\n"
    assert backend.exists(dst + "assets/logo.svg")                      # prune is off: kept
    assert outputs(tf)["last_sync"] == "2 copied, 1 unchanged, 1 kept (gone from the source; prune is off)"
    shown.append(tf.plan(0))

    # Edited by hand: refresh shows it, the next apply restores that object and no other.
    backend.put(dst + "db/b.sql", b"edited by hand\n")
    refreshed = tf.run("apply", "-refresh-only", "-auto-approve", "-input=false")
    shown.append(refreshed)
    assert "changed outside of Terraform" in refreshed and "1 edited by hand: db/b.sql" in refreshed, refreshed
    drift = tf.plan(2)
    shown.append(drift)
    assert "1 edited by hand: db/b.sql: will restore them" in drift, drift
    shown.append(tf.apply())
    assert backend.get(dst + "db/b.sql") == b"b v1\n"
    assert outputs(tf)["last_sync"].startswith("1 copied, 2 unchanged")
    shown.append(tf.plan(0))

    # Prune: what this resource wrote and whose source is gone; the user's object stays.
    tf.write(CONFIG.format(**config, prune="true"))
    shown.append(tf.plan(2))
    shown.append(tf.apply())
    assert not backend.exists(dst + "assets/logo.svg") and backend.exists(dst + "user.txt")
    assert outputs(tf)["written_count"] == 3
    shown.append(tf.plan(0))

    # Import: what is there is adopted as it is. The id has no globs, so what they leave out has no copy: the
    # import says so, and the apply that records the configuration's globs copies nothing.
    tf.run("state", "rm", "objectcopy_copied_prefix.assets")
    wrong = tf.run("import", "objectcopy_copied_prefix.assets", f"{url(src)},{url(root + 'elsewhere/')}", rc=1)
    assert f"none of the 6 objects under {url(src)} has a copy under {url(root + 'elsewhere/')}" in wrong, wrong
    assert "Traceback" not in wrong
    imported = tf.run("import", "objectcopy_copied_prefix.assets", f"{url(src)},{url(dst)}")
    shown.append(imported)
    assert "adopted 3 of the 6 objects under the source; 3 have no copy here yet (drafts/x.md, notes.txt, " \
        "tmp.tmp)" in imported.replace("\n", " "), imported
    shown.append(tf.plan(2))
    shown.append(tf.apply())
    assert outputs(tf) == {"last_sync": "0 copied, 3 unchanged", "written_count": 3}
    shown.append(tf.plan(0))

    # Destroy: deletes what this resource wrote; the user's object and one edited by hand stay, with a warning.
    backend.put(dst + "db/a.sql", b"someone else's now\n")
    destroyed = tf.run("destroy", "-auto-approve", "-input=false")
    shown.append(destroyed)
    assert "Warning:" in destroyed and "left 1 this resource wrote but changed since (db/a.sql) and 1 it did " \
        "not write" in destroyed.replace("\n", " "), destroyed
    assert backend.get(dst + "db/a.sql") == b"someone else's now\n" and backend.exists(dst + "user.txt")
    assert not backend.exists(dst + "db/b.sql") and not backend.exists(dst + "db/new.sql")
    assert all(backend.exists(src + rel) for rel in ("db/a.sql", "db/b.sql", "db/new.sql"))  # only read

    printed = [text for text in shown if RECORD in text]
    assert not printed, printed[0]


# About 25 terraform commands of 3 to 5 provider starts each.
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("store", ["local", "minio"])
def test_prefix_through_terraform(store, backends, tmp_path):
    backend = backends(store)
    url = backend.url
    if store == "minio":
        url = lambda key: f"s3://tfminio@{backend.bucket}/{key}"  # noqa: E731 - the provider block's profile
    tf = Terraform("terraform", tmp_path / "work", install_mirror(tmp_path))
    scenario(tf, backend, url, PROVIDER_BLOCKS.get(store, ""))
