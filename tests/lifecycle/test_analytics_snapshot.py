"""AnalyticsSnapshot through the dynamic-provider protocol against the Oracle Analytics emulator, whose BAR files
live in the OCI emulator's buckets, where the provider HEADs them with the `oci` test profile."""
from __future__ import annotations

import uuid

import pytest

from pulumi_objectcopy.resources.analytics_snapshot import AnalyticsSnapshotProvider
from tests.emulators.oac_server import bar_bytes

from .harness import CheckFailed, Engine


@pytest.fixture
def oac(monkeypatch, oci_emulator):
    from tests.emulators import start_oac
    emu = start_oac({"oac-token"}, storage=oci_emulator.objects(), namespace=oci_emulator.namespace)
    emu.polls_to_finish = 2  # the waiter's first pause is half a second: keep the tests quick
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    yield emu
    emu.stop()


@pytest.fixture
def bucket(oci_emulator):
    name = f"golden-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(name)
    return name


@pytest.fixture
def engine(oac):  # after oac: the provider process inherits OBJECTCOPY_PROFILES and OAC_TOKEN
    e = Engine(AnalyticsSnapshotProvider())
    yield e
    e.close()


@pytest.fixture(scope="module")
def key():
    from tests.emulators.oci import new_api_key
    return new_api_key()


@pytest.fixture
def program(oac, key, bucket, oci_emulator):
    return lambda **overrides: _program(oac, key, bucket, oci_emulator.namespace, **overrides)


def _program(oac, key, bucket, namespace, **overrides):
    return {"instance_url": oac.url, "type": "CREATE", "name": "golden-v42", "description": "golden",
            "bucket": bucket, "bucket_namespace": namespace, "bar_uri": "file:///golden/v42.bar",
            "bar_password": "GoodPassw0rd", "oci_region": "us-ashburn-1", "oci_tenancy": key.tenancy,
            "oci_user": key.user, "oci_private_key": key.private_pem, "object_profile": "oci", **overrides}


def _etag(oci_emulator, bucket, name="golden/v42.bar"):
    return oci_emulator.get_object(bucket, name)["etag"]


def _replace(engine, res, program):
    """What the engine does for a replacement the provider asks to delete first: delete, then create."""
    step, inputs = engine.preview(res, program)
    assert step == "replace"
    diff = engine.diff(res, inputs)
    assert list(diff.replaces) == ["bar_etag"] and diff.deleteBeforeReplace
    engine.delete(res)
    return engine.create(inputs)


def test_create_read_delete(engine, oac, oci_emulator, bucket, program):
    step, res = engine.up(None, program())
    assert step == "create" and res.outputs["status"] == "ACTIVE"
    assert (oci_emulator.namespace, bucket, "golden/v42.bar") in oac.bars
    assert engine.read(res).outputs == res.outputs
    assert engine.up(res, program())[0] == "same"
    engine.delete(res)
    assert not oac.snapshots and (oci_emulator.namespace, bucket, "golden/v42.bar") in oac.bars  # storage kept


def test_create_records_the_bar_and_its_etag(engine, oci_emulator, bucket, program):
    _, res = engine.up(None, program())
    etag = _etag(oci_emulator, bucket)
    assert res.outputs["bar_object"] == f"oci://oci@{oci_emulator.namespace}/{bucket}/golden/v42.bar"
    assert res.outputs["bar_etag"] == res.outputs["registered_bar_etag"] == etag


def test_a_bar_overwritten_by_hand_is_drift_and_replaces_the_snapshot(engine, oac, oci_emulator, bucket, program):
    prog = program(type="REGISTER", name="from-golden", bar_password="OtherPassw0rd")
    first = oci_emulator.put_object(bucket, "golden/v42.bar", bar_bytes("OtherPassw0rd", "v1"))["etag"]
    _, res = engine.up(None, prog)
    assert res.outputs["registered_bar_etag"] == first
    second = oci_emulator.put_object(bucket, "golden/v42.bar", bar_bytes("OtherPassw0rd", "v2"))["etag"]
    step, planned = engine.preview(res, prog)  # preview HEADs the BAR: no refresh needed for a replaced one
    assert step == "replace" and (res.inputs["bar_etag"], planned["bar_etag"]) == (first, second)
    refreshed = engine.read(res)
    assert refreshed.outputs["bar_etag"] == second != first
    assert refreshed.outputs["registered_bar_etag"] == first
    assert refreshed.inputs["bar_etag"] == first  # the BAR as registered: `preview --diff` shows first => second
    new = _replace(engine, refreshed, prog)
    assert new.outputs["bar_etag"] == new.outputs["registered_bar_etag"] == second
    assert [s.name for s in oac.snapshots.values()] == ["from-golden"] and new.id != res.id
    assert engine.up(new, prog)[0] == "same"


