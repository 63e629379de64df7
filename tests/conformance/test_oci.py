"""OCI specifics: CopyObject is a work request, so a copy retried after an interruption must follow the one still
running instead of starting a second copy."""
from __future__ import annotations

import threading
import time

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores import open_store
from pulumi_objectcopy.stores.base import BadRequest, MiB, Part, PreconditionFailed, WriteOptions
from pulumi_objectcopy.transfer import TransferConfig
from pulumi_objectcopy.urls import parse


def test_a_retried_copy_follows_the_work_request_still_running(backends, oci_emulator, key_prefix):
    oci = backends("oci")
    oci.put(key_prefix + "src", b"one copy only", meta={"k": "v"})
    src_url, dst_url = parse(oci.url(key_prefix + "src")), parse(oci.url(key_prefix + "dst"))
    store = open_store(src_url)
    before = len(oci_emulator.work_requests())
    oci_emulator.hold_copies(at=40)
    # The first run starts the copy and is interrupted while the service is still copying.
    src = store.head(src_url)
    store._start_copy(src, dst_url, {"sourceObjectName": src_url.key, "destinationRegion": store.region,
                                     "destinationNamespace": dst_url.bucket.split("/")[0],
                                     "destinationBucket": dst_url.bucket.split("/")[1],
                                     "destinationObjectName": dst_url.key})
    held = oci_emulator.wait_for(lambda wr: wr.get("status") == "IN_PROGRESS")
    # The retry finds that work request and waits on it; it starts nothing new.
    result = {}
    oci_emulator.requests(clear=True)
    retry = threading.Thread(target=lambda: result.update(r=transfer.copy_object(src_url, dst_url)))
    retry.start()
    _wait_until_polled(oci_emulator, held["id"])  # release only once the retry follows the held request
    oci_emulator.release_copies()
    retry.join(timeout=60)
    assert result["r"].method == "server-side"
    assert oci.get(key_prefix + "dst") == b"one copy only"
    assert len(oci_emulator.work_requests()) == before + 1


def _wait_until_polled(emulator, work_request_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.get("method") == "GET" and f"/workRequests/{work_request_id}" in r.get("path", "")
               for r in emulator.requests()):
            return
        time.sleep(0.02)  # a bounded poll of the emulator's request log, like its own wait_for
    raise AssertionError(f"the retried copy never polled work request {work_request_id}")


def test_a_copy_across_regions_stays_server_side(backends, oci_emulator, key_prefix):
    """Same API key, another region: CopyObject goes to the source's region and names the destination's."""
    oci = backends("oci")
    oci.put(key_prefix + "src", b"to frankfurt")
    far = f"oc-oci-fra-{key_prefix.strip('/')}"
    oci_emulator.create_bucket(far, region="eu-frankfurt-1")
    dst = parse(f"oci://oci-fra@{oci_emulator.namespace}/{far}/{key_prefix}dst")
    result = transfer.copy_object(parse(oci.url(key_prefix + "src")), dst)
    assert result.method == "server-side"
    assert oci_emulator.get_object(far, key_prefix + "dst")["data"] == b"to frankfurt"
    [copy] = [w for w in oci_emulator.work_requests() if (w.get("details") or {}).get("destinationBucket") == far]
    assert copy["details"]["destinationRegion"] == "eu-frankfurt-1"


def test_storage_tier_and_progress_of_the_work_request(backends, oci_emulator, key_prefix):
    oci = backends("oci")
    oci.put(key_prefix + "src", b"cold" * 1000)
    seen = []
    transfer.copy_object(parse(oci.url(key_prefix + "src")), parse(oci.url(key_prefix + "dst")),
                         options=WriteOptions(storage_class="InfrequentAccess"),
                         progress=lambda done, total, parts_done, parts_total: seen.append(done))
    assert oci_emulator.get_object(oci.bucket.split("/")[1], key_prefix + "dst")["storageTier"] == "InfrequentAccess"
    assert seen[-1] == 4000 and len(seen) >= 2  # percentComplete while the work request ran, then done


