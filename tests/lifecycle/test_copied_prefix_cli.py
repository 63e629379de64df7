"""CopiedPrefix through the real `pulumi` CLI (file backend) against MinIO behind a counting proxy: what a user sees
from up, a no-op up, preview of a changed source, refresh of drift, `objectcopy drift`, destroy; a prefix of
10,000 objects; and `up` interrupted mid prefix (SIGINT, SIGKILL of the engine), which the next `up` finishes
with nothing copied twice and no upload left behind."""
from __future__ import annotations

import json
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ..conftest import MINIO_ENDPOINT, run_cli
from ..counting_proxy import CountingProxy
from .test_interrupted import PartHold, Running, leftovers, pending, recover  # noqa: F401 - leftovers: a fixture
from .test_pulumi_cli import Stack, pulumi_bin  # noqa: F401 - pulumi_bin is a fixture

PROGRAM = '''
import pulumi
from pulumi_objectcopy import CopiedPrefix

config = pulumi.Config()
golden = CopiedPrefix("golden", **config.require_object("prefix"))
pulumi.export("counts", {"objects": golden.object_count, "copied": golden.copied_count,
                         "written": golden.written_count})
'''
MiB = 1 << 20


def copies(proxy: CountingProxy) -> list[str]:
    """CopyObject and UploadPartCopy requests (a PUT naming a copy source)."""
    return [p for m, p, h in proxy.requests if m == "PUT" and any(k.lower() == "x-amz-copy-source" for k in h)]


def make_stack(pulumi_bin, tmp_path, endpoint: str, **profile_extra) -> Stack:
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(PROGRAM)
    stack = Stack(pulumi_bin, tmp_path, program=program, name="prefix")
    profile = {"scheme": "s3", "endpoint": endpoint, "provider": "minio", "access_key_id_env": "OC_TEST_MINIO_KEY",
               "secret_access_key_env": "OC_TEST_MINIO_SECRET", **profile_extra}
    stack.run("config", "set", "objectcopy:profiles", json.dumps({"counted": profile}))
    return stack


def put_many(minio, keys: list[str], body=lambda k: k.encode()) -> None:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: minio.client.put_object(Bucket=minio.bucket, Key=k, Body=body(k)), keys))


@pytest.fixture
def counted():
    proxy = CountingProxy(MINIO_ENDPOINT)
    yield proxy
    proxy.close()


def test_up_noop_preview_refresh_drift_destroy(pulumi_bin, tmp_path, backends, key_prefix, counted):
    minio = backends("minio")
    url = lambda key: f"s3://counted@{minio.bucket}/{key_prefix}{key}"  # noqa: E731
    for rel in ("db/a.sql", "db/b.sql", "assets/logo.svg", "drafts/x.md", "tmp.tmp"):
        minio.put(f"{key_prefix}golden/{rel}", rel.encode())
    minio.put(f"{key_prefix}env/user.txt", b"not ours")
    stack = make_stack(pulumi_bin, tmp_path, counted.url)
    stack.set_object("prefix:prefix", {"source": url("golden/"), "destination": url("env/"),
                                       "exclude": ["*.tmp", "drafts/**"]})

    up = stack.run("up", "--yes")
    assert "CopiedPrefix golden created" in up.stdout, up.stdout
    assert sorted(copies(counted)) and len(copies(counted)) == 3
    outs = stack.outputs("golden")
    assert (outs["object_count"], outs["copied_count"], outs["written_count"]) == (3, 3, 3)
    assert minio.get(f"{key_prefix}env/db/a.sql") == b"db/a.sql" and not minio.exists(f"{key_prefix}env/tmp.tmp")

    counted.reset()
    again = stack.run("up", "--yes")
    assert "2 unchanged" in again.stdout, again.stdout
    assert copies(counted) == [] and {m for m, _, _ in counted.requests} == {"GET"}  # listings only

    minio.put(f"{key_prefix}golden/db/a.sql", b"changed")
    minio.put(f"{key_prefix}golden/db/new.sql", b"new")
    preview = stack.run("preview", "--diff")
    assert "~ pulumi-python:dynamic/objectcopy:CopiedPrefix: (update)" in preview.stdout, preview.stdout
    assert re.search(r"~ object_count\s*: 3 => 4", preview.stdout), preview.stdout
    # what the update will do, in counts and the first keys (an info diagnostic: the engine prints it on stderr)
    assert f"CopiedPrefix {url('env/')}: 1 changed, 1 new: db/a.sql, db/new.sql" in preview.stderr, preview.stderr
    counted.reset()
    stack.run("up", "--yes")
    assert len(copies(counted)) == 2 and minio.get(f"{key_prefix}env/db/a.sql") == b"changed"

    minio.put(f"{key_prefix}env/db/b.sql", b"edited by hand")
    drift = run_cli("drift", "--stack", "dev", "--json", env=stack.env, cwd=stack.dir)
    assert drift.returncode == 4, drift.stdout + drift.stderr
    assert [(f["status"], f["detail"]) for f in json.loads(drift.stdout)] == [
        ("destination changed", "1 edited by hand: db/b.sql")]
    refresh = stack.run("refresh", "--yes")
    assert "~ 1 updated" in refresh.stdout, refresh.stdout
    counted.reset()
    stack.run("up", "--yes")
    assert len(copies(counted)) == 1 and minio.get(f"{key_prefix}env/db/b.sql") == b"db/b.sql"
    assert run_cli("drift", "--stack", "dev", env=stack.env, cwd=stack.dir).returncode == 0

    minio.put(f"{key_prefix}env/assets/logo.svg", b"theirs now")
    destroy = stack.run("destroy", "--yes")
    assert "left 1 this resource wrote but changed since (assets/logo.svg) and 1 it did not write" in destroy.stdout
    assert minio.get(f"{key_prefix}env/user.txt") == b"not ours"
    assert minio.get(f"{key_prefix}env/assets/logo.svg") == b"theirs now"
    assert not minio.exists(f"{key_prefix}env/db/a.sql")