def test_a_deleted_bar_is_drift_and_a_create_snapshots_again(engine, oac, oci_emulator, bucket, program):
    _, res = engine.up(None, program())
    oci_emulator.delete_object(bucket, "golden/v42.bar")
    refreshed = engine.read(res)
    assert refreshed is not None and refreshed.outputs.get("bar_etag") is None
    new = _replace(engine, refreshed, program())
    assert new.outputs["bar_etag"] == new.outputs["registered_bar_etag"] == _etag(oci_emulator, bucket)
    assert len(oac.snapshots) == 1


def test_delete_storage_spares_a_bar_rewritten_since(engine, oac, oci_emulator, bucket, program):
    _, res = engine.up(None, program(delete_storage=True))
    oci_emulator.put_object(bucket, "golden/v42.bar", bar_bytes("GoodPassw0rd", "by hand"))
    engine.delete(engine.read(res))
    assert not oac.snapshots and oci_emulator.get_object(bucket, "golden/v42.bar")["data"] == bar_bytes(
        "GoodPassw0rd", "by hand")
    _, res = engine.up(None, program(delete_storage=True))
    engine.delete(res)
    assert (oci_emulator.namespace, bucket, "golden/v42.bar") not in oac.bars  # its own BAR: deleted


@pytest.mark.parametrize("profile,why", [
    ("nosuchprofile", "profile 'nosuchprofile'"),
    (None, "no OCI API key"),  # where pulumi runs has no OCI configuration (a resource principal user's CI)
])
def test_without_a_usable_oci_profile_create_succeeds_untracked_with_a_warning(oac, program, capfd, tmp_path,
                                                                             profile, why):
    no_config = {"OCI_CLI_CONFIG_FILE": str(tmp_path / "none"), "OCI_CLI_USER": "", "OCI_CLI_KEY_FILE": ""}
    engine = Engine(AnalyticsSnapshotProvider(), env=no_config)  # started here: its stderr goes where capfd reads
    try:
        prog = program(object_profile=profile, bucket_namespace=None)
        step, res = engine.up(None, prog)
        assert step == "create" and res.outputs["status"] == "ACTIVE"
        assert res.outputs.get("bar_etag") is None and res.outputs.get("registered_bar_etag") is None
        err = capfd.readouterr().err  # no engine in this harness: the provider's warning goes to its stderr
        assert "BAR drift is not tracked" in err and "set object_profile" in err.lower() and why in err, err
        assert "GoodPassw0rd" not in err and "PRIVATE KEY" not in err
        assert engine.read(res).outputs.get("bar_etag") is None
        assert engine.up(res, prog)[0] == "same"
    finally:
        engine.close()


def test_setting_object_profile_later_starts_tracking(engine, oci_emulator, bucket, program):
    _, res = engine.up(None, program(object_profile="nosuchprofile"))
    step, res = engine.up(res, program())
    assert step == "update" and res.outputs["registered_bar_etag"] == _etag(oci_emulator, bucket)


def test_register_of_an_existing_bar_tracks_its_etag(engine, oac, oci_emulator, bucket, program):
    etag = oci_emulator.put_object(bucket, "golden/v41.bar", bar_bytes("OtherPassw0rd", "v41"))["etag"]
    step, res = engine.up(None, program(type="REGISTER", name="v41", bar_uri="file:///golden/v41.bar",
                                        bar_password="OtherPassw0rd"))
    assert step == "create" and res.outputs["status"] == "ACTIVE"
    assert res.outputs["bar_etag"] == res.outputs["registered_bar_etag"] == etag
    assert res.outputs["bar_object"].endswith(f"/{bucket}/golden/v41.bar")


def test_the_namespace_is_looked_up_when_none_is_given(engine, oac, oci_emulator, bucket, program):
    _, res = engine.up(None, program(bucket_namespace=None))
    assert res.outputs["bar_object"] == f"oci://oci@{oci_emulator.namespace}/{bucket}/golden/v42.bar"
    assert res.outputs["registered_bar_etag"] == _etag(oci_emulator, bucket)
    assert "bucketOciNamespace" not in next(iter(oac.snapshots.values())).storage


def test_state_from_before_bar_tracking_plans_no_changes(engine, program):
    _, res = engine.up(None, program())
    for name in ("object_profile", "bar_object", "bar_etag", "registered_bar_etag"):
        res.outputs.pop(name)
        res.inputs.pop(name, None)
    old_program = {k: v for k, v in program().items() if k != "object_profile"}
    assert engine.up(res, old_program)[0] == "same"


@pytest.mark.parametrize("change,prop,reason", [
    ({"bar_password": "weak"}, "bar_password", "8 to 50 characters"),
    ({"oci_private_key": "not a key"}, "oci_private_key", "does not parse"),
    ({"type": "COPY"}, "type", "is not one of CREATE, REGISTER"),
    ({"bar_uri": "s3://x/y.bar"}, "bar_uri", "file:///"),
    ({"bucket_region": "Ashburn"}, "bucket_region", "not a region id"),
    ({"object_profile": "no spaces"}, "object_profile", "not a profile name"),
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
    from pulumi_objectcopy.core.analytics_snapshot import payload
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
