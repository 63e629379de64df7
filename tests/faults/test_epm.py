"""Path 7: Oracle EPM Copy To Object Store (POST .../objectstorage/copyto, then the job polled by the one waiter) on
the EPM emulator behind the fault proxy. Faults on the polls are retried, 429 included; a POST answered with an
error is sent again; a POST whose answer is lost is not sent again (that would start a second job)."""
from __future__ import annotations

import time

import pytest

from pulumi_objectcopy import jobs
from pulumi_objectcopy.services import epm
from pulumi_objectcopy.stores.base import AccessDenied, AnswerLost, ObjectCopyError, Transient

from ._support import TRANSIENT, clear_error, honoured_retry_after, inject
from .conftest import FAST_POLLS

LABEL = "7 epm jobs"
BUDGET = 5
COPYTO, POLL = "/interop/rest/v3/objectstorage/copyto", "/interop/rest/v3/status/jobs/"
BUCKET_URL = "https://objectstorage.us-ashburn-1.oraclecloud.com/n/objectcopy/b/golden"


@pytest.fixture(scope="module")
def api_key():
    from tests.emulators.oci import new_api_key
    return new_api_key()


@pytest.fixture
def epm_env(proxies, monkeypatch, api_key):
    """(emulator, proxy, export): export() asks for a copy of the LCM snapshot to the bucket, through the proxy."""
    from tests.emulators import start_epm
    emu = start_epm({"idm.admin": "Welcome1"})
    monkeypatch.setenv("EPM_USERNAME", "idm.admin")
    monkeypatch.setenv("EPM_PASSWORD", "Welcome1")
    monkeypatch.delenv("EPM_TOKEN", raising=False)
    emu.add_file("Artifact Snapshot", b"an LCM snapshot", type="LCM")
    proxy = proxies(emu.url, LABEL)
    client = epm.EpmClient(proxy.url, backoff=FAST_POLLS)

    def export() -> str:
        return client.copy_to_object_store(file_path="Artifact Snapshot", url=BUCKET_URL, tenancy=api_key.tenancy,
                                           user=api_key.user, fingerprint=api_key.fingerprint,
                                           private_key_pem=api_key.private_pem)

    yield emu, proxy, client, export
    emu.stop()


EXPORTED = ("objectcopy", "golden", "Artifact Snapshot.zip")
WHAT = f"copy 'Artifact Snapshot' to {BUCKET_URL}"


@pytest.mark.parametrize("kind", TRANSIENT)
def test_faults_on_the_polls_are_retried(epm_env, kind):
    emu, proxy, client, export = epm_env
    times = 1 if kind == "429-retry-after" else 2
    inject(proxy, kind, "GET", POLL, times=times)
    started = time.monotonic()
    assert client.wait(export(), "export").state == jobs.SUCCEEDED
    assert emu.objects[EXPORTED] == b"an LCM snapshot"
    assert len(emu.jobs) == 1 and len(proxy.seen("POST", COPYTO)) == 1
    polls = proxy.seen("GET", POLL)
    assert sum(1 for p in polls if p.fault) == times
    if kind == "429-retry-after":
        honoured_retry_after(polls, 1.0)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("kind", ["500", "503-slowdown", "429-retry-after"])
def test_a_start_answered_with_an_error_is_sent_again(epm_env, kind):
    emu, proxy, client, export = epm_env
    inject(proxy, kind, "POST", COPYTO)
    assert client.wait(export(), "export").state == jobs.SUCCEEDED
    assert len(proxy.seen("POST", COPYTO)) == 2 and len(emu.jobs) == 1


@pytest.mark.parametrize("kind", ["reset-after", "truncated", "reset-mid-body", "reset"])
def test_a_lost_answer_starts_no_second_job(epm_env, kind):
    emu, proxy, client, export = epm_env
    inject(proxy, kind, "POST", COPYTO)
    with pytest.raises(AnswerLost) as e:
        export()
    clear_error(e, WHAT, "not sent again")
    assert len(proxy.seen("POST", COPYTO)) == 1
    assert len(emu.jobs) == (0 if kind == "reset" else 1)


@pytest.mark.parametrize("status,error", [(403, AccessDenied), (503, Transient)])
def test_a_start_refused_leaves_no_job(epm_env, status, error):
    """403 at once; 503 after the retry budget (or at once while services/epm.py sends the trigger once)."""
    emu, proxy, client, export = epm_env
    proxy.error("POST", COPYTO, status=status, times=99)
    with pytest.raises(error) as e:
        export()
    clear_error(e, WHAT)
    assert len(proxy.seen("POST", COPYTO)) in ((1,) if status == 403 else (1, BUDGET))
    assert emu.jobs == [] and EXPORTED not in emu.objects


def test_bad_credentials_leave_no_job(epm_env, monkeypatch):
    emu, proxy, client, export = epm_env
    monkeypatch.setenv("EPM_PASSWORD", "not-the-password")
    with pytest.raises(AccessDenied) as e:
        export()
    clear_error(e, WHAT)
    assert len(proxy.seen("POST", COPYTO)) == 1 and emu.jobs == []


def test_a_gateway_page_instead_of_the_answer_is_a_clear_error(epm_env):
    """A 200 whose body is some proxy's HTML, not EPM's JSON: an ObjectCopyError naming the request, not a
    JSONDecodeError."""
    emu, proxy, client, export = epm_env
    proxy.error("POST", COPYTO, status=200, headers={"Content-Type": "text/html"},
                body=b"<html><head><title>Gateway</title></head><body>maintenance</body></html>")
    with pytest.raises(ObjectCopyError) as e:
        export()
    clear_error(e, WHAT)
    assert emu.jobs == []


def test_a_failed_job_carries_its_details_and_writes_nothing(epm_env):
    emu, proxy, client, export = epm_env
    emu.fail_next_job(1, "EPMLCM-13000: snapshot is locked by another job")
    job = export()
    with pytest.raises(jobs.JobFailed) as e:
        client.wait(job, WHAT)
    clear_error(e, WHAT, "snapshot is locked by another job")
    assert len(emu.jobs) == 1 and EXPORTED not in emu.objects


def test_polls_failing_past_the_budget_leave_the_one_job(epm_env):
    emu, proxy, client, export = epm_env
    proxy.error("GET", POLL, status=500, times=99)
    job = export()
    with pytest.raises(Transient) as e:
        client.wait(job, "export")
    clear_error(e, f"EPM job {job}")
    assert len(proxy.seen("GET", POLL)) == BUDGET and len(emu.jobs) == 1
    proxy.clear()
    assert client.wait(job, "export").state == jobs.SUCCEEDED  # the same job, followed again
    assert len(emu.jobs) == 1 and emu.objects[EXPORTED] == b"an LCM snapshot"
