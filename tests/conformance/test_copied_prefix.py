"""CopiedPrefix on every store (MinIO, Swift's s3api, Swift, local files, the COS, OSS and OCI emulators), driven
through the core as an engine drives it, with every request counted by a proxy (HTTP_PROXY) in front of the
store: up, a no-op up that sends listings only, a changed, a new and a removed source object, drift by hand,
prune, destroy that leaves what it did not write, a listing of more than one page, awkward keys."""
from __future__ import annotations

import pytest

from pulumi_objectcopy import core, profiles
from pulumi_objectcopy.core import Context

from ..counting_proxy import CountingProxy
from .test_conformance import TRICKY_KEYS

R = core.resource("CopiedPrefix")
WRITES = ("PUT", "POST", "DELETE", "COPY")


@pytest.fixture
def counted(monkeypatch):
    """Every request our code sends over HTTP goes through this proxy."""
    proxy = CountingProxy("http://unused.invalid")
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield proxy
    proxy.close()


def counted_up(seen, news, state=None):
    """up(), and the writes and HEADs it sent (taken before the test's own checks, whose vendor clients may go
    through the same proxy)."""
    seen.reset()
    result = up(news, state)
    return result, seen.writes(), seen.heads()


def up(news, state=None):
    checked = R.check(news, state)
    assert checked.failures == (), checked.failures
    if state is None:
        return R.create(checked.inputs, Context()).state, None
    diff = R.diff(state["destination"], state, checked.inputs)
    if not diff.changed:
        return state, diff
    return R.update(state["destination"], state, checked.inputs, Context()).state, diff


class Requests:
    """What reached the store: writes, HEADs (there must be none: listings tell all) and listings. Local files
    have no requests: their files' modification times stand in for writes."""

    def __init__(self, backend, proxy, root_key):
        self.backend, self.proxy, self.root_key = backend, proxy, root_key
        self.snapshot = self._mtimes()

    def _mtimes(self):
        if self.backend.scheme != "file":
            return {}
        base = self.backend.root / self.root_key
        return {p: p.stat().st_mtime_ns for p in base.rglob("*") if p.is_file()}

    def reset(self):
        self.proxy.reset()
        self.snapshot = self._mtimes()

    def writes(self) -> list[str]:
        if self.backend.scheme == "file":
            now = self._mtimes()
            return [str(p) for p in set(now) | set(self.snapshot) if now.get(p) != self.snapshot.get(p)]
        return [f"{m} {p}" for m, p, _ in self.proxy.requests if m in WRITES and "/auth/" not in p]

    def heads(self) -> list[str]:
        return [p for m, p, _ in self.proxy.requests if m == "HEAD"]


def test_up_noop_change_drift_prune_destroy(backend, key_prefix, counted):
    backend.skip_gap("http-counted")
    b = backend
    src, dst = key_prefix + "golden/", key_prefix + "env/"
    for rel, body in {"a.txt": b"a", "db/b.sql": b"b", "db/c.sql": b"c", "skip.tmp": b"t"}.items():
        b.put(src + rel, body)
    b.put(dst + "db/c.sql", b"c")           # already holds the source's content: adopted
    b.put(dst + "user.txt", b"not ours")    # no source: never touched
    news = {"source": b.url(src), "destination": b.url(dst), "exclude": ["*.tmp"]}
    seen = Requests(b, counted, dst)

    (state, _), writes, heads = counted_up(seen, news)
    # OCI's copy is a work request whose answer has no ETag: the copy just made is HEADed for it. Nothing else is.
    after_copy = 2 if b.scheme == "oci" else 0
    assert len(heads) == after_copy and (len(writes) == 2 or b.scheme == "file")
    assert [b.get(dst + k) for k in ("a.txt", "db/b.sql", "db/c.sql")] == [b"a", b"b", b"c"]
    assert not b.exists(dst + "skip.tmp")
    assert (state["last_sync"], state["object_count"], state["written_count"]) == ("2 copied, 1 adopted", 3, 3)

    (same, diff), writes, heads = counted_up(seen, news, state)
    assert not diff.changed and same is state
    assert writes == [] and heads == []  # listings only: no HEAD, no copy

    b.put(src + "a.txt", b"a, changed")
    b.put(src + "new.txt", b"new")
    _delete(b, src + "db/b.sql")
    (state, diff), writes, heads = counted_up(seen, news, state)
    assert diff.changes[0].reason.startswith("1 changed, 1 new, 1 gone from the source: a.txt, new.txt, db/b.sql")
    assert len(writes) == 2 and len(heads) == after_copy  # exactly the changed and the new object
    assert (b.get(dst + "a.txt"), b.get(dst + "new.txt"), b.get(dst + "db/b.sql")) == (b"a, changed", b"new", b"b")

    b.put(dst + "a.txt", b"edited by hand")
    _delete(b, dst + "new.txt")
    read = R.read(state["destination"], state, Context())
    assert read.state["drift"] == "1 edited and 1 deleted by hand: a.txt, new.txt"
    (state, _), writes, _ = counted_up(seen, news, read.state)
    assert len(writes) == 2 and b.get(dst + "a.txt") == b"a, changed" and b.get(dst + "new.txt") == b"new"

    (state, _), writes, _ = counted_up(seen, {**news, "prune": True}, state)
    assert len(writes) == 1
    assert not b.exists(dst + "db/b.sql") and "1 pruned" in state["last_sync"]

    b.put(dst + "db/c.sql", b"theirs now")
    warnings = R.delete(state["destination"], state, Context())
    assert not b.exists(dst + "a.txt") and not b.exists(dst + "new.txt")
    assert b.get(dst + "db/c.sql") == b"theirs now" and b.get(dst + "user.txt") == b"not ours"
    assert warnings == (f"CopiedPrefix: deleted 2 objects under {b.url(dst)}; left 1 this resource wrote but "
                        "changed since (db/c.sql) and 1 it did not write",)


