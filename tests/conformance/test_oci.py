"""OCI specifics: CopyObject is a work request, so a copy retried after an interruption must follow the one still
running instead of starting a second copy."""
from __future__ import annotations

import threading
import time

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores import open_store
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
