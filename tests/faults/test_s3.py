"""Paths 1 and 2 on MinIO behind the fault proxy: a single CopyObject, and a multipart copy made of UploadPartCopy
requests. Transient faults are retried (bounded tries, bounded time, Retry-After honoured) and the copy succeeds;
permanent faults fail with a clear error and leave no destination and no multipart upload; a source changed in the
middle of a multipart copy stops it with a precondition error and leaves nothing."""
from __future__ import annotations

import time

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import AccessDenied, BadRequest, PreconditionFailed, Throttled, Transient
from pulumi_objectcopy.urls import parse

from ._support import (DATA, MINIO_ENDPOINT, SMALL, TRANSIENT, clear_error, honoured_retry_after, inject,
                       s3_profile, uploads_left)

PAYLOAD = b"single copy payload " * 500
BUDGET = 5  # tries per request (conftest FAST_RETRIES.max_attempts)


@pytest.fixture
def minio_via(backends, proxies, stack_profiles):
    """(minio backend, proxy factory): proxy(label) puts a fault proxy in front of MinIO as profile fault-s3."""
    minio = backends("minio")

    def via(label: str):
        proxy = proxies(MINIO_ENDPOINT, label)
        stack_profiles({"fault-s3": s3_profile(proxy)})
        return proxy

    return minio, via


def _urls(minio, key_prefix):
    return (parse(f"s3://fault-s3@{minio.bucket}/{key_prefix}src"),
            parse(f"s3://fault-s3@{minio.bucket}/{key_prefix}dst"))


# --- 1. a single CopyObject ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", TRANSIENT)
def test_single_copy_survives_transient_faults(minio_via, key_prefix, kind):
    minio, via = minio_via
    proxy = via("1 s3 CopyObject")
    minio.put(key_prefix + "src", PAYLOAD)
    src, dst = _urls(minio, key_prefix)
    times = 1 if kind == "429-retry-after" else 2
    inject(proxy, kind, "PUT", f"/{minio.bucket}/{key_prefix}dst", times=times)
    started = time.monotonic()
    result = transfer.copy_object(src, dst)
    assert result.method == "server-side"
    assert minio.get(key_prefix + "dst") == PAYLOAD
    copies = proxy.seen("PUT", f"/{minio.bucket}/{key_prefix}dst")
    assert all(c.header("x-amz-copy-source") for c in copies)
    assert [c.fault is not None for c in copies] == [True] * times + [False]  # one try per fault, then success
    if kind == "429-retry-after":
        honoured_retry_after(copies, 1.0)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("kind", ["reset", "500"])
def test_a_fault_on_the_source_head_is_retried_too(minio_via, key_prefix, kind):
    minio, via = minio_via
    proxy = via("1 s3 CopyObject")
    minio.put(key_prefix + "src", PAYLOAD)
    inject(proxy, kind, "HEAD", f"/{minio.bucket}/{key_prefix}src")
    transfer.copy_object(*_urls(minio, key_prefix))
    assert len(proxy.seen("HEAD", f"/{minio.bucket}/{key_prefix}src")) == 2
    assert minio.get(key_prefix + "dst") == PAYLOAD


def test_single_copy_access_denied_is_not_retried(minio_via, key_prefix):
    minio, via = minio_via
    proxy = via("1 s3 CopyObject")
    minio.put(key_prefix + "src", PAYLOAD)
    proxy.error("PUT", f"/{minio.bucket}/{key_prefix}dst", status=403, times=99,
                body=b"<Error><Code>AccessDenied</Code><Message>injected</Message></Error>")
    src, dst = _urls(minio, key_prefix)
    with pytest.raises(AccessDenied) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"copy {src} to {dst}", "AccessDenied")
    assert len(proxy.seen("PUT")) == 1
    assert not minio.exists(key_prefix + "dst")


@pytest.mark.parametrize("kind,error", [("503-slowdown", Throttled), ("reset", Transient), ("500", Transient)])
def test_single_copy_gives_up_after_the_retry_budget(minio_via, key_prefix, kind, error):
    minio, via = minio_via
    proxy = via("1 s3 CopyObject")
    minio.put(key_prefix + "src", PAYLOAD)
    inject(proxy, kind, "PUT", f"/{minio.bucket}/{key_prefix}dst", times=99)
    src, dst = _urls(minio, key_prefix)
    started = time.monotonic()
    with pytest.raises(error) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"copy {src} to {dst}")
    assert len(proxy.seen("PUT")) == BUDGET
    assert time.monotonic() - started < 5
    assert not minio.exists(key_prefix + "dst")


# --- 2. a multipart copy (UploadPartCopy) ----------------------------------------------------------------------
def _multipart(minio, via, key_prefix):
    proxy = via("2 s3 multipart")
    minio.put(key_prefix + "src", DATA)
    return proxy, *_urls(minio, key_prefix)


def _parts(proxy, number: int):
    return proxy.seen("PUT", query=f"partNumber={number}&")