def test_credentials_from_an_oci_config_profile(tmp_path, monkeypatch):
    from pulumi_objectcopy.profiles import resolve
    from pulumi_objectcopy.signing.oci import fingerprint
    from pulumi_objectcopy.stores.oci import OciStore
    from tests.emulators.oci import new_api_key
    key = new_api_key()
    (tmp_path / "key.pem").write_text(key.private_pem)
    (tmp_path / "config").write_text(f"[DEFAULT]\nregion = us-ashburn-1\n\n[lab]\nuser = {key.user}\n"
                                      f"tenancy = {key.tenancy}\nkey_file = {tmp_path / 'key.pem'}\n"
                                      "region = eu-frankfurt-1\n")
    for name in ("OCI_CLI_USER", "OCI_CLI_TENANCY", "OCI_CLI_KEY_FILE", "OCI_CLI_REGION", "OCI_CLI_FINGERPRINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("OCI_CLI_PROFILE", "lab")
    store = OciStore(resolve(parse("oci://ns/b/k")))
    assert (store.region, store.key.user, store.endpoint) == (
        "eu-frankfurt-1", key.user, "https://objectstorage.eu-frankfurt-1.oraclecloud.com")
    assert store.key.fingerprint == fingerprint(key.private_pem) == key.fingerprint  # computed from the key


@pytest.mark.parametrize("path", ["server-side", "streamed", "streamed-multipart"])
@pytest.mark.parametrize("matches", [True, False])
def test_destination_if_match(backends, key_prefix, matches, path):
    """On every path into OCI: CopyObject's destinationObjectIfMatchETag, PutObject's and the multipart upload's
    if-match (CreateMultipartUpload and CommitMultipartUpload take it too)."""
    oci, local = backends("oci"), backends("local")
    new = b"new" if path != "streamed-multipart" else b"n" * (2 * MiB + 5)
    (oci if path == "server-side" else local).put(key_prefix + "src", new)
    src = oci.url(key_prefix + "src") if path == "server-side" else local.url(key_prefix + "src")
    old_etag = oci.put(key_prefix + "dst", b"old")
    options = WriteOptions(dest_if_match=old_etag if matches else "not-its-etag")
    config = TransferConfig(multipart_threshold=1, part_size=1 * MiB) if path == "streamed-multipart" else None
    copy = lambda: transfer.copy_object(parse(src), parse(oci.url(key_prefix + "dst")), options=options,  # noqa
                                        config=config or TransferConfig())
    if matches:
        assert copy().method == path
        assert oci.get(key_prefix + "dst") == new
    else:
        with pytest.raises(PreconditionFailed):
            copy()
        assert oci.get(key_prefix + "dst") == b"old"


def test_an_object_that_appears_during_an_upload_is_not_overwritten(backends, oci_emulator, key_prefix):
    """With overwrite off, the commit itself carries if-none-match: *, so an object written by someone else
    while the parts were uploading is kept (transfer's HEAD before the upload cannot see it)."""
    oci = backends("oci")
    url = parse(oci.url(key_prefix + "dst"))
    store = open_store(url)
    options = WriteOptions(overwrite=False)
    upload = store.start_upload(url, options=options, source=None)
    part = Part(1, 0, 9)
    etag = store.upload_part(upload, part, b"0123456789")
    oci.put(key_prefix + "dst", b"theirs")
    with pytest.raises(PreconditionFailed, match="already exists"):
        store.complete_upload(upload, [(part, etag)], options=options, source=None)
    store.abort_upload(upload)
    assert oci.get(key_prefix + "dst") == b"theirs"


def test_replace_with_nothing_given_is_refused_not_invented(backends, key_prefix):
    """CopyObject: with no destinationObjectMetadata "the destination object will inherit any existing metadata":
    a copy cannot clear metadata, so it is refused (it used to invent a key nobody set)."""
    oci = backends("oci")
    oci.put(key_prefix + "src", b"x", meta={"owner": "team-a"})
    with pytest.raises(BadRequest, match="cannot clear metadata.* give the metadata to set, or use the COPY"):
        transfer.copy_object(parse(oci.url(key_prefix + "src")), parse(oci.url(key_prefix + "dst")),
                             options=WriteOptions(metadata_directive="REPLACE"))
    assert not oci.exists(key_prefix + "dst")
    transfer.copy_object(parse(oci.url(key_prefix + "src")), parse(oci.url(key_prefix + "dst")),
                         options=WriteOptions(metadata_directive="REPLACE", metadata={"owner": "team-b"}))
    assert oci.head(key_prefix + "dst")["meta"] == {"owner": "team-b"}


def test_destination_if_match_is_refused_where_a_store_cannot_check_it(backends, key_prefix):
    minio = backends("minio")
    minio.put(key_prefix + "src", b"x")
    with pytest.raises(BadRequest, match="dest_if_match: not supported"):
        transfer.copy_object(parse(minio.url(key_prefix + "src")), parse(minio.url(key_prefix + "dst")),
                             options=WriteOptions(dest_if_match="abc"))
    assert not minio.exists(key_prefix + "dst")
