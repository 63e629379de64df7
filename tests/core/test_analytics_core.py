"""AnalyticsSnapshot's and AnalyticsSnapshotRestore's core decisions over plain data, against the Oracle Analytics
emulator (in process): no Pulumi, no engine, no OCI store (the BAR is not tracked here; the lifecycle tests track it
through the OCI emulator). Seconds."""
from __future__ import annotations

import pytest

from pulumi_objectcopy import core
from pulumi_objectcopy.core import UNKNOWN, Context
from pulumi_objectcopy.core.analytics_snapshot import payload
from pulumi_objectcopy.errors import UsageError
from pulumi_objectcopy.services.analytics import AnalyticsClient
from tests.emulators.oac_server import bar_bytes

SNAP, RESTORE = core.resource("AnalyticsSnapshot"), core.resource("AnalyticsSnapshotRestore")
PASSWORD = "GoodPassw0rd"


@pytest.fixture
def oac(monkeypatch, tmp_path):
    from tests.emulators import start_oac
    emu = start_oac({"oac-token"})
    emu.polls_to_finish = 1
    monkeypatch.setenv("OAC_TOKEN", "oac-token")
    # No OCI configuration here: the provider cannot see the bucket, so the BAR is not tracked.
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", str(tmp_path / "no-oci-config"))
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def key():
    from tests.emulators.oci import new_api_key
    return new_api_key(bits=1024)


def inputs(oac, key, **overrides):
    return {"instance_url": oac.url, "type": "register", "name": "golden-v42", "bucket": "golden",
            "bar_uri": "file:///golden/v42.bar", "bar_password": PASSWORD, "oci_region": "us-ashburn-1",
            "oci_tenancy": key.tenancy, "oci_user": key.user, "oci_private_key": key.private_pem, **overrides}


def put_bar(oac, name="golden/v42.bar"):
    oac.bars[(oac.namespace, "golden", name)] = bar_bytes(PASSWORD, name)


@pytest.mark.parametrize("change,prop,reason", [
    ({"type": "create", "bar_password": "weak"}, "bar_password", "8 to 50 characters, a digit, an upper-case letter"),
    ({"oci_private_key": "not a key"}, "oci_private_key", "does not parse as a PEM private key"),
    ({"type": "COPY"}, "type", "'COPY' is not one of CREATE, REGISTER"),
    ({"bar_uri": "s3://x/y.bar"}, "bar_uri", "must be file:///<folder>/<name>.bar"),
    ({"bucket": "no spaces"}, "bucket", "is not a bucket name"),
    ({"bucket_region": "Ashburn"}, "bucket_region", "not a region id such as us-ashburn-1"),
    ({"object_profile": "no spaces"}, "object_profile", "not a profile name"),
    ({"instance_url": "oac.example.com"}, "instance_url", "must be the instance's URL"),
    ({"oci_user": None}, "oci_user", "required with auth_type api_key (or use auth_type resource_principal)"),
    ({"auth_type": "token"}, "auth_type", "'token' is not one of api_key, resource_principal"),
])
def test_check_names_each_bad_input_in_one_line(oac, key, change, prop, reason):
    result = SNAP.check(inputs(oac, key, **change))
    assert [f.property for f in result.failures] == [prop], result.failures
    [failure] = result.failures
    assert failure.reason.startswith(f"{prop}: ") and reason in failure.reason and "\n" not in failure.reason
    assert key.private_pem not in failure.reason and PASSWORD not in failure.reason


def test_check_plans_canonical_inputs_and_judges_only_what_is_known(oac, key):
    result = SNAP.check(inputs(oac, key, type="register", oci_private_key=UNKNOWN, bucket=UNKNOWN))
    assert result.failures == ()
    assert result.inputs["type"] == "REGISTER" and result.inputs["auth_type"] == "api_key"
    assert result.inputs["delete_storage"] is False and result.inputs["bar_etag"] is None  # no HEAD of an unknown
    principal = SNAP.check({**inputs(oac, key, auth_type="resource_principal"), "oci_user": None,
                            "oci_private_key": None})
    assert principal.failures == ()
    a_register_keeps_its_bars_password = SNAP.check(inputs(oac, key, bar_password="weak"))
    assert a_register_keeps_its_bars_password.failures == ()


def test_lifecycle_register_read_update_delete_with_warnings_as_data(oac, key):
    put_bar(oac)
    checked = SNAP.check(inputs(oac, key))
    planned = SNAP.plan(None, checked.inputs)
    assert planned["snapshot_id"] is UNKNOWN and planned["bar_etag"] is UNKNOWN and planned["name"] == "golden-v42"
    assert "oci_private_key" not in planned and "bar_password" not in planned

    applied = SNAP.create(checked.inputs, Context())
    [snapshot] = oac.snapshots.values()
    assert applied.id == snapshot.id and applied.state["snapshot_id"] == snapshot.id
    assert applied.state["status"] == "ACTIVE" and applied.state["work_request_id"] in oac.work_requests
    assert "oci_private_key" not in applied.state and "bar_password" not in applied.state  # never outputs
    assert applied.state["registered_bar_etag"] is None
    [warning] = applied.warnings                                      # not tracked, said as data
    assert "BAR drift is not tracked" in warning and "object_profile" in warning

    read = SNAP.read(applied.id, applied.state, Context())
    assert read.id == applied.id and read.state == applied.state
    again = SNAP.check(inputs(oac, key), read.inputs)
    assert not SNAP.diff(read.id, read.state, again.inputs).changed
    rotated = SNAP.check(inputs(oac, key, bar_password="OtherPassw0rd"), read.inputs)
    assert not SNAP.diff(read.id, read.state, rotated.inputs).changed  # a secret is never compared

    described = SNAP.check(inputs(oac, key, description="golden, reviewed"), read.inputs)
    diff = SNAP.diff(read.id, read.state, described.inputs)
    assert [c.property for c in diff.changes] == ["description"] and not diff.replaces
    updated = SNAP.update(read.id, read.state, described.inputs, Context())
    assert updated.state["description"] == "golden, reviewed" == SNAP.plan(read.state, described.inputs)["description"]
    assert len(oac.snapshots) == 1

    renamed = SNAP.diff(read.id, read.state, SNAP.check(inputs(oac, key, name="golden-v43")).inputs)
    assert renamed.replaces == ("name",) and renamed.delete_before_replace

    assert SNAP.delete(updated.id, updated.state, Context()) == ()
    assert not oac.snapshots and SNAP.read(updated.id, updated.state, Context()).id is None  # gone: dropped


