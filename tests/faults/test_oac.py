"""Path 6: Oracle Analytics snapshots (POST /snapshots, POST /system/actions/restoreSnapshot, then the work request
followed by the one waiter) on the OAC emulator behind the fault proxy. Faults on the polls are retried; a POST
answered with an error is sent again (nothing started); a POST whose answer is lost after it was sent is never sent
again blindly: the error says so, and the recovery the AnalyticsSnapshot resource uses (find the snapshot by name)
converges on the one snapshot and the one work request."""
from __future__ import annotations

import time

import pytest

from pulumi_objectcopy import jobs
from pulumi_objectcopy.services import analytics
from pulumi_objectcopy.stores.base import AccessDenied, AnswerLost, BadRequest, Transient

from ._support import TRANSIENT, clear_error, honoured_retry_after, inject
from .conftest import FAST_POLLS

LABEL = "6 oac jobs"
BUDGET = 5
NAME = "golden-v42"
SNAPSHOTS, RESTORE, POLL = "/api/20210901/snapshots", "/restoreSnapshot", "/workRequests/"


@pytest.fixture
def oac(proxies):
    """(emulator, proxy, client): the client reaches the emulator through the proxy; a BAR is in storage."""
    from tests.emulators import start_oac
    from tests.emulators.oac_server import bar_bytes
    emu = start_oac({"oac-token"})
    emu.bars[(emu.namespace, "golden", "golden/v42.bar")] = bar_bytes("GoodPassw0rd")
    proxy = proxies(emu.url, LABEL)
    yield emu, proxy, analytics.AnalyticsClient(proxy.url, token=lambda: "oac-token", backoff=FAST_POLLS)
    emu.stop()


def register(name: str = NAME) -> dict:
    return {"type": "REGISTER", "name": name, "description": "golden",
            "storage": {"type": "OCI_NATIVE", "bucket": "golden", "auth": {"type": "OCI_RESOURCE_PRINCIPAL"}},
            "bar": {"uri": "file:///golden/v42.bar", "password": "GoodPassw0rd"}}


def _work_requests(emu, operation: str = "CREATE_SNAPSHOT") -> list:
    return [w for w in emu.work_requests.values() if w.operation_type == operation]


def _create_or_take_over(client) -> dict:
    """What AnalyticsSnapshotProvider.create does: a snapshot found by name is taken over, else created and
    followed to the end."""
    existing = client.find_snapshot(NAME)
    if existing is None:
        client.wait(client.create_snapshot(register()), f"REGISTER snapshot {NAME!r}")
        existing = client.find_snapshot(NAME)
    return existing


@pytest.mark.parametrize("kind", TRANSIENT)
def test_faults_on_the_polls_are_retried(oac, kind):
    emu, proxy, client = oac
    times = 1 if kind == "429-retry-after" else 2
    inject(proxy, kind, "GET", POLL, times=times)
    started = time.monotonic()
    status = client.wait(client.create_snapshot(register()), "register")
    assert status.state == jobs.SUCCEEDED
    assert client.find_snapshot(NAME)["lifecycleState"] == "ACTIVE"
    assert len(_work_requests(emu)) == 1 and len(proxy.seen("POST", SNAPSHOTS)) == 1
    polls = proxy.seen("GET", POLL)
    assert sum(1 for p in polls if p.fault) == times
    if kind == "429-retry-after":
        honoured_retry_after(polls, 1.0)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("kind", ["500", "503-slowdown", "429-retry-after"])
def test_a_start_answered_with_an_error_is_sent_again(oac, kind):
    emu, proxy, client = oac
    inject(proxy, kind, "POST", SNAPSHOTS)
    client.wait(client.create_snapshot(register()), "register")
    assert len(proxy.seen("POST", SNAPSHOTS)) == 2
    assert len(_work_requests(emu)) == 1 and client.find_snapshot(NAME)["lifecycleState"] == "ACTIVE"


@pytest.mark.parametrize("kind", ["reset-after", "truncated", "reset-mid-body", "reset"])
def test_a_lost_answer_starts_no_second_snapshot(oac, kind):
    """reset-after, truncated, reset-mid-body: the instance started the work request; reset: the POST never got
    there. Either way it is not sent again, and finding the snapshot by name converges on one."""
    emu, proxy, client = oac
    inject(proxy, kind, "POST", SNAPSHOTS)
    with pytest.raises(AnswerLost) as e:
        client.create_snapshot(register())
    clear_error(e, f"REGISTER snapshot {NAME!r}", "not sent again")
    assert len(proxy.seen("POST", SNAPSHOTS)) == 1
    assert len(_work_requests(emu)) == (0 if kind == "reset" else 1)
    snapshot = _create_or_take_over(client)  # the retried create
    assert [s["id"] for s in client.snapshots()] == [snapshot["id"]]
    assert len(_work_requests(emu)) == 1
    assert len(proxy.seen("POST", SNAPSHOTS)) == (2 if kind == "reset" else 1)


