"""Path 4: copies across stores, whose bytes stream through this process: Swift -> MinIO (one PUT), MinIO -> Swift
(segments uploaded, then an SLO manifest) and MinIO -> a local folder, with a fault proxy in front of each server.
A fault on either side (the source's GET breaking off mid-body, the destination's PUT failing) is retried by reading
the source again from the start; permanent faults fail clearly and leave nothing behind."""
from __future__ import annotations

import time

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import AccessDenied, PreconditionFailed, Transient
from pulumi_objectcopy.urls import parse

from ._support import (DATA, MINIO_ENDPOINT, SMALL, SWIFT_ENDPOINT, TRANSIENT, clear_error, honoured_retry_after,
                       inject, s3_profile, swift_profile, uploads_left)

BUDGET = 5
LABEL = "4 streamed"
PAYLOAD = DATA[:1024 * 1024 + 3]  # one streamed PUT


@pytest.fixture
def both(backends, proxies, stack_profiles):
    """MinIO (profile fault-s3) and Swift (profile fault-swift), each behind its own fault proxy."""
    minio, swift = backends("minio"), backends("swift")
    s3_proxy, swift_proxy = proxies(MINIO_ENDPOINT, LABEL), proxies(SWIFT_ENDPOINT, LABEL)
    stack_profiles({"fault-s3": s3_profile(s3_proxy), "fault-swift": swift_profile(swift_proxy)})
    return minio, swift, s3_proxy, swift_proxy


def _swift_to_minio(both, key_prefix, data=PAYLOAD):
    minio, swift, s3_proxy, swift_proxy = both
    swift.put(key_prefix + "src", data)
    return (parse(f"swift://fault-swift@{swift.bucket}/{key_prefix}src"),
            parse(f"s3://fault-s3@{minio.bucket}/{key_prefix}dst"))


@pytest.mark.parametrize("side,kind", [("source GET", k) for k in TRANSIENT]
                         + [("destination PUT", k) for k in TRANSIENT + ["reset-upload"]])
def test_streamed_copy_survives_transient_faults(both, key_prefix, side, kind):
    minio, swift, s3_proxy, swift_proxy = both
    src, dst = _swift_to_minio(both, key_prefix)
    src_path, dst_path = f"/{swift.bucket}/{key_prefix}src", f"/{minio.bucket}/{key_prefix}dst"
    if side == "source GET":
        inject(swift_proxy, kind, "GET", src_path)
    elif kind == "reset-upload":
        s3_proxy.reset("PUT", dst_path, when="upload")  # half the body arrives, then the connection drops
    else:
        inject(s3_proxy, kind, "PUT", dst_path)
    started = time.monotonic()
    result = transfer.copy_object(src, dst)
    assert result.method == "streamed"
    assert minio.get(key_prefix + "dst") == PAYLOAD
    gets, puts = swift_proxy.seen("GET", src_path), s3_proxy.seen("PUT", dst_path)
    # A GET that fails before its body starts is sent again by itself; one cut short mid-body fails the PUT that
    # streams it, which is sent again with a fresh GET.
    body_started = kind in ("truncated", "reset-mid-body")
    assert len(gets) == 2 and len(puts) == (2 if side == "destination PUT" or body_started else 1)
    assert puts[0].incomplete == (side == "source GET" and body_started)  # broken off by us, not forwarded
    if kind == "429-retry-after":
        honoured_retry_after(gets if side == "source GET" else puts, 1.0)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("side,kind", [("source GET", "truncated"), ("source GET", "reset-mid-body"),
                                       ("segment PUT", "503-slowdown"), ("segment PUT", "reset-after")])
def test_streamed_segments_survive_transient_faults(both, key_prefix, side, kind):
    """MinIO -> Swift in parts: each part is a ranged GET of the source uploaded as a segment."""
    minio, swift, s3_proxy, swift_proxy = both
    minio.put(key_prefix + "src", DATA)
    src = parse(f"s3://fault-s3@{minio.bucket}/{key_prefix}src")
    dst = parse(f"swift://fault-swift@{swift.bucket}/{key_prefix}dst")
    if side == "source GET":
        inject(s3_proxy, kind, "GET", f"/{minio.bucket}/{key_prefix}src")
    else:
        inject(swift_proxy, kind, "PUT", "/00000002")
    result = transfer.copy_object(src, dst, config=SMALL)
    assert (result.method, result.parts) == ("streamed-multipart", 3)
    assert swift.get(key_prefix + "dst") == DATA
    assert len(s3_proxy.seen("GET", f"/{minio.bucket}/{key_prefix}src")) == 4  # three parts, one read twice
    assert len(uploads_left(swift, key_prefix)) == 3


