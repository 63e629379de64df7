"""EpmObjectStoreExport's and EpmObjectStoreImport's core decisions over plain data, with no server: the schema, its
rules, diff and plan (the I/O paths run against the EPM and OCI emulators in tests/lifecycle/test_epm_resources.py,
and through terraform and the plugin)."""
from __future__ import annotations

import pytest

from pulumi_objectcopy import core
from pulumi_objectcopy.core import UNKNOWN, Context
from pulumi_objectcopy.errors import UsageError

EXPORT, IMPORT = core.resource("EpmObjectStoreExport"), core.resource("EpmObjectStoreImport")
BUCKET = "https://objectstorage.us-ashburn-1.oraclecloud.com/n/ns/b/env"


@pytest.fixture(scope="module")
def key():
    from tests.emulators.oci import new_api_key
    return new_api_key()


def export_inputs(key, **given):
    return {"environment_url": "https://epm.example.com", "file_path": "inbox/data.csv", "url": f"{BUCKET}/o/data.csv",
            "oci_tenancy": key.tenancy, "oci_user": key.user, "oci_private_key": key.private_pem,
            "object_profile": "oci", **given}


def import_inputs(key, **given):
    return {"environment_url": "https://epm.example.com", "url": f"{BUCKET}/o/golden/Seed%20Data.zip",
            "oci_tenancy": key.tenancy, "oci_user": key.user, "oci_private_key": key.private_pem,
            "track_source": False, **given}


def exported(key, **state):
    """The state of an export made with export_inputs (as create writes it)."""
    inputs = EXPORT.check(export_inputs(key)).inputs
    return {**EXPORT.schema.echoed_inputs(inputs), "job_id": "1502357937045",
            "object_url": "oci://oci@ns/env/data.csv", "etag": "e1", "written_etag": "e1", "size": 5,
            "last_modified": "2026-01-01T00:00:00+00:00", "exported_at": "2026-01-01T00:00:00+00:00",
            "key_fingerprint": key.fingerprint, **state}


def test_the_key_is_a_secret_input_never_an_output():
    for resource in (EXPORT, IMPORT):
        key = resource.schema.prop("oci_private_key")
        assert key.secret and not key.echoed and key.required
        assert "oci_private_key" not in resource.schema.echoed_inputs({"oci_private_key": "PEM"})
        assert "key_fingerprint" in resource.schema.output_names
    assert EXPORT.schema.replace_on == ("environment_url", "url", "file_path")
    assert IMPORT.schema.replace_on == ("environment_url", "url", "file_name")
    assert (EXPORT.schema.import_id, IMPORT.schema.import_id) == ("ENVIRONMENT_URL,OBJECT_URL",
                                                                  "ENVIRONMENT_URL,FILE_NAME")


@pytest.mark.parametrize("change, prop, says", [
    ({"url": "https://example.com/bucket/data.csv"}, "url", "is not an Object Storage URL"),
    ({"oci_private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"}, "oci_private_key",
     "does not parse"),
    ({"oci_private_key": None}, "oci_private_key", "required: the PEM private key"),
    ({"oci_fingerprint": "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"}, "oci_fingerprint", "does not match"),
    ({"oci_fingerprint": "md5:abc"}, "oci_fingerprint", "not a key fingerprint"),
    ({"delete_policy": "keep"}, "delete_policy", "not one of delete, retain"),
    ({"environment_url": "https://admin:hunter2@epm.example.com"}, "environment_url", "must not carry credentials"),
    ({"oci_user": "my-user"}, "oci_user", "OCID of the user"),
    ({"file_path": "  "}, "file_path", "required"),
    ({"object_profile": "no good"}, "object_profile", "not a profile name"),
])
def test_export_check_failures_name_their_property(key, change, prop, says):
    failures = EXPORT.check(export_inputs(key, **change)).failures
    assert [(f.property, says in f.reason, f.reason.startswith(f"{prop}: ")) for f in failures] == \
        [(prop, True, True)], failures
    assert all("hunter2" not in f.reason for f in failures)


def test_unknowns_are_not_judged_and_blanks_are_not_given(key):
    checked = EXPORT.check(export_inputs(key, url=UNKNOWN, oci_private_key=UNKNOWN, oci_fingerprint="00" * 16,
                                         object_profile=" "))
    assert [f.property for f in checked.failures] == ["oci_fingerprint"]  # its form; not its match with the key
    assert checked.inputs["object_profile"] is None and checked.inputs["delete_policy"] == "delete"
    planned = EXPORT.plan(None, checked.inputs)
    assert planned["object_url"] is UNKNOWN and planned["key_fingerprint"] is UNKNOWN
    assert "oci_private_key" not in planned

    assert IMPORT.check(import_inputs(key, url=UNKNOWN)).inputs["file_name"] is UNKNOWN
    inputs = IMPORT.check(import_inputs(key)).inputs
    assert inputs["file_name"] == "Seed Data" and inputs["source_etag"] is None  # track_source false: no HEAD
    failures = IMPORT.check(import_inputs(key, file_name="Golden.zip", url=BUCKET)).failures
    assert {f.property: f.reason for f in failures} == {
        "url": f"url: must name the object to copy into the environment: {BUCKET}/o/<object>",
        "file_name": "file_name: 'Golden.zip': the environment lists a snapshot without .zip: file_name 'Golden' (an "
                     "object ending in .zip is imported as a snapshot)"}


def test_export_plan_knows_the_object_a_url_names(key):
    inputs = EXPORT.check(export_inputs(key)).inputs
    planned = EXPORT.plan(None, inputs)
    assert planned["object_url"] == "oci://oci@ns/env/data.csv" and planned["key_fingerprint"] == key.fingerprint
    assert planned["etag"] is UNKNOWN and planned["job_id"] is UNKNOWN
    assert EXPORT.plan(None, EXPORT.check(export_inputs(key, url=BUCKET)).inputs)["object_url"] is UNKNOWN


