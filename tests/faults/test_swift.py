"""Path 3 on the real Swift behind the fault proxy: a large object copied server-side as segments (PUT with
X-Copy-From and a Range) joined by an SLO manifest. Transient faults on a segment or the manifest are retried and the
copy succeeds; permanent ones fail clearly and leave no object and no segments; a source changed between two
segment copies stops the copy with a precondition error."""
from __future__ import annotations

import time

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import AccessDenied, PreconditionFailed, Transient
from pulumi_objectcopy.urls import parse

from ._support import (DATA, SMALL, SWIFT_ENDPOINT, TRANSIENT, clear_error, honoured_retry_after, inject,
                       swift_profile, uploads_left)

BUDGET = 5
LABEL = "3 swift SLO"


@pytest.fixture
def swift_via(backends, proxies, stack_profiles, key_prefix):
    """(swift backend, proxy, src url, dst url): storage requests of profile fault-swift go through the proxy."""
    swift = backends("swift")
    proxy = proxies(SWIFT_ENDPOINT, LABEL)
    stack_profiles({"fault-swift": swift_profile(proxy)})
    swift.put(key_prefix + "src", DATA)
    return (swift, proxy, parse(f"swift://fault-swift@{swift.bucket}/{key_prefix}src"),
            parse(f"swift://fault-swift@{swift.bucket}/{key_prefix}dst"))


SEGMENT_2 = "/00000002"
MANIFEST = "multipart-manifest=put"


def _segments(proxy, number: int):
    return [s for s in proxy.seen("PUT", f"/{number:08d}") if s.header("X-Copy-From")]


@pytest.mark.parametrize("kind", TRANSIENT)
def test_segment_copy_survives_transient_faults(swift_via, key_prefix, kind):
    swift, proxy, src, dst = swift_via
    inject(proxy, kind, "PUT", SEGMENT_2)
    started = time.monotonic()
    result = transfer.copy_object(src, dst, config=SMALL)
    assert (result.method, result.parts) == ("server-side-multipart", 3)
    assert swift.get(key_prefix + "dst") == DATA
    assert swift.client.head_object(swift.bucket, key_prefix + "dst").get("x-static-large-object") == "True"
    assert [len(_segments(proxy, n)) for n in (1, 2, 3)] == [1, 2, 1]
    if kind == "429-retry-after":
        honoured_retry_after(_segments(proxy, 2), 1.0)
    assert len(uploads_left(swift, key_prefix)) == 3  # exactly the three segments the manifest uses
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("kind", ["reset-after", "truncated", "503-slowdown"])
def test_manifest_survives_transient_faults(swift_via, key_prefix, kind):
    swift, proxy, src, dst = swift_via
    inject(proxy, kind, "PUT", query=MANIFEST)
    transfer.copy_object(src, dst, config=SMALL)
    assert swift.get(key_prefix + "dst") == DATA
    assert len(proxy.seen("PUT", query=MANIFEST)) == 2
    assert len(uploads_left(swift, key_prefix)) == 3


def test_a_denied_segment_leaves_no_object_and_no_segments(swift_via, key_prefix):
    swift, proxy, src, dst = swift_via
    proxy.error("PUT", SEGMENT_2, status=403, body=b"<html><h1>Forbidden</h1><p>injected</p></html>", times=99)
    with pytest.raises(AccessDenied) as e:
        transfer.copy_object(src, dst, config=SMALL)
    clear_error(e, f"copy segment 2 of {src} to {dst}")
    assert len(_segments(proxy, 2)) == 1
    assert not swift.exists(key_prefix + "dst")
    assert uploads_left(swift, key_prefix) == []  # the segments already copied were deleted


def test_a_manifest_failing_past_the_budget_leaves_nothing(swift_via, key_prefix):
    swift, proxy, src, dst = swift_via
    proxy.error("PUT", query=MANIFEST, status=500, times=99)
    with pytest.raises(Transient) as e:
        transfer.copy_object(src, dst, config=SMALL)
    clear_error(e, f"write the SLO manifest of {dst}")
    assert len(proxy.seen("PUT", query=MANIFEST)) == BUDGET
    assert not swift.exists(key_prefix + "dst")
    assert uploads_left(swift, key_prefix) == []


def test_source_changed_between_segments_stops_the_copy(swift_via, key_prefix):
    swift, proxy, src, dst = swift_via
    changed = []
    proxy.before("PUT", SEGMENT_2, lambda seen: changed.append(swift.put(key_prefix + "src", DATA[::-1])))
    with pytest.raises(PreconditionFailed) as e:
        transfer.copy_object(src, dst, config=SMALL)
    clear_error(e, "copy segment ", f" of {src} to {dst}")  # 2, or 1 or 3 when sent after the change
    assert changed and len(_segments(proxy, 2)) == 1
    assert not swift.exists(key_prefix + "dst")
    assert uploads_left(swift, key_prefix) == []