def test_a_denied_destination_put_is_not_retried(both, key_prefix):
    minio, swift, s3_proxy, swift_proxy = both
    src, dst = _swift_to_minio(both, key_prefix)
    s3_proxy.error("PUT", "", status=403, times=99,
                   body=b"<Error><Code>AccessDenied</Code><Message>injected</Message></Error>")
    with pytest.raises(AccessDenied) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"PUT {dst}", "AccessDenied")
    assert len(s3_proxy.seen("PUT")) == 1
    assert not minio.exists(key_prefix + "dst")


def test_a_source_cut_short_every_time_fails_after_the_budget(both, key_prefix):
    minio, swift, s3_proxy, swift_proxy = both
    src, dst = _swift_to_minio(both, key_prefix)
    swift_proxy.truncate("GET", f"/{swift.bucket}/{key_prefix}src", times=99)
    started = time.monotonic()
    with pytest.raises(Transient) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"PUT {dst}")
    assert len(swift_proxy.seen("GET", f"/{swift.bucket}/{key_prefix}src")) == BUDGET
    assert time.monotonic() - started < 10
    assert not minio.exists(key_prefix + "dst")


def test_source_changed_before_it_is_read_is_a_precondition_failure(both, key_prefix):
    minio, swift, s3_proxy, swift_proxy = both
    src, dst = _swift_to_minio(both, key_prefix)
    swift_proxy.before("GET", f"/{swift.bucket}/{key_prefix}src",
                       lambda seen: swift.put(key_prefix + "src", PAYLOAD[::-1]))
    with pytest.raises(PreconditionFailed) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"GET {src}")
    assert not minio.exists(key_prefix + "dst")


def test_a_segment_failing_past_the_budget_leaves_no_segments(both, key_prefix):
    minio, swift, s3_proxy, swift_proxy = both
    minio.put(key_prefix + "src", DATA)
    swift_proxy.error("PUT", "/00000002", status=503, times=99)
    with pytest.raises(Transient) as e:
        transfer.copy_object(parse(f"s3://fault-s3@{minio.bucket}/{key_prefix}src"),
                             parse(f"swift://fault-swift@{swift.bucket}/{key_prefix}dst"), config=SMALL)
    clear_error(e, "upload segment 2 of")
    assert len(swift_proxy.seen("PUT", "/00000002")) == BUDGET
    assert not swift.exists(key_prefix + "dst")
    assert uploads_left(swift, key_prefix) == []


@pytest.mark.parametrize("times", [1, 99])
def test_into_a_local_folder_the_source_is_read_again(both, backends, key_prefix, times):
    """A local file written from a source that breaks off: read again from the start (once cut short), or a clear
    error after the budget (always cut short), and never a partial file or a temp file left behind."""
    minio, swift, s3_proxy, swift_proxy = both
    local = backends("local")
    minio.put(key_prefix + "src", PAYLOAD)
    s3_proxy.truncate("GET", f"/{minio.bucket}/{key_prefix}src", times=times)
    src, dst = parse(f"s3://fault-s3@{minio.bucket}/{key_prefix}src"), parse(local.url(key_prefix + "dst"))
    if times == 1:
        assert transfer.copy_object(src, dst).method == "streamed"
        assert local.get(key_prefix + "dst") == PAYLOAD
        assert len(s3_proxy.seen("GET")) == 2
    else:
        with pytest.raises(Transient) as e:
            transfer.copy_object(src, dst)
        clear_error(e, f"GET {src}", "stopped after")
        assert len(s3_proxy.seen("GET")) == BUDGET
        assert not local.exists(key_prefix + "dst")
    assert list(local.root.rglob(".objectcopy-tmp-*")) == []