def test_export_diff(key):
    state, inputs = exported(key), EXPORT.check(export_inputs(key)).inputs
    assert not EXPORT.diff("id", state, inputs).changed

    from tests.emulators.oci import new_api_key
    other = new_api_key()
    rotated = EXPORT.check(export_inputs(key, oci_private_key=other.private_pem, delete_policy="retain")).inputs
    diff = EXPORT.diff("id", state, rotated)
    assert diff.properties == ("delete_policy", "oci_private_key") and not diff.replaces
    recorded = EXPORT.update("id", state, rotated, Context()).state  # no job, no request
    assert recorded == EXPORT.plan(state, rotated)
    assert recorded["key_fingerprint"] == other.fingerprint and recorded["delete_policy"] == "retain"

    drift = EXPORT.diff("id", {**state, "etag": "by hand"}, inputs)
    assert [(c.property, "will export it again" in c.reason) for c in drift.changes] == [("etag", True)]
    assert EXPORT.plan({**state, "etag": "by hand"}, inputs)["etag"] is UNKNOWN

    renamed = EXPORT.diff("id", state, EXPORT.check(export_inputs(key, file_path="Artifact Snapshot")).inputs)
    assert renamed.replaces == ("file_path",) and renamed.delete_before_replace  # the same object: old one first
    moved = EXPORT.diff("id", state, EXPORT.check(export_inputs(key, url=f"{BUCKET}/o/other.csv")).inputs)
    assert moved.replaces == ("url",) and not moved.delete_before_replace
    assert EXPORT.diff("id", state, EXPORT.check(export_inputs(key, url=BUCKET)).inputs).replaces == ("url",)


def test_an_imported_export_records_what_the_import_could_not_see_in_place(key):
    """import_ records no job and no credentials: the first update records them, with no job and no replace, even
    when the configuration names the imported object as a bucket and a file."""
    state = {**exported(key, job_id=None, file_path=None, url=None, oci_tenancy=None, oci_user=None,
                        key_fingerprint=None, exported_at=None)}
    for given in ({}, {"url": BUCKET, "file_path": "inbox/data.csv"}):
        inputs = EXPORT.check(export_inputs(key, **given)).inputs
        diff = EXPORT.diff("id", state, inputs)
        assert not diff.replaces and {"file_path", "oci_private_key", "oci_tenancy"} <= set(diff.properties)
        assert EXPORT.update("id", state, inputs, Context()).state == EXPORT.plan(state, inputs)
    elsewhere = EXPORT.check(export_inputs(key, url=f"{BUCKET}/o/other.csv")).inputs
    assert EXPORT.diff("id", state, elsewhere).replaces == ("url",)
    env = EXPORT.check(export_inputs(key, environment_url="https://epm-test.example.com")).inputs
    assert EXPORT.diff("id", state, env).replaces == ("environment_url",)


def test_import_diff_and_adoption(key):
    inputs = {**IMPORT.check(import_inputs(key, track_source=True)).inputs, "source_etag": "v2"}
    state = {**IMPORT.schema.echoed_inputs(inputs), "job_id": "1", "source_etag": "v1", "imported_at": "t",
             "key_fingerprint": key.fingerprint}
    diff = IMPORT.diff("Seed Data", state, inputs)
    assert [c.property for c in diff.changes] == ["source_etag"] and "v1 to v2" in diff.changes[0].reason
    assert IMPORT.plan(state, inputs)["source_etag"] == "v2" and IMPORT.plan(state, inputs)["job_id"] is UNKNOWN
    renamed = IMPORT.diff("Seed Data", state, {**inputs, "file_name": "inbox/seed.csv"})
    assert renamed.replaces == ("file_name",) and not renamed.delete_before_replace
    new_url = IMPORT.diff("Seed Data", state, {**inputs, "url": f"{BUCKET}/o/Seed%20Data.zip"})
    assert new_url.replaces == ("url",) and new_url.delete_before_replace  # the same file: the old one goes first

    adopted = {**state, "job_id": None, "url": None, "source_etag": None, "oci_tenancy": None, "oci_user": None,
               "key_fingerprint": None}
    diff = IMPORT.diff("Seed Data", adopted, inputs)
    assert not diff.replaces and "source_etag" in diff.properties and "url" in diff.properties
    recorded = IMPORT.update("Seed Data", adopted, inputs, Context()).state  # no job: nothing to reach
    assert recorded == IMPORT.plan(adopted, inputs) and recorded["source_etag"] == "v2" and recorded["job_id"] is None
    assert not IMPORT.diff("Seed Data", recorded, inputs).changed


@pytest.mark.parametrize("resource, id, says", [
    (EXPORT, "https://epm.example.com", "expected ENVIRONMENT_URL,OBJECT_URL"),
    (EXPORT, "epm.example.com,oci://ns/b/x", "the environment URL 'epm.example.com' is not the EPM environment's"),
    (EXPORT, f"https://epm.example.com,{BUCKET}", "names only the bucket; name the object"),
    (EXPORT, "https://epm.example.com,s3://b/x", "is not an Object Storage URL"),
    (IMPORT, "https://epm.example.com,", "expected ENVIRONMENT_URL,FILE_NAME"),
    (IMPORT, "https://epm.example.com,Golden.zip", "the environment lists a snapshot without .zip"),
])
def test_a_malformed_import_id_is_refused_before_any_request(resource, id, says):
    with pytest.raises(UsageError) as e:
        resource.import_(id, Context())
    assert says in str(e.value) and "\n" not in str(e.value)
