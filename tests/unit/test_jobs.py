import pytest

from pulumi_objectcopy import jobs
from pulumi_objectcopy.jobs import Backoff, JobFailed, JobStatus, JobTimedOut


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def script(*states):
    it = iter(states)
    return lambda: next(it)


def test_polls_at_once_then_backs_off_to_the_cap():
    clock = FakeClock()
    statuses = [JobStatus(jobs.RUNNING, percent=p) for p in range(0, 80, 10)] + [JobStatus(jobs.SUCCEEDED, 100)]
    seen = []
    final = jobs.wait(script(*statuses), what="copy", timeout=600, backoff=Backoff(first=1, cap=8, jitter=0),
                      on_progress=seen.append, clock=clock, sleep=clock.sleep)
    assert final.state == jobs.SUCCEEDED and len(seen) == 9
    assert clock.sleeps == [1, 2, 4, 8, 8, 8, 8, 8]


def test_jitter_stays_within_its_band():
    b = Backoff(first=1, cap=10, jitter=0.2)
    assert b.delay(3, rand=lambda: 0.0) == pytest.approx(6.4) and b.delay(3, rand=lambda: 1.0) == pytest.approx(9.6)


def test_failure_carries_the_jobs_own_error():
    clock = FakeClock()
    with pytest.raises(JobFailed, match="copy failed: SourceObjectNotFound: the source is gone") as e:
        jobs.wait(script(JobStatus(jobs.RUNNING), JobStatus(jobs.FAILED, detail="SourceObjectNotFound: the source "
                                                                            "is gone")),
                  what="copy", timeout=60, clock=clock, sleep=clock.sleep)
    assert e.value.status.state == jobs.FAILED


def test_timeout_is_bounded_and_says_the_job_goes_on():
    clock = FakeClock()
    with pytest.raises(JobTimedOut, match="still running at 40% after 30 s"):
        jobs.wait(lambda: JobStatus(jobs.RUNNING, percent=40), what="copy", timeout=30,
                  backoff=Backoff(first=1, cap=4, jitter=0), clock=clock, sleep=clock.sleep)
    assert clock.now == pytest.approx(30) and sum(clock.sleeps) == pytest.approx(30)


@pytest.mark.parametrize("table,value,state", [
    (jobs.OCI_WORK_REQUEST, "COMPLETED", jobs.SUCCEEDED), (jobs.OCI_WORK_REQUEST, "canceling", jobs.RUNNING),
    (jobs.OAC_WORK_REQUEST, "SUCCEEDED", jobs.SUCCEEDED), (jobs.OAC_WORK_REQUEST, "ACCEPTED", jobs.PENDING),
])
def test_vendor_states(table, value, state):
    assert jobs.vendor_state(table, value, "job") == state


def test_unknown_vendor_state_is_a_clear_error():
    with pytest.raises(Exception, match="unknown job state 'EXPLODED'"):
        jobs.vendor_state(jobs.OCI_WORK_REQUEST, "EXPLODED", "copy")


@pytest.mark.parametrize("status,state", [(-1, jobs.RUNNING), (0, jobs.SUCCEEDED), (1, jobs.FAILED), (4, jobs.FAILED)])
def test_epm_statuses(status, state):
    assert jobs.epm_state(status) == state


def test_a_cancelled_wait_stops_at_once_and_says_the_job_goes_on():
    import threading

    from pulumi_objectcopy.errors import Cancelled
    stop = threading.Event()
    polls = []

    def poll():
        polls.append(1)
        stop.set()  # the user presses ^C while the job runs
        return jobs.JobStatus(jobs.RUNNING)

    with pytest.raises(Cancelled, match="goes on in the service"):
        jobs.wait(poll, what="restore", timeout=3600, cancelled=stop, sleep=lambda s: pytest.fail("slept"))
    assert len(polls) == 1
