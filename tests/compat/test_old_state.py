"""State written by v0.1.0, fed to this tree's providers through the engine stand-in (tests/lifecycle/harness.py).

EpmObjectStoreImport of v0.1.0 sends no fileName (issue 11, defect 5): an EPM that follows Oracle's page refuses its
request, so once the EPM emulator is as strict, v0.1.0 can no longer make an import for the CLI test
(test_state_compat.py) to upgrade. Its state shape stays covered here: OLD_IMPORT is the state v0.1.0 wrote for an
import (captured from a v0.1.0 run), its pickled provider included, given this run's URLs and ETags.
"""
from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from pulumi_objectcopy.resources.epm_transfer import EpmObjectStoreImportProvider

from ..lifecycle.harness import Engine, Resource

pytestmark = pytest.mark.servers

# v0.1.0's pickle of its EpmObjectStoreImportProvider: pulumi_objectcopy.resources.epm_transfer, by reference.
V010_IMPORT_PROVIDER = ("gASVUAAAAAAAAACMKHB1bHVtaV9vYmplY3Rjb3B5LnJlc291cmNlcy5lcG1fdHJhbnNm"
                        "ZXKUjBxFcG1PYmplY3RTdG9yZUltcG9ydFByb3ZpZGVylJOUKYGULg==")
OBJECT, FILE = "epm/seed data.csv", "seed data.csv"
EPM_USER, EPM_PASSWORD = "epm-admin", "epm-pass-3b8c"


def old_import(*, epm_url: str, url: str, key, source_etag: str) -> Resource:
    """The state v0.1.0 kept for `EpmObjectStoreImport(environment_url, url, object_profile="oci",
    track_source=True, **key)`: inputs as checked, outputs as created (None values are not kept)."""
    public = {"environment_url": epm_url, "url": url, "oci_tenancy": key.tenancy, "oci_user": key.user,
              "object_profile": "oci", "delete_policy": "delete", "track_source": True, "source_etag": source_etag,
              "__provider": V010_IMPORT_PROVIDER}
    return Resource(FILE, {**public, "oci_private_key": key.private_pem},
                    {**public, "job_id": "1502357937045", "file_name": FILE, "imported_at": "2026-12-06T17:19:00+00:00",
                     "key_fingerprint": key.fingerprint})


@pytest.fixture
def world(oci_emulator, profiles_file, monkeypatch):
    from tests.emulators import start_epm
    from tests.emulators.oci import new_api_key
    monkeypatch.setenv("EPM_USERNAME", EPM_USER)
    monkeypatch.setenv("EPM_PASSWORD", EPM_PASSWORD)
    monkeypatch.delenv("EPM_TOKEN", raising=False)
    bucket = f"compat-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(bucket)
    etag = oci_emulator.put_object(bucket, OBJECT, b"account,amount\n4110,12.5\n")["etag"]
    epm = start_epm({EPM_USER: EPM_PASSWORD}, storage=oci_emulator.objects())
    epm.add_file(FILE, b"account,amount\n4110,12.5\n")  # what v0.1.0's import put there
    engine = Engine(EpmObjectStoreImportProvider())
    key = new_api_key()
    url = f"https://objectstorage.us-ashburn-1.oraclecloud.com/n/{oci_emulator.namespace}/b/{bucket}/o/{quote(OBJECT)}"
    try:
        yield {"epm": epm, "engine": engine, "oci": oci_emulator, "bucket": bucket, "key": key, "url": url,
               "old": old_import(epm_url=epm.url, url=url, key=key, source_etag=etag),
               "program": {"environment_url": epm.url, "url": url, "oci_tenancy": key.tenancy, "oci_user": key.user,
                           "oci_private_key": key.private_pem, "object_profile": "oci", "track_source": True}}
    finally:
        engine.close()
        epm.stop()


def test_an_import_made_by_v010_plans_nothing_reads_back_and_deletes_its_file(world):
    engine, old, epm = world["engine"], world["old"], world["epm"]
    step, _ = engine.preview(old, world["program"])
    assert step == "same"
    read = engine.read(old)
    assert read is not None and read.id == old.id
    assert {k: v for k, v in read.outputs.items() if k != "__provider"} == \
        {k: v for k, v in old.outputs.items() if k != "__provider"}
    assert not epm.jobs  # neither plan nor refresh starts a copy
    engine.delete(old)  # with v0.1.0's pickled provider, as destroy runs it
    assert FILE not in epm.files


def test_an_import_made_by_v010_plans_an_update_when_its_object_changes(world):
    """track_source: the new code compares with the source_etag v0.1.0 recorded."""
    world["oci"].put_object(world["bucket"], OBJECT, b"account,amount\n4110,99\n")
    step, _ = world["engine"].preview(world["old"], world["program"])
    assert step == "update"
