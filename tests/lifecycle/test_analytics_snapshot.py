"""AnalyticsSnapshot through the dynamic-provider protocol against the Oracle Analytics emulator."""
from __future__ import annotations

import pytest

from pulumi_objectcopy.resources.analytics_snapshot import AnalyticsSnapshotProvider

from .harness import CheckFailed, Engine


@pytest.fixture
def oac(monkeypatch):
    from tests.emulators import start_oac
    emu = start_oac({"oac-token"})
    emu.polls_to_finish = 2  # the waiter's first pause is half a second: keep the tests quick
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    yield emu
    emu.stop()


@pytest.fixture
def engine(oac):
    e = Engine(AnalyticsSnapshotProvider())
    yield e
    e.close()


@pytest.fixture(scope="module")
def key():
    from tests.emulators.oci import new_api_key
    return new_api_key()


@pytest.fixture
def program(oac, key):
    return lambda **overrides: _program(oac, key, **overrides)


def _program(oac, key, **overrides):
    return {"instance_url": oac.url, "type": "CREATE", "name": "golden-v42", "description": "golden",
            "bucket": "golden", "bucket_namespace": "objectcopy", "bar_uri": "file:///golden/v42.bar",
            "bar_password": "GoodPassw0rd", "oci_region": "us-ashburn-1", "oci_tenancy": key.tenancy,
            "oci_user": key.user, "oci_private_key": key.private_pem, **overrides}


def test_create_read_delete(engine, oac, program):
    step, res = engine.up(None, program())
    assert step == "create" and res.outputs["status"] == "ACTIVE"
    assert ("objectcopy", "golden", "golden/v42.bar") in oac.bars
    assert engine.read(res).outputs == res.outputs
    assert engine.up(res, program())[0] == "same"
    engine.delete(res)
    assert not oac.snapshots and ("objectcopy", "golden", "golden/v42.bar") in oac.bars  # delete_storage false


@pytest.mark.parametrize("change,prop,reason", [
    ({"bar_password": "weak"}, "bar_password", "8 to 50 characters"),
    ({"oci_private_key": "not a key"}, "oci_private_key", "does not parse"),
    ({"type": "COPY"}, "type", "not CREATE or REGISTER"),
    ({"bar_uri": "s3://x/y.bar"}, "bar_uri", "file:///"),
    ({"bucket_region": "Ashburn"}, "bucket_region", "not a region id"),
])
def test_check_reports_each_bad_input(engine, program, change, prop, reason):
    with pytest.raises(CheckFailed) as e:
        engine.preview(None, program(**change))
    assert any(p == prop and reason in r for p, r in e.value.failures), e.value.failures


def test_register_of_a_missing_bar_fails_with_the_work_requests_error(engine, oac, program):
    with pytest.raises(Exception, match="BarNotFound"):
        engine.up(None, program(type="REGISTER", name="from-golden", bar_uri="file:///golden/none.bar"))
    assert not oac.snapshots


def test_a_retried_create_takes_over_the_snapshot_it_started(engine, oac, program):
    from pulumi_objectcopy.services.analytics import AnalyticsClient
    client = AnalyticsClient(oac.url)
    from pulumi_objectcopy.resources.analytics_snapshot import payload
    client.create_snapshot(payload(program()))  # the interrupted first run
    before = len(oac.work_requests)
    step, res = engine.up(None, program())
    assert step == "create" and len(oac.work_requests) == before  # no second snapshot started
    assert res.outputs["snapshot_id"] == client.find_snapshot("golden-v42")["id"]


def test_deregistered_by_hand_is_dropped(engine, oac, program):
    _, res = engine.up(None, program())
    oac.snapshots.clear()
    assert engine.read(res) is None


def test_a_new_name_replaces_the_snapshot(engine, program):
    _, res = engine.up(None, program())
    step, _ = engine.up(res, program(name="golden-v43"))
    assert step == "replace"


def test_a_description_change_updates_in_place(engine, oac, program):
    _, res = engine.up(None, program())
    step, res = engine.up(res, program(description="golden, reviewed"))
    assert step == "update" and res.outputs["description"] == "golden, reviewed" and len(oac.snapshots) == 1


def test_restore_runs_once_and_a_wrong_password_fails_with_the_services_error(engine, oac, program):
    from pulumi_objectcopy.resources.analytics_snapshot import AnalyticsSnapshotRestoreProvider
    _, snap = engine.up(None, program())
    restore = Engine(AnalyticsSnapshotRestoreProvider())
    try:
        step, res = restore.up(None, {"instance_url": oac.url, "snapshot_id": snap.id, "password": "GoodPassw0rd"})
        assert step == "create" and oac.restored == [snap.id]
        assert restore.up(res, {"instance_url": oac.url, "snapshot_id": snap.id, "password": "GoodPassw0rd"})[0] \
            == "same"
        restore.delete(res)
        assert oac.restored == [snap.id]  # nothing undone
        with pytest.raises(Exception, match="InvalidPassword"):
            restore.up(None, {"instance_url": oac.url, "snapshot_id": snap.id, "password": "WrongPassw0rd"})
    finally:
        restore.close()
