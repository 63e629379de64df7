"""CopiedPrefix's decisions and the sync engine's pieces over plain data, on local files: no server, no Pulumi."""
from __future__ import annotations

import os

import pytest

from pulumi_objectcopy import core
from pulumi_objectcopy.core import UNKNOWN, Context
from pulumi_objectcopy.core.copied_prefix import PLANS
from pulumi_objectcopy.stores.base import ObjectCopyError, PreconditionFailed
from pulumi_objectcopy.sync import record as records
from pulumi_objectcopy.sync.filters import KeyFilter
from pulumi_objectcopy.sync.listing import Entry
from pulumi_objectcopy.sync.plan import plan_stateless
from pulumi_objectcopy.urls import parse

R = core.resource("CopiedPrefix")


def tree(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def files_under(root) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def prefixes(tmp_path):
    src, dst = tmp_path / "golden", tmp_path / "env"
    tree(src, {"a.txt": "a", "db/b.sql": "b", "db/c.sql": "c", "x.tmp": "t", "drafts/d.md": "d"})
    news = {"source": f"file://{src}/", "destination": f"file://{dst}/", "exclude": ["*.tmp", "drafts/**"]}
    return src, dst, news


def up(news, state=None, ctx=None):
    """What an engine does: check, diff against the state, create or update when something changed."""
    checked = R.check(news, state)
    assert checked.failures == ()
    if state is None:
        return R.create(checked.inputs, ctx or Context())
    diff = R.diff(state["destination"], state, checked.inputs)
    if not diff.changed:
        return None
    return R.update(state["destination"], state, checked.inputs, ctx or Context())


@pytest.mark.parametrize("pattern, selected, left_out", [
    ("*.tmp", [], ["a.tmp", "x/y/z.tmp"]),
    ("drafts/**", ["x/drafts/a", "drafts"], ["drafts/a", "drafts/b/c"]),
    ("db/*.sql", ["x/db/a.sql", "db/x/a.sql"], ["db/a.sql"]),
    ("**/x.txt", ["y.txt"], ["x.txt", "a/b/x.txt"]),
    ("[!a]b?", ["abd", "c/bd"], ["cbd", "q/cbd"]),
])
def test_globs_follow_rclone_and_gitignore(pattern, selected, left_out):
    keys = KeyFilter.of(exclude=[pattern])
    assert [k for k in selected + left_out if keys.selects(k)] == selected
    only = KeyFilter.of(include=[pattern])
    assert [k for k in selected + left_out if only.selects(k)] == left_out


def test_record_round_trips_awkward_keys_and_stays_small():
    awkward = {"a b/c d.txt", "ünïcødé/ファイル.bin", "a+b/c++.txt", "100%/a%20b%2F.txt", "what?/is=this&that",
               "tag#1/#x.txt", "~home/~x", "", "\udcff-not-utf8"}
    record = {k: records.Written.of(f"etag-{k}", f"etag-{k}" if i % 2 else "other") for i, k in enumerate(awkward)}
    assert records.decode(records.encode(record)) == record
    many = {f"d{i // 1000:03d}/obj-{i:06d}.bin": records.Written.of(f"{i:032x}", f"{i:032x}") for i in range(20_000)}
    text = records.encode(many)
    assert records.decode(text) == many
    assert len(text) / len(many) < 12  # bytes a key, base64 included
    with pytest.raises(records.RecordError, match="damaged"):
        records.decode(text[:-12])
    with pytest.raises(records.RecordError, match="format"):
        records.decode("[{'key': 'a'}]")


def test_lifecycle_copy_noop_changes_drift_prune_destroy(prefixes):
    src, dst, news = prefixes
    checked = R.check(news)
    assert (checked.inputs["object_count"], checked.inputs["total_bytes"]) == (3, 3)
    planned = R.plan(None, checked.inputs)
    assert planned["source_digest"] == checked.inputs["source_digest"] and planned["written"] is UNKNOWN
    state = R.create(checked.inputs, Context()).state
    assert files_under(dst) == {"a.txt": "a", "db/b.sql": "b", "db/c.sql": "c"}
    assert (state["copied_count"], state["written_count"], state["last_sync"]) == (3, 3, "3 copied")
    assert {k: state[k] for k in planned if planned[k] is not UNKNOWN} == \
        {k: v for k, v in planned.items() if v is not UNKNOWN}

    assert up(news, state) is None  # nothing changed: no update at all

    (src / "a.txt").write_text("a2")
    (src / "new.txt").write_text("n")
    (src / "db/b.sql").unlink()
    checked = R.check(news, state)
    diff = R.diff(state["destination"], state, checked.inputs)
    assert [c.property for c in diff.changes] == ["source_digest"] and not diff.replaces
    assert diff.changes[0].reason == ("1 changed, 1 new, 1 gone from the source: a.txt, new.txt, db/b.sql; gone "
                                      "objects are kept (prune is off)")
    state = R.update(state["destination"], state, checked.inputs, Context()).state
    assert files_under(dst) == {"a.txt": "a2", "db/b.sql": "b", "db/c.sql": "c", "new.txt": "n"}
    assert state["last_sync"] == "2 copied, 1 unchanged, 1 kept (gone from the source; prune is off)"
    assert (state["copied_count"], state["written_count"]) == (2, 4)

    (dst / "a.txt").write_text("edited by hand")
    (dst / "new.txt").unlink()
    read = R.read(state["destination"], state, Context())
    assert (read.state["drift"], read.state["drifted_count"]) == ("1 edited and 1 deleted by hand: a.txt, new.txt", 2)
    diff = R.diff(read.id, read.state, R.check(news, read.inputs).inputs)
    assert [c.property for c in diff.changes] == ["drift"]
    state = up(news, read.state).state
    assert files_under(dst)["a.txt"] == "a2" and (dst / "new.txt").read_text() == "n"
    assert state["last_sync"].startswith("2 copied, 1 unchanged") and state["drifted_count"] == 0

    state = up({**news, "prune": True}, state).state
    assert not (dst / "db/b.sql").exists() and "1 pruned" in state["last_sync"]

    (dst / "db/c.sql").write_text("theirs now")
    (dst / "user.txt").write_text("never ours")
    warnings = R.delete(state["destination"], state, Context())
    assert files_under(dst) == {"db/c.sql": "theirs now", "user.txt": "never ours"}
    assert warnings == (f"CopiedPrefix: deleted 2 objects under file://{dst}/; left 1 this resource wrote but "
                        "changed since (db/c.sql) and 1 it did not write",)


def test_objects_already_in_place_are_adopted_not_copied(prefixes):
    src, dst, news = prefixes
    tree(dst, {"a.txt": "a", "db/b.sql": "someone else's"})
    before = os.stat(dst / "a.txt").st_mtime_ns
    state = up(news).state
    assert os.stat(dst / "a.txt").st_mtime_ns == before  # same content: taken over, not written
    assert files_under(dst)["db/b.sql"] == "b"            # other content at a source key: copied over
    assert state["last_sync"] == "2 copied, 1 adopted" and state["written_count"] == 3
    R.delete(state["destination"], state, Context())
    assert files_under(dst) == {}  # adopted objects count as written by the resource


def test_a_source_changed_between_plan_and_update_in_another_process_is_refused(prefixes):
    src, dst, news = prefixes
    checked = R.check(news)
    PLANS.clear()  # the update runs where this check's listing is not at hand
    (src / "a.txt").write_text("changed after the plan")
    with pytest.raises(PreconditionFailed, match="changed since it was planned"):
        R.create(checked.inputs, Context())
    assert not dst.exists()


def test_a_source_object_changed_after_listing_fails_its_copy_and_the_next_run_converges(prefixes):
    src, dst, news = prefixes
    checked = R.check(news)
    (src / "db/b.sql").write_text("changed after listing")  # the plan's listing is used: this copy's pin fails
    with pytest.raises(PreconditionFailed, match=r"1 of 3 objects changed at the source since it was planned "
                                                 r"\(db/b.sql\) and were not copied; 2 were copied"):
        R.create(checked.inputs, Context())
    mtimes = {p: os.stat(dst / p).st_mtime_ns for p in ("a.txt", "db/c.sql")}
    state = up(news).state
    assert state["last_sync"] == "1 copied, 2 adopted"  # nothing copied twice
    assert {p: os.stat(dst / p).st_mtime_ns for p in mtimes} == mtimes
    assert files_under(dst)["db/b.sql"] == "changed after listing"


def test_check_failures_name_their_property(tmp_path):
    def reasons(**news):
        return {f.property: f.reason for f in R.check(news).failures}

    src = f"file://{tmp_path}/golden/"
    assert reasons(source=f"file://{tmp_path}/golden", destination=f"file://{tmp_path}/env/") == {
        "source": f"source: 'file://{tmp_path}/golden' names an object, not a prefix: end it with '/' "
                  f"(file://{tmp_path}/golden/) or name a bucket (file:///)"}
    assert set(reasons(source=src, destination=src + "copy/")) == {"destination"}
    assert "never closed" in reasons(source=src, destination=f"file://{tmp_path}/env/", exclude=["[ab"])["exclude"]
    assert "strip the object's metadata" in reasons(source=src, destination=f"file://{tmp_path}/env/",
                                                    metadata_directive="REPLACE")["metadata"]
    assert reasons(source=src, destination=f"file://{tmp_path}/env/", concurrency=0) == {
        "concurrency": "concurrency: must be 1 or more, not 0"}
    unknown = R.check({"source": UNKNOWN, "destination": f"file://{tmp_path}/env/"})
    assert unknown.failures == () and unknown.inputs["source_digest"] is None


def test_behaviour_only_changes_update_without_a_request(prefixes):
    src, dst, news = prefixes
    state = up(news).state
    (src / "a.txt").write_text("changed, but not planned by this check")
    same = R.check(news, state).inputs
    changed = {**same, "source_digest": state["source_digest"], "delete_policy": "retain", "concurrency": 4}
    updated = R.update(state["destination"], state, changed, Context()).state
    assert files_under(dst)["a.txt"] == "a" and updated["delete_policy"] == "retain"
    assert R.delete(state["destination"], updated, Context()) == () and files_under(dst)["a.txt"] == "a"


def test_sync_command_plan_prunes_only_selected_destination_keys():
    e = Entry(1, "e1", None)
    src_root, dst_root = parse("file:///s/", allow_prefix=True), parse("file:///d/", allow_prefix=True)
    keys = KeyFilter.of(exclude=["*.tmp"])
    source = {k: e for k in ("a", "b") if keys.selects(k)}
    dest = {k: e for k in ("a", "old", "keep.tmp") if keys.selects(k)}
    plan = plan_stateless(source, {**dest, "a": Entry(1, "other", None)}, src_root, dst_root, prune=True)
    assert (plan.copy, plan.prune, plan.unchanged) == ([("a", "changed"), ("b", "new")], ["old"], 0)
    assert plan_stateless(source, dest, src_root, dst_root, prune=False).prune == []


def test_a_damaged_record_is_one_clear_error(prefixes):
    src, dst, news = prefixes
    state = {**up(news).state, "written": "ocr1:not-base64!"}
    with pytest.raises(ObjectCopyError, match=r"record of written objects is damaged"):
        R.delete(state["destination"], state, Context())


def test_a_destination_removed_whole_is_drift_and_destroy_has_nothing_left_to_do(prefixes):
    import shutil
    src, dst, news = prefixes
    state = up(news).state
    shutil.rmtree(dst)
    read = R.read(state["destination"], state, Context())
    assert read.state["drift"] == "3 deleted by hand: a.txt, db/b.sql, db/c.sql"
    assert R.delete(state["destination"], state, Context()) == ()


def test_the_preview_lists_the_destination_too_and_plans_to_restore_what_was_edited(prefixes):
    src, dst, news = prefixes
    state = up(news).state
    (dst / "db/b.sql").write_text("edited by hand")
    (dst / "a.txt").unlink()
    checked = R.check(news, state)  # no refresh: the check's own listing of the destination shows it
    diff = R.diff(state["destination"], state, checked.inputs)
    assert [(c.property, c.reason) for c in diff.changes] == [
        ("drift", "1 edited and 1 deleted by hand: db/b.sql, a.txt: will restore them")]
    state = R.update(state["destination"], state, checked.inputs, Context()).state
    assert files_under(dst) == {"a.txt": "a", "db/b.sql": "b", "db/c.sql": "c"}
    assert state["last_sync"] == "2 copied, 1 unchanged"


def test_a_new_destination_replaces_the_resource(prefixes, tmp_path):
    src, dst, news = prefixes
    state = up(news).state
    moved = {**news, "destination": f"file://{tmp_path}/elsewhere/"}
    diff = R.diff(state["destination"], state, R.check(moved, state).inputs)
    assert diff.replaces == ("destination",) and [c.property for c in diff.changes] == ["destination"]


def test_import_adopts_what_is_in_step_and_the_next_update_copies_what_the_globs_select(prefixes, tmp_path):
    src, dst, news = prefixes
    tree(dst, {"a.txt": "a", "db/b.sql": "b", "user.txt": "never ours"})
    with pytest.raises(ObjectCopyError, match=r"none of the 5 objects under .* has a copy under .*elsewhere/ "
                                              r"\(a.txt, db/b.sql, db/c.sql, drafts/d.md, x.tmp\)"):
        R.import_(f"file://{src}/,file://{tmp_path}/elsewhere/", Context())
    imported = R.import_(f"file://{src}/,file://{dst}/", Context())
    assert imported.warnings == (f"CopiedPrefix file://{dst}/: adopted 2 of the 5 objects under the source; 3 have "
                                 "no copy here yet (db/c.sql, drafts/d.md, x.tmp): the next update copies those its "
                                 "include and exclude select",)
    assert (imported.state["object_count"], imported.state["written_count"]) == (2, 2)
    state = up(news, imported.state).state                # the program's globs: db/c.sql only is copied
    assert files_under(dst) == {"a.txt": "a", "db/b.sql": "b", "db/c.sql": "c", "user.txt": "never ours"}
    assert state["last_sync"] == "1 copied, 2 unchanged" and up(news, state) is None