@pytest.mark.parametrize("kind", TRANSIENT)
def test_part_copy_survives_transient_faults(minio_via, key_prefix, kind):
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    inject(proxy, kind, "PUT", query="partNumber=2&")
    started = time.monotonic()
    result = transfer.copy_object(src, dst, config=SMALL)
    assert (result.method, result.parts) == ("server-side-multipart", 3)
    assert minio.get(key_prefix + "dst") == DATA
    assert [len(_parts(proxy, n)) for n in (1, 2, 3)] == [1, 2, 1]
    assert _parts(proxy, 2)[0].fault and not _parts(proxy, 2)[1].fault
    if kind == "429-retry-after":
        honoured_retry_after(_parts(proxy, 2), 1.0)
    assert len(proxy.seen("POST", query="uploads")) == 1
    assert uploads_left(minio, key_prefix) == []
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("kind", TRANSIENT)
def test_complete_survives_transient_faults(minio_via, key_prefix, kind):
    """A lost answer to CompleteMultipartUpload (reset after, truncated) is the hard one: the retry finds the
    upload gone (NoSuchUpload) because the first try completed it; the copy must still succeed."""
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    inject(proxy, kind, "POST", query="uploadId=")
    result = transfer.copy_object(src, dst, config=SMALL)
    assert result.method == "server-side-multipart"
    assert minio.get(key_prefix + "dst") == DATA
    assert len(proxy.seen("POST", query="uploadId=")) == 2
    assert uploads_left(minio, key_prefix) == []


@pytest.mark.parametrize("kind", ["reset", "500", "503-slowdown", "429-retry-after"])
def test_start_survives_transient_faults(minio_via, key_prefix, kind):
    """Faults that leave CreateMultipartUpload undone at the server: retried, one upload, none left."""
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    inject(proxy, kind, "POST", query="uploads")
    transfer.copy_object(src, dst, config=SMALL)
    assert minio.get(key_prefix + "dst") == DATA
    assert len(proxy.seen("POST", query="uploads")) == 2
    assert uploads_left(minio, key_prefix) == []


@pytest.mark.parametrize("fault,error", [("403", AccessDenied), ("400", BadRequest),
                                         ("503-slowdown", Throttled), ("reset", Transient)])
def test_part_copy_permanent_fault_aborts_and_leaves_nothing(minio_via, key_prefix, fault, error):
    """403 and 400 at once; a 503 or a reset that lasts past the retry budget after BUDGET tries."""
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    if fault in ("403", "400"):
        code = b"AccessDenied" if fault == "403" else b"InvalidRequest"
        proxy.error("PUT", query="partNumber=2&", status=int(fault), times=99,
                    body=b"<Error><Code>%s</Code><Message>injected</Message></Error>" % code)
    else:
        inject(proxy, fault, "PUT", query="partNumber=2&", times=99)
    with pytest.raises(error) as e:
        transfer.copy_object(src, dst, config=SMALL)
    clear_error(e, f"copy part 2 of {src} to {dst}")
    assert len(_parts(proxy, 2)) == (1 if fault in ("403", "400") else BUDGET)
    assert proxy.seen("DELETE", query="uploadId=")  # the abort was sent
    assert not minio.exists(key_prefix + "dst")
    assert uploads_left(minio, key_prefix) == []


def test_source_changed_during_a_multipart_copy_stops_it(minio_via, key_prefix):
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    changed = []
    proxy.before("PUT", "", lambda seen: changed.append(minio.put(key_prefix + "src", DATA[::-1])),
                 query="partNumber=2&")
    with pytest.raises(PreconditionFailed) as e:
        transfer.copy_object(src, dst, config=SMALL)
    clear_error(e, "copy part ", f" of {src} to {dst}")  # 2, or 1 or 3 when sent after the change
    assert changed and len(_parts(proxy, 2)) == 1  # a failed precondition is not retried
    assert not minio.exists(key_prefix + "dst")     # no object mixing old and new parts
    assert uploads_left(minio, key_prefix) == []
    assert minio.get(key_prefix + "src") == DATA[::-1]


@pytest.mark.parametrize("kind", ["reset-after", "truncated"])
def test_a_lost_answer_to_the_start_still_copies(minio_via, key_prefix, kind):
    """CreateMultipartUpload is sent again after a lost answer (a second upload is no second copy)."""
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    inject(proxy, kind, "POST", query="uploads")
    transfer.copy_object(src, dst, config=SMALL)
    assert minio.get(key_prefix + "dst") == DATA
    assert len(proxy.seen("POST", query="uploads")) == 2


def test_a_lost_answer_to_the_start_leaves_no_upload(minio_via, key_prefix):
    minio, via = minio_via
    proxy, src, dst = _multipart(minio, via, key_prefix)
    proxy.reset("POST", query="uploads", when="after")
    # As CopiedObject copies (it owns its destination); `objectcopy cleanup` is the CLI's way (README).
    transfer.copy_object(src, dst, config=SMALL, sweep_stale_uploads=True)
    left = uploads_left(minio, key_prefix)
    for upload in left:  # the test's own debris
        minio.client.abort_multipart_upload(Bucket=minio.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    assert left == []