def test_a_listing_of_more_than_one_page(backend, key_prefix, counted):
    backend.skip_gap("http-counted")
    b = backend
    src, dst = key_prefix + "many/", key_prefix + "copy/"
    names = [f"k{i}" for i in range(3)] + [f"f{i % 2}/k{i}" for i in range(4)]  # files and folders, both paged
    for name in names:
        b.put(src + name, name.encode())
    paged = None
    if b.profile:  # the same profile, listing two objects a page
        paged = {"paged": {**profiles.load_profiles()[b.profile], "list_page_size": 2}}
        core.configure(profiles=paged)
    try:
        url = (lambda k: b.url(k).replace(f"{b.profile}@", "paged@")) if paged else b.url
        state, _ = up({"source": url(src), "destination": url(dst)})
        assert state["object_count"] == 7 and [b.get(dst + n) for n in names] == [n.encode() for n in names]
        if paged:
            listings = [p for m, p, _ in counted.requests if m == "GET" and "many" in p and "/auth/" not in p]
            # pages of 2 (S3's folders are listed one by one, side by side); the update copies from the check's
            # listing (the plan) without listing the source again
            assert len(listings) >= 4, listings
        counted.reset()
        assert up({"source": url(src), "destination": url(dst)}, state)[1].changed is False
        R.delete(state["destination"], state, Context())
        assert not any(b.exists(dst + n) for n in names)
    finally:
        core.configure(profiles={})


def test_awkward_keys(backend, key_prefix, counted):
    b = backend
    keys = [k for name, k in TRICKY_KEYS.items() if name not in b.gaps]
    src, dst = key_prefix + "src/", key_prefix + "dst/"
    for k in keys:
        b.put(src + k, k.encode())
    news = {"source": b.url(src), "destination": b.url(dst)}
    state, _ = up(news)
    assert state["written_count"] == len(keys) and [b.get(dst + k) for k in keys] == [k.encode() for k in keys]
    (_, diff), writes, heads = counted_up(Requests(b, counted, dst), news, state)
    assert diff.changed is False and writes == [] and heads == []
    R.delete(state["destination"], state, Context())
    assert not any(b.exists(dst + k) for k in keys)


def _delete(b, key: str) -> None:
    """Delete with the vendor's client, as a user would by hand."""
    if b.scheme == "file":
        (b.root / key).unlink()
    elif b.scheme == "s3":
        b.client.delete_object(Bucket=b.bucket, Key=key)
    elif b.scheme == "swift":
        b.client.delete_object(b.bucket, key)
    elif b.scheme == "oss":
        b.client.delete_object(key)
    elif b.scheme == "cos":
        b.client.delete_object(Bucket=b.bucket, Key=key)
    else:
        b.client.delete_object(b.bucket.split("/")[1], key)


def test_copy_options_apply_to_every_object_and_a_change_writes_them_all_again(backends, key_prefix, counted):
    minio = backends("minio")
    src, dst = key_prefix + "src/", key_prefix + "dst/"
    for rel in ("a.txt", "b/c.txt"):
        minio.put(src + rel, rel.encode(), meta={"origin": "golden"})
    news = {"source": minio.url(src), "destination": minio.url(dst), "metadata_directive": "REPLACE",
            "metadata": {"team": "a"}, "content_type": "text/plain", "tags": {"env": "dev"},
            "cache_control": "max-age=60"}
    state, _ = up(news)
    for rel in ("a.txt", "b/c.txt"):
        head = minio.client.head_object(Bucket=minio.bucket, Key=dst + rel)
        assert (head["Metadata"], head["ContentType"], head["CacheControl"]) == ({"team": "a"}, "text/plain",
                                                                                  "max-age=60")
        tags = minio.client.get_object_tagging(Bucket=minio.bucket, Key=dst + rel)["TagSet"]
        assert tags == [{"Key": "env", "Value": "dev"}]
    seen = Requests(minio, counted, dst)
    (state, diff), writes, _ = counted_up(seen, {**news, "metadata": {"team": "b"}}, state)
    assert [c.property for c in diff.changes] == ["metadata"] and len(writes) == 2
    assert state["last_sync"] == "2 copied"
    assert minio.client.head_object(Bucket=minio.bucket, Key=dst + "a.txt")["Metadata"] == {"team": "b"}