def test_ten_thousand_objects(pulumi_bin, tmp_path, backends, key_prefix, counted):
    """In CI: the timeout is generous (never a speed test); the README says how long it takes."""
    minio = backends("minio")
    n = 10_000
    keys = [f"{key_prefix}golden/d{i // 1000}/o{i:05d}" for i in range(n)]
    put_many(minio, keys)
    stack = make_stack(pulumi_bin, tmp_path, counted.url)
    stack.set_object("prefix:prefix", {"source": f"s3://counted@{minio.bucket}/{key_prefix}golden/",
                                       "destination": f"s3://counted@{minio.bucket}/{key_prefix}env/"})
    started = time.monotonic()
    stack.run("up", "--yes")
    first = time.monotonic() - started
    assert len(copies(counted)) == n and stack.outputs("golden")["written_count"] == n
    counted.reset()
    started = time.monotonic()
    assert "2 unchanged" in stack.run("up", "--yes").stdout
    noop = time.monotonic() - started
    assert copies(counted) == [] and {m for m, _, _ in counted.requests} == {"GET"}
    state = stack.run("stack", "export").stdout
    assert len(state) < 200_000, len(state)  # the record, not a row per object
    started = time.monotonic()
    stack.run("destroy", "--yes")
    print(f"\n10,000 objects: up {first:.0f} s, no-op up {noop:.0f} s, destroy {time.monotonic() - started:.0f} s, "
          f"state {len(state):,} bytes")
    assert not minio.client.list_objects_v2(Bucket=minio.bucket, Prefix=f"{key_prefix}env/").get("Contents")


# --- interrupted ---------------------------------------------------------------------------------------------------
@pytest.fixture
def held(pulumi_bin, tmp_path, backends, key_prefix):
    """A stack whose prefix holds 30 small objects and one of 20 MiB copied in four parts through a proxy that
    holds every part copy until the test releases it: the run is stopped with the small ones copied."""
    minio = backends("minio")
    hold = PartHold()
    stack = make_stack(pulumi_bin, tmp_path, hold.proxy.url, multipart_cutoff=5 * MiB, part_size=5 * MiB)
    small = [f"{key_prefix}golden/s{i:02d}" for i in range(30)]
    put_many(minio, small)
    big = os.urandom(20 * MiB)
    minio.put(f"{key_prefix}golden/big.bin", big)
    stack.set_object("prefix:prefix", {"source": f"s3://counted@{minio.bucket}/{key_prefix}golden/",
                                       "destination": f"s3://counted@{minio.bucket}/{key_prefix}env/",
                                       "concurrency": 4})

    class Case:
        pass
    case = Case()
    case.stack, case.hold, case.minio, case.small, case.big = stack, hold, minio, small, big
    case.dst = lambda key: key.replace("/golden/", "/env/")
    case.uploads = lambda: minio.client.list_multipart_uploads(Bucket=minio.bucket, Prefix=f"{key_prefix}env/") \
        .get("Uploads", [])
    case.copied_small = lambda: [k for m, k in ((m, p) for m, p, _ in list(hold.proxy.requests)) if m == "PUT"
                                 and "/env/s" in k and "partNumber" not in k]
    yield case
    hold.close()


def start_held(case, leftovers) -> Running:
    run = Running(case.stack, "up", "--yes", "--skip-preview")
    assert case.hold.seen.wait(120), f"no part copy reached the proxy:\n{run.output}"
    deadline = time.monotonic() + 60
    while len(case.copied_small()) < len(case.small) and time.monotonic() < deadline:
        time.sleep(0.2)  # the small copies are not held: let them finish, so the run stops mid prefix
    leftovers.extend(run.providers())
    return run


def assert_converged(case) -> None:
    assert case.uploads() == []
    for key in case.small:
        assert case.minio.get(case.dst(key)) == key.encode()
    assert case.minio.get(case.dst(f"{case.small[0].rsplit('/', 1)[0]}/big.bin")) == case.big
    case.stack.run("preview", "--expect-no-changes")


def test_sigkill_of_the_engine_mid_prefix_then_up_copies_only_the_rest(held, leftovers):
    case = held
    run = start_held(case, leftovers)
    first = len(case.copied_small())
    assert first == len(case.small)
    run.signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL
    assert all(p.exited(30) for p in leftovers), leftovers  # the provider aborts its upload and ends itself
    assert case.uploads() == []
    case.hold.release()
    case.hold.proxy.reset()
    up = recover(case.stack, engine_killed=True)
    assert "CopiedPrefix golden created" in up, up
    assert case.copied_small() == []  # the 30 copied before the kill are adopted, not copied again
    assert "1 copied, 30 adopted" in json.dumps(case.stack.outputs("golden"))
    assert_converged(case)


def test_sigint_once_lets_the_copies_finish_and_records_them(held, leftovers):
    case = held
    run = start_held(case, leftovers)
    run.signal(signal.SIGINT)
    run.wait_for("^C received; cancelling")
    case.hold.release()
    assert run.wait() != 0
    assert "CopiedPrefix golden created" in run.output, run.output
    assert pending(case.stack) == []
    case.hold.proxy.reset()
    assert "2 unchanged" in case.stack.run("up", "--yes").stdout
    assert [m for m, _, _ in case.hold.proxy.requests if m != "GET"] == []
    assert_converged(case)
