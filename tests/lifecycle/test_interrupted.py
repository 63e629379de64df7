"""Interrupted runs, through the real `pulumi` CLI: `pulumi up` stopped (SIGINT once, twice, SIGKILL of the engine,
SIGKILL of the engine and the provider process) in the middle of a multipart copy on MinIO and of an Oracle
Analytics snapshot job; then the recovery a user runs, which must converge and leave nothing behind.

The copy is held, not slowed: a proxy in front of MinIO keeps every UploadPartCopy until the test releases it, and
the test signals once the proxy has seen the first one. The snapshot job is held by the OAC emulator, whose work
requests advance per poll only: it needs a million polls until the test says the service has finished.

What pulumi v3.259 does, as these tests pin it down:
- SIGINT once: "^C received; cancelling"; the engine waits for the calls in flight, records them, exits 1
  ("update canceled"). Nothing pending; the next `up` changes nothing.
- SIGINT twice: "^C received; terminating"; the engine sends SIGINT to the provider's process group, waits up to
  5 s, SIGKILLs it, and exits. The create stays pending in the state ("interrupted while creating").
- SIGKILL of the engine: the provider process is not signalled at all (it is in a process group of its own).
- A killed engine leaves its lock on the stack (a file backend's lock file): every command that changes the stack
  fails with "the stack is currently locked by 1 lock(s)" until `pulumi cancel --yes` removes it.
- A pending create: the next `pulumi up` warns ("Attempting to deploy or update resources with 1 pending
  operations from previous deployment"), creates the resource again, and keeps the pending operation in the state
  (it warns again every run); a non-interactive `pulumi refresh` keeps it too. `pulumi refresh
  --clear-pending-creates --yes` drops it. (`--import-pending-creates` cannot work: import never reaches dynamic
  providers.)
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
from pathlib import Path
from urllib.parse import unquote

import pytest

from ..conftest import MINIO_ENDPOINT
from ..counting_proxy import CountingProxy
from .test_pulumi_cli import SNAPSHOT_PROGRAM, Stack, pulumi_bin  # noqa: F401 - pulumi_bin is a fixture

MiB = 1 << 20
PART = 5 * MiB          # the smallest part S3 allows
SIZE = 4 * PART         # so the copy goes in four parts
HOLD_LIMIT = 120.0      # seconds a held request waits for the test before it is let through anyway
PENDING_WARNING = "Attempting to deploy or update resources with 1 pending operations from previous deployment"


# --- the engine as a background process ------------------------------------------------------------------------
class Running:
    """`pulumi <args>` in the background, its output collected as it comes, and its provider processes."""

    def __init__(self, stack: Stack, *args: str):
        self.proc = subprocess.Popen(["pulumi", "--non-interactive", *args], cwd=stack.dir, env=stack.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.eof = False
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self.eof = True
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self.eof or text in "".join(self.lines), timeout)
        assert text in self.output, f"pulumi never printed {text!r}:\n{self.output}"

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 120) -> int:
        rc = self.proc.wait(timeout)
        self._reader.join(timeout)
        return rc

    def providers(self) -> list[Proc]:
        """The dynamic provider processes this engine launched (the shell script and its python)."""
        return [Proc(pid) for pid in _descendants(self.proc.pid)
                if any(s in _cmdline(pid) for s in ("pulumi.dynamic", "pulumi-resource-pulumi-python"))]


class Proc:
    """A process held by a pidfd: waited for and signalled without any risk of reaching a reused pid."""

    def __init__(self, pid: int):
        self.pid, self.cmdline = pid, _cmdline(pid)
        self.fd = os.pidfd_open(pid)

    def exited(self, timeout: float) -> bool:
        """Wait (at most `timeout` s) for it to end: the pidfd becomes readable when it does."""
        return bool(select.select([self.fd], [], [], timeout)[0])

    def kill(self) -> None:
        try:
            signal.pidfd_send_signal(self.fd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        os.close(self.fd)

    def __repr__(self) -> str:
        return f"{self.pid} {self.cmdline}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture
def leftovers():
    """Provider processes a test found; any still alive at the end are killed, so no test leaves one running."""
    procs: list[Proc] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.close()


def pending(stack: Stack) -> list[tuple[str, str]]:
    state = json.loads(stack.run("stack", "export").stdout)["deployment"]
    return [(op["resource"]["urn"].rsplit("::", 1)[1], op["type"]) for op in state.get("pending_operations") or []]


def recover(stack: Stack, *, engine_killed: bool) -> str:
    """The procedure for the README: remove the lock a killed engine left, drop the interrupted creates from the
    state, then run `up` again."""
    if engine_killed:
        stack.run("cancel", "--yes")
    stack.run("refresh", "--clear-pending-creates", "--yes")
    assert pending(stack) == []
    return stack.run("up", "--yes").stdout


def assert_clean(stack: Stack) -> None:
    """Nothing left to do: no pending operation, preview plans nothing, refresh finds nothing changed."""
    assert pending(stack) == []
    stack.run("preview", "--expect-no-changes")
    stack.run("refresh", "--yes", "--expect-no-changes")


# --- a multipart copy, held ------------------------------------------------------------------------------------
class PartHold:
    """A recording proxy in front of MinIO that holds every UploadPartCopy until `release()`."""

    def __init__(self):
        self.proxy = CountingProxy(MINIO_ENDPOINT)
        self.proxy.server.handle_error = lambda request, address: None  # a killed client's socket: expected here
        self.seen, self.released = threading.Event(), threading.Event()
        self.proxy.intercept = self._intercept

    def _intercept(self, method: str, path: str, headers: dict):
        if method == "PUT" and "partNumber=" in path and any(k.lower() == "x-amz-copy-source" for k in headers):
            self.seen.set()
            self.released.wait(HOLD_LIMIT)
        return None

    def release(self) -> None:
        self.released.set()

    def saw(self, method: str, text: str) -> bool:
        return any(m == method and text in unquote(p) for m, p, _ in list(self.proxy.requests))

    def close(self) -> None:
        self.release()
        self.proxy.close()


@pytest.fixture
def copy_case(pulumi_bin, tmp_path, backends, key_prefix):
    """A stack with one CopiedObject whose 20 MiB copy goes in four parts through the holding proxy."""
    minio = backends("minio")
    hold = PartHold()
    stack = Stack(pulumi_bin, tmp_path)
    profile = {"scheme": "s3", "endpoint": hold.proxy.url, "provider": "minio",
               "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_env": "OC_TEST_MINIO_SECRET",
               "multipart_cutoff": PART, "part_size": PART}
    stack.run("config", "set", "objectcopy:profiles", json.dumps({"held": profile}))
    data = os.urandom(SIZE)
    minio.put(key_prefix + "golden.bin", data)
    dst = key_prefix + "copy.bin"
    stack.copies({"big": {"source": f"s3://held@{minio.bucket}/{key_prefix}golden.bin",
                          "destination": f"s3://held@{minio.bucket}/{dst}"}})

    class Case:
        pass
    case = Case()
    case.stack, case.hold, case.minio, case.data, case.dst = stack, hold, minio, data, dst
    case.uploads = lambda: [u["UploadId"] for u in minio.client.list_multipart_uploads(
        Bucket=minio.bucket, Prefix=dst).get("Uploads", []) if u["Key"] == dst]
    yield case
    hold.close()


def start_held_up(case, leftovers) -> Running:
    run = Running(case.stack, "up", "--yes")
    assert case.hold.seen.wait(120), f"no part copy reached the proxy:\n{run.output}"
    leftovers.extend(run.providers())
    assert leftovers, "no provider process found under the engine"
    return run


def test_sigint_once_waits_for_the_copy_and_records_it(copy_case, leftovers):
    case = copy_case
    run = start_held_up(case, leftovers)
    run.signal(signal.SIGINT)
    run.wait_for("^C received; cancelling")
    assert run.proc.poll() is None  # the engine waits for the create in flight: its parts are still held
    case.hold.release()
    assert run.wait() != 0
    assert "CopiedObject big created" in run.output and "update canceled" in run.output, run.output
    assert pending(case.stack) == []
    assert case.minio.get(case.dst) == case.data and case.uploads() == []

    case.hold.proxy.reset()
    again = case.stack.run("up", "--yes")
    assert "2 unchanged" in again.stdout, again.stdout
    assert case.hold.proxy.copies() == [], case.hold.proxy.requests
    assert_clean(case.stack)


def test_sigint_twice_aborts_the_upload_before_the_engine_kills_the_provider(copy_case, leftovers):
    case = copy_case
    run = start_held_up(case, leftovers)
    [upload_id] = case.uploads()
    run.signal(signal.SIGINT)
    run.wait_for("^C received; cancelling")
    run.signal(signal.SIGINT)
    run.wait_for("^C received; terminating")
    assert run.wait() != 0
    assert all(p.exited(30) for p in leftovers), leftovers
    # The parts are still held: only the provider's own abort, on the engine's SIGINT, can have removed it.
    assert case.uploads() == [] and case.hold.saw("DELETE", f"uploadId={upload_id}")
    assert not case.minio.exists(case.dst)
    assert pending(case.stack) == [("big", "creating")]

    case.hold.release()
    recover(case.stack, engine_killed=False)
    assert case.minio.get(case.dst) == case.data and case.uploads() == []
    assert_clean(case.stack)


def test_a_provider_that_outlives_a_killed_engine_aborts_its_upload_and_exits(copy_case, leftovers):
    case = copy_case
    run = start_held_up(case, leftovers)
    [upload_id] = case.uploads()
    run.signal(signal.SIGKILL)  # the engine only, as an OOM kill or a runner's timeout would
    assert run.wait() == -signal.SIGKILL
    # Nobody signals the provider: it notices the engine is gone, aborts the upload and ends itself.
    assert all(p.exited(30) for p in leftovers), leftovers
    assert case.uploads() == [] and case.hold.saw("DELETE", f"uploadId={upload_id}")
    assert pending(case.stack) == [("big", "creating")]

    case.hold.release()
    # The killed engine's lock stays: every command that changes the stack fails until `pulumi cancel`.
    locked = case.stack.run("up", "--yes", check=False)
    assert locked.returncode != 0 and "the stack is currently locked" in locked.stderr, locked.stderr
    case.stack.run("cancel", "--yes")
    # `up` alone converges but keeps the pending create, and says so every run until it is cleared.
    up = case.stack.run("up", "--yes")
    assert PENDING_WARNING in up.stdout and "interrupted while creating" in up.stdout, up.stdout
    assert "CopiedObject big created" in up.stdout
    assert case.minio.get(case.dst) == case.data and case.uploads() == []
    assert pending(case.stack) == [("big", "creating")]
    assert PENDING_WARNING in case.stack.run("up", "--yes").stdout
    case.stack.run("refresh", "--clear-pending-creates", "--yes")
    assert PENDING_WARNING not in case.stack.run("up", "--yes").stdout
    assert_clean(case.stack)


def test_an_upload_left_by_a_killed_provider_is_swept_by_the_next_run(copy_case, leftovers):
    """Engine and provider SIGKILLed together (a lost machine, a runner killing the whole job): no process is left
    to clean up, so the retried create aborts the upload to its own destination before it copies."""
    case = copy_case
    run = start_held_up(case, leftovers)
    [orphan] = case.uploads()
    for proc in leftovers:
        proc.kill()
    run.signal(signal.SIGKILL)
    run.wait()
    assert all(p.exited(30) for p in leftovers)
    assert case.uploads() == [orphan]  # what the sweep is for

    case.hold.release()
    up = recover(case.stack, engine_killed=True)
    assert "CopiedObject big created" in up, up
    assert case.hold.saw("DELETE", f"uploadId={orphan}")
    assert case.minio.get(case.dst) == case.data and case.uploads() == []
    assert_clean(case.stack)


# --- a snapshot job, held ----------------------------------------------------------------------------------------
@pytest.fixture
def snapshot_case(pulumi_bin, tmp_path, monkeypatch):
    from tests.emulators import start_oac
    from tests.emulators.oci import new_api_key
    oac = start_oac({"oac-token"})
    oac.polls_to_finish = 10 ** 6  # the job runs until the test says the service has finished it
    polled = threading.Event()
    oac.before_request = lambda emu, req: polled.set() if req.method == "GET" and "/workRequests/" in req.path \
        else None
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    key = new_api_key()
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(SNAPSHOT_PROGRAM)
    stack = Stack(pulumi_bin, tmp_path, program=program, name="snapshots")
    stack.run("config", "set", "url", oac.url)
    stack.run("config", "set", "tenancy", key.tenancy)
    stack.run("config", "set", "user", key.user)
    stack.env.update(BAR_PASSWORD="GoodPassw0rd", OCI_KEY=key.private_pem)

    class Case:
        def finish_jobs(self) -> None:
            """The service finishes the job on its own, as OAC does whether anyone polls or not."""
            with oac.lock:
                oac.polls_to_finish = 1
                for wr in oac.work_requests.values():
                    oac.poll(wr)
    case = Case()
    case.stack, case.oac, case.polled = stack, oac, polled
    yield case
    oac.stop()


def start_held_snapshot(case, leftovers) -> Running:
    run = Running(case.stack, "up", "--yes")
    assert case.polled.wait(120), f"the snapshot's work request was never polled:\n{run.output}"
    leftovers.extend(run.providers())
    assert leftovers, "no provider process found under the engine"
    return run


def snapshot_state(stack: Stack) -> dict:
    state = json.loads(stack.run("stack", "export").stdout)["deployment"]
    [res] = [r for r in state["resources"] if r["urn"].endswith("::snap")]
    return res["outputs"]


def test_sigint_once_waits_for_the_snapshot_job(snapshot_case, leftovers):
    case, oac = snapshot_case, snapshot_case.oac
    run = start_held_snapshot(case, leftovers)
    run.signal(signal.SIGINT)
    run.wait_for("^C received; cancelling")
    assert run.proc.poll() is None  # waiting for the job
    with oac.lock:
        oac.polls_to_finish = 1  # the provider's next poll sees it finished
    assert run.wait() != 0
    assert "AnalyticsSnapshot snap created" in run.output, run.output
    assert pending(case.stack) == []
    assert "2 unchanged" in case.stack.run("up", "--yes").stdout
    [snap] = oac.snapshots.values()
    assert len(oac.work_requests) == 1 and snap.lifecycle_state == "ACTIVE"
    assert snapshot_state(case.stack)["snapshot_id"] == snap.id
    assert_clean(case.stack)
    case.stack.run("destroy", "--yes")
    assert not oac.snapshots


def test_a_snapshot_job_interrupted_by_sigkill_is_taken_over_not_started_twice(snapshot_case, leftovers):
    case, oac = snapshot_case, snapshot_case.oac
    run = start_held_snapshot(case, leftovers)
    run.signal(signal.SIGKILL)
    run.wait()
    for proc in leftovers:  # the provider is orphaned and would poll on; the next run must not depend on it
        proc.kill()
    assert all(p.exited(30) for p in leftovers)
    assert pending(case.stack) == [("snap", "creating")]
    [job] = oac.work_requests.values()
    assert job.status != "SUCCEEDED"
    case.finish_jobs()

    up = recover(case.stack, engine_killed=True)
    assert "AnalyticsSnapshot snap created" in up, up
    [snap] = oac.snapshots.values()
    assert list(oac.work_requests) == [job.id], "a second snapshot job was started"
    outs = snapshot_state(case.stack)
    assert outs["snapshot_id"] == snap.id and outs["status"] == "ACTIVE"
    assert_clean(case.stack)
    case.stack.run("destroy", "--yes")
    assert not oac.snapshots


def test_a_retried_snapshot_create_follows_the_job_still_running(snapshot_case, leftovers):
    """Rerun while the killed run's job is still going: the retried create finds the snapshot CREATING and follows it
    to ACTIVE (it returns only then, so what depends on the snapshot finds it ready)."""
    case, oac = snapshot_case, snapshot_case.oac
    run = start_held_snapshot(case, leftovers)
    for proc in leftovers:
        proc.kill()
    run.signal(signal.SIGKILL)
    run.wait()
    assert all(p.exited(30) for p in leftovers)
    [job] = oac.work_requests.values()
    with oac.lock:
        oac.polls_to_finish = job.polls + 3  # still running; whoever follows it sees it finish in three polls
    recover(case.stack, engine_killed=True)
    [snap] = oac.snapshots.values()
    assert list(oac.work_requests) == [job.id], "a second snapshot job was started"
    assert snapshot_state(case.stack)["status"] == "ACTIVE" and snap.lifecycle_state == "ACTIVE"
    assert_clean(case.stack)


# --- the two mechanisms, in process --------------------------------------------------------------------------------
def test_the_sweep_aborts_only_older_uploads_to_exactly_the_destination(backends, key_prefix):
    from pulumi_objectcopy import transfer
    from pulumi_objectcopy.urls import parse
    minio = backends("minio")
    s3, bucket = minio.client, minio.bucket
    minio.put(key_prefix + "src", os.urandom(2 * PART))
    left = s3.create_multipart_upload(Bucket=bucket, Key=key_prefix + "dst")["UploadId"]
    neighbour = s3.create_multipart_upload(Bucket=bucket, Key=key_prefix + "dst-2")["UploadId"]
    try:
        url = lambda key: parse(f"s3://minio@{bucket}/{key_prefix}{key}")  # noqa: E731
        config = transfer.TransferConfig(multipart_threshold=PART, part_size=PART)
        result = transfer.copy_object(url("src"), url("dst"), config=config)  # a one-off copy sweeps nothing
        assert result.method == "server-side-multipart"
        uploads = lambda: {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}  # noqa: E731
        assert {left, neighbour} <= uploads()
        transfer.copy_object(url("src"), url("dst"), config=config, sweep_stale_uploads=True)
        assert left not in uploads() and neighbour in uploads()  # `dst-2` is another object's: kept
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key=key_prefix + "dst-2", UploadId=neighbour)


def test_the_watcher_gives_up_on_the_engine_only_after_refusals_in_a_row():
    from pulumi_objectcopy.resources import engine_watch
    answers = iter([True, False, True, True])  # refused, answered, refused, refused
    aborted, exits = [], []
    watcher = engine_watch.Watcher(("127.0.0.1", 1), refuses=lambda address: next(answers),
                                   abort=lambda: aborted.append("abort") or [], exit_process=exits.append)
    watcher.stopped.wait = lambda timeout: False  # no pause between probes here
    watcher.run()
    assert aborted == ["abort"] and exits == [engine_watch.EXIT_ENGINE_GONE]
    assert next(answers, "none left") == "none left"  # it gave up on the fourth probe, not before
    assert engine_watch.engine_address(["__main__.py", "127.0.0.1:41959"]) == ("127.0.0.1", 41959)
    assert engine_watch.engine_address(["__main__.py"]) is None  # a stand-in engine that passes no address
    assert engine_watch.engine_address(["__main__.py", "-v=9", "[::1]:5000"]) == ("::1", 5000)
