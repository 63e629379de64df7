"""Path 5: OCI CopyObject, an asynchronous work request followed by the one waiter, on the OCI emulator behind the
fault proxy. Faults on the polls are retried; faults on the POST that starts the copy never start a second copy:
an answered failure (5xx, 429) is sent again because nothing started, a lost answer is followed by looking for the
copy the service may have started (and following it) before asking again."""
from __future__ import annotations

import json
import time

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import BadRequest, Transient
from pulumi_objectcopy.urls import parse

from ._support import TRANSIENT, clear_error, honoured_retry_after, inject, oci_profile

LABEL = "5 oci work request"
BUDGET = 5
PAYLOAD = b"an OCI object copied by a work request " * 100
POST = "/actions/copyObject"
POLL = "/workRequests/"


@pytest.fixture
def oci(backends, oci_emulator, proxies, stack_profiles, key_prefix):
    """(emulator, proxy, src url, dst url, copies made so far for dst): profile fault-oci reaches the emulator
    through the proxy; the source is in place."""
    backend = backends("oci")
    proxy = proxies(oci_emulator.endpoint, LABEL)
    stack_profiles({"fault-oci": oci_profile(proxy)})
    backend.put(key_prefix + "src", PAYLOAD)
    namespace, bucket = backend.bucket.split("/")

    def copies() -> list[dict]:
        return [w for w in oci_emulator.work_requests()
                if (w.get("details") or {}).get("destinationObjectName") == key_prefix + "dst"]

    yield (oci_emulator, proxy, parse(f"oci://fault-oci@{backend.bucket}/{key_prefix}src"),
           parse(f"oci://fault-oci@{backend.bucket}/{key_prefix}dst"), copies, backend)
    oci_emulator.release_copies()  # whatever a test held


@pytest.mark.parametrize("kind", TRANSIENT)
def test_faults_on_the_polls_are_retried(oci, key_prefix, kind):
    emulator, proxy, src, dst, copies, backend = oci
    inject(proxy, kind, "GET", POLL, times=2 if kind != "429-retry-after" else 1)
    started = time.monotonic()
    result = transfer.copy_object(src, dst)
    assert result.method == "server-side"
    assert backend.get(key_prefix + "dst") == PAYLOAD
    assert len(copies()) == 1 and len(proxy.seen("POST", POST)) == 1
    polls = proxy.seen("GET", POLL)
    assert sum(1 for p in polls if p.fault) == (1 if kind == "429-retry-after" else 2)
    if kind == "429-retry-after":
        honoured_retry_after(polls, 1.0)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("kind", ["500", "503-slowdown", "429-retry-after", "reset"])
def test_a_start_that_never_reached_the_service_is_sent_again(oci, key_prefix, kind):
    """Answered with an error (nothing started), or reset before it was forwarded: asked again, one copy."""
    emulator, proxy, src, dst, copies, backend = oci
    inject(proxy, kind, "POST", POST)
    transfer.copy_object(src, dst)
    assert backend.get(key_prefix + "dst") == PAYLOAD
    assert len(proxy.seen("POST", POST)) == 2
    assert len(copies()) == 1


@pytest.mark.parametrize("kind", ["reset-after", "truncated", "reset-mid-body"])
def test_a_lost_answer_to_the_start_follows_the_copy_it_started(oci, key_prefix, kind):
    """The service accepted the copy, the answer never arrived: no second POST, no second work request."""
    emulator, proxy, src, dst, copies, backend = oci
    emulator.hold_copies(at=50)  # still running when the provider looks for it
    inject(proxy, kind, "POST", POST)
    proxy.before("GET", POLL, lambda seen: emulator.release_copies())  # the recovery follows it: let it finish
    transfer.copy_object(src, dst)
    assert backend.get(key_prefix + "dst") == PAYLOAD
    assert len(proxy.seen("POST", POST)) == 1
    assert len(copies()) == 1


def test_a_lost_answer_to_a_copy_that_already_finished_starts_no_second_one(oci, key_prefix):
    emulator, proxy, src, dst, copies, backend = oci
    proxy.reset("POST", POST, when="after")

    def finished_before_anyone_looks(seen):  # the listing after the lost answer sees the copy COMPLETED
        if copies():
            emulator.wait_for(lambda w: w.get("status") == "COMPLETED"
                              and (w.get("details") or {}).get("destinationObjectName") == dst.key)

    proxy.before("GET", "/workRequests", finished_before_anyone_looks, query="compartmentId", times=2)
    transfer.copy_object(src, dst)
    assert backend.get(key_prefix + "dst") == PAYLOAD
    assert len(proxy.seen("POST", POST)) == 1 and len(copies()) == 1


def test_a_refused_start_leaves_nothing(oci, key_prefix):
    emulator, proxy, src, dst, copies, backend = oci
    proxy.error("POST", POST, status=400, times=99, headers={"Content-Type": "application/json"},
                body=json.dumps({"code": "InvalidParameter", "message": "injected"}).encode())
    with pytest.raises(BadRequest) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"copy {src} to {dst}", "InvalidParameter")
    assert len(proxy.seen("POST", POST)) == 1 and copies() == []
    assert not backend.exists(key_prefix + "dst")


def test_a_start_unavailable_past_the_budget_leaves_nothing(oci, key_prefix):
    emulator, proxy, src, dst, copies, backend = oci
    proxy.error("POST", POST, status=503, times=99, headers={"Content-Type": "application/json"},
                body=json.dumps({"code": "ServiceUnavailable", "message": "injected"}).encode())
    with pytest.raises(Transient) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"copy {src} to {dst}", "ServiceUnavailable")
    assert len(proxy.seen("POST", POST)) == BUDGET and copies() == []
    assert not backend.exists(key_prefix + "dst")


def test_polls_failing_past_the_budget_then_the_next_run_follows_the_same_copy(oci, key_prefix):
    emulator, proxy, src, dst, copies, backend = oci
    emulator.hold_copies(at=50)
    proxy.error("GET", POLL, status=500, times=99)
    with pytest.raises(Transient) as e:
        transfer.copy_object(src, dst)
    clear_error(e, f"copy of {src} to {dst}", "work request")
    assert len(proxy.seen("GET", POLL)) == BUDGET and len(copies()) == 1
    # The next run (e.g. `pulumi up` again) finds the copy still running and follows it to the end.
    proxy.clear()
    proxy.before("GET", POLL, lambda seen: emulator.release_copies())
    transfer.copy_object(src, dst)
    assert backend.get(key_prefix + "dst") == PAYLOAD
    assert len(proxy.seen("POST", POST)) == 1 and len(copies()) == 1