def test_a_bar_changed_since_registered_replaces_with_a_reason(oac, key):
    state = {**SNAP.check(inputs(oac, key)).inputs, "bar_object": "oci://oci@ns/golden/golden/v42.bar",
             "registered_bar_etag": "etag-1", "bar_etag": "etag-1"}
    assert not SNAP.diff("id", state, {**state, "bar_etag": "etag-1"}).changed
    seen_by_a_plan = SNAP.diff("id", state, {**state, "bar_etag": "etag-2"})
    assert seen_by_a_plan.replaces == ("bar_etag",) and seen_by_a_plan.delete_before_replace
    [change] = seen_by_a_plan.changes
    assert change.reason == ("the BAR oci://oci@ns/golden/golden/v42.bar changed since it was registered (ETag "
                             "etag-1, now etag-2): will register it again")
    deleted = SNAP.diff("id", {**state, "bar_etag": None}, {**state, "bar_etag": None, "type": "CREATE"})
    assert "now deleted): will snapshot the instance again" in deleted.changes[-1].reason


def test_a_retried_create_takes_over_the_snapshot_it_started(oac, key):
    put_bar(oac)
    checked = SNAP.check(inputs(oac, key))
    AnalyticsClient(oac.url).create_snapshot(payload(checked.inputs))
    before = len(oac.work_requests)
    applied = SNAP.create(checked.inputs, Context())
    assert len(oac.work_requests) == before and applied.state["work_request_id"] is None


def test_create_fails_in_one_line_naming_the_snapshot_and_the_instance(oac, key):
    with pytest.raises(Exception) as e:
        SNAP.create(SNAP.check(inputs(oac, key, bar_uri="file:///golden/none.bar")).inputs, Context())
    assert str(e.value).startswith(f"AnalyticsSnapshot 'golden-v42' on {oac.url}: ") and "BarNotFound" in str(e.value)
    assert "\n" not in str(e.value) and not oac.snapshots


def test_import_records_what_the_instance_says_and_refuses_what_it_does_not_know(oac, key):
    put_bar(oac)
    created = SNAP.create(SNAP.check(inputs(oac, key, description="golden")).inputs, Context())
    imported = SNAP.import_(f"{oac.url},{created.id}", Context())
    assert imported.id == created.id
    for name in ("instance_url", "type", "name", "description", "bucket", "bar_uri", "auth_type", "snapshot_id",
                 "status"):
        assert imported.state[name] == created.state[name], name
    assert imported.inputs["name"] == "golden-v42" and "oci_private_key" not in imported.state

    with pytest.raises(UsageError) as e:
        SNAP.import_(f"{oac.url},NOSUCHSNAPSHOT", Context())
    assert str(e.value) == (f"import '{oac.url},NOSUCHSNAPSHOT': {oac.url} has no snapshot NOSUCHSNAPSHOT; give the "
                            "id of a snapshot the instance lists")
    with pytest.raises(UsageError, match="expected INSTANCE_URL,SNAPSHOT_ID"):
        SNAP.import_(created.id, Context())


def test_restore_runs_once_records_and_imports_by_work_request(oac, key):
    put_bar(oac)
    snap = SNAP.create(SNAP.check(inputs(oac, key)).inputs, Context())
    checked = RESTORE.check({"instance_url": oac.url, "snapshot_id": snap.id, "password": PASSWORD})
    assert checked.failures == () and RESTORE.plan(None, checked.inputs)["work_request_id"] is UNKNOWN
    applied = RESTORE.create(checked.inputs, Context())
    assert oac.restored == [snap.id] and applied.id == applied.state["work_request_id"]
    assert "password" not in applied.state
    assert not RESTORE.diff(applied.id, applied.state, checked.inputs).changed
    assert RESTORE.diff(applied.id, applied.state, {**checked.inputs, "snapshot_id": "other"}).replaces == \
        ("snapshot_id",)
    [warning] = RESTORE.delete(applied.id, applied.state, Context())
    assert "a restore cannot be undone" in warning and oac.restored == [snap.id]

    imported = RESTORE.import_(f"{oac.url},{applied.id}", Context())
    assert (imported.id, imported.state["snapshot_id"], imported.inputs) == \
        (applied.id, snap.id, {"instance_url": oac.url, "snapshot_id": snap.id})
    with pytest.raises(UsageError, match="is a CREATE_SNAPSHOT, not a RESTORE_SNAPSHOT"):
        RESTORE.import_(f"{oac.url},{snap.state['work_request_id']}", Context())
    with pytest.raises(UsageError, match="has no work request nosuch"):
        RESTORE.import_(f"{oac.url},nosuch", Context())
    missing = RESTORE.check({"instance_url": oac.url, "snapshot_id": None})
    assert [f.property for f in missing.failures] == ["snapshot_id"]
    assert not RESTORE.check({"instance_url": oac.url, "snapshot_id": UNKNOWN}).failures