def test_a_lost_answer_to_a_restore_restores_once(oac):
    emu, proxy, client = oac
    client.wait(client.create_snapshot(register()), "register")
    snapshot = client.find_snapshot(NAME)
    proxy.reset("POST", RESTORE, when="after")
    with pytest.raises(AnswerLost) as e:
        client.restore(snapshot["id"], "GoodPassw0rd")
    clear_error(e, f"restore snapshot {snapshot['id']}")
    assert len(proxy.seen("POST", RESTORE)) == 1
    assert len(_work_requests(emu, "RESTORE_SNAPSHOT")) == 1  # one restore started, not two


def test_the_instance_refusing_the_start_leaves_nothing(oac):
    emu, proxy, client = oac
    with pytest.raises(BadRequest) as e:
        client.create_snapshot({**register(), "type": "CREATE", "bar": {"uri": "file:///golden/new.bar",
                                                                       "password": "weak"}})
    clear_error(e, f"CREATE snapshot {NAME!r}", "password")
    assert len(proxy.seen("POST", SNAPSHOTS)) == 1
    assert emu.work_requests == {} and client.snapshots() == []


@pytest.mark.parametrize("status,error", [(403, AccessDenied), (503, Transient)])
def test_a_start_refused_at_the_proxy_leaves_nothing(oac, status, error):
    """403 at once; 503 after the retry budget."""
    emu, proxy, client = oac
    proxy.error("POST", SNAPSHOTS, status=status, times=99)
    with pytest.raises(error) as e:
        client.create_snapshot(register())
    clear_error(e, f"REGISTER snapshot {NAME!r}")
    assert len(proxy.seen("POST", SNAPSHOTS)) == (1 if status == 403 else BUDGET)
    assert emu.work_requests == {} and client.snapshots() == []


def test_polls_failing_past_the_budget_leave_one_work_request(oac):
    emu, proxy, client = oac
    proxy.error("GET", POLL, status=500, times=99)
    work_request = client.create_snapshot(register())
    with pytest.raises(Transient) as e:
        client.wait(work_request, "register")
    clear_error(e, f"work request {work_request}")
    assert len(proxy.seen("GET", POLL)) == BUDGET
    proxy.clear()
    assert client.wait(work_request, "register").state == jobs.SUCCEEDED  # the same job, followed again
    assert _create_or_take_over(client)["lifecycleState"] == "ACTIVE"
    assert len(_work_requests(emu)) == 1 and len(proxy.seen("POST", SNAPSHOTS)) == 1


# --- the AnalyticsSnapshot resource's own recovery -------------------------------------------------------------
@pytest.fixture
def provider(oac, monkeypatch):
    """The resource provider, called as the engine would, against the emulator behind the proxy."""
    from pulumi_objectcopy.resources.analytics_snapshot import AnalyticsSnapshotProvider
    emu, proxy, client = oac
    emu.polls_to_finish = 1  # the resource's waiter uses the default backoff: finish on the first poll
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    props = {"instance_url": proxy.url, "type": "REGISTER", "name": NAME, "description": "golden",
             "bucket": "golden", "bar_uri": "file:///golden/v42.bar", "bar_password": "GoodPassw0rd",
             "auth_type": "resource_principal", "delete_storage": False}
    return AnalyticsSnapshotProvider(), props


def test_the_resource_takes_over_what_a_lost_answer_started(oac, provider):
    """The POST's answer is lost (and it is not sent again): the create finds the snapshot it started by name and
    follows it to the end: one POST, one work request, one snapshot, ACTIVE."""
    emu, proxy, client = oac
    resource, props = provider
    proxy.reset("POST", SNAPSHOTS, when="after")
    result = resource.create(props)
    assert [s["id"] for s in client.snapshots()] == [result.id] and result.outs["status"] == "ACTIVE"
    assert len(proxy.seen("POST", SNAPSHOTS)) == 1 and len(_work_requests(emu)) == 1


def test_a_lost_answer_that_started_nothing_fails_and_says_so(oac, provider):
    """The POST never reached the instance (the connection reset before it was forwarded): nothing to
    take over, so the create fails with the reason, and nothing was started."""
    emu, proxy, client = oac
    resource, props = provider
    proxy.reset("POST", SNAPSHOTS, when="before")
    with pytest.raises(Exception, match=NAME):
        resource.create(props)
    assert client.snapshots() == [] and _work_requests(emu) == []


def test_a_snapshot_taken_over_while_creating_is_followed_to_the_end(oac, provider):
    """An interrupted run started the snapshot; the next create finds it CREATING and follows it to ACTIVE."""
    emu, proxy, client = oac
    resource, props = provider
    from pulumi_objectcopy.core.analytics_snapshot import payload
    emu.polls_to_finish = 3  # the resource's own first listing still sees it CREATING: it must follow it
    client.create_snapshot(payload(props))
    assert resource.create(props).outs["status"] == "ACTIVE"
    assert len(_work_requests(emu)) == 1
