"""In-memory HTTP emulators of the COS and OSS native APIs, for tests that have no real server.

    emu = start_oss({"AK": "SK"}, tokens={"STS.AK": "token"})   # tokens: temporary keys only
    emu.store.create_bucket("examplebucket")
    ... client against emu.endpoint (path-style) or with emu.endpoint as HTTP proxy (virtual-hosted) ...
    emu.requests          # [RecordedRequest(method, path, headers, host, body)]
    emu.fail_next(2)      # next two requests: 503 SlowDown; fail_next_copy(): 200 + <Error> on next copy
    emu.before_request = lambda emu, request: ...   # e.g. change the source between HEAD and copy
    emu.stop()

Every request must carry a signature that the vendor SDK's own signer reproduces (see cos_server.py and
oss_server.py for how), so these servers check signers as well as copy logic.
"""
from __future__ import annotations

import contextlib
from collections.abc import Mapping

from .base import Emulator, Fault, RecordedRequest
from .store import Store, StoredObject, StoreError

__all__ = ["Emulator", "Fault", "RecordedRequest", "Store", "StoreError", "StoredObject", "start_cos", "start_oss"]


def start_cos(credentials: Mapping[str, str], tokens: Mapping[str, str] | None = None,
              region: str = "ap-guangzhou") -> Emulator:
    """A COS emulator on 127.0.0.1:<free port>. Buckets are addressed only by Host
    (<bucket-appid>.cos.<region>.myqcloud.com); create them with `emulator.store.create_bucket`."""
    from .cos_server import CosHandler  # imports qcloud_cos
    return Emulator(CosHandler, Store("STANDARD"), credentials, tokens, region)


def start_oss(credentials: Mapping[str, str], tokens: Mapping[str, str] | None = None,
              region: str = "cn-hangzhou") -> Emulator:
    """An OSS emulator on 127.0.0.1:<free port>: virtual-hosted (<bucket>.oss-<region>.aliyuncs.com in Host)
    or path-style (/<bucket>/<key> on an IP or oss-<region>.aliyuncs.com host). `region` is the V4 scope."""
    from .oss_server import OssHandler  # imports oss2 and alibabacloud_oss_v2
    return Emulator(OssHandler, Store("Standard", upper_case_etags=True), credentials, tokens, region)


def start_oac(tokens: set[str], storage=None, namespace: str | None = None):  # -> oac_server.OacEmulator
    """An Oracle Analytics Cloud snapshots-API emulator on 127.0.0.1:<free port>, accepting
    `Authorization: Bearer <token>` for the given tokens; the API is under `emulator.url + "/api/20210901"`.
    `storage`: where BAR files live (a dict by default; an OCI emulator's objects() to share its buckets), and
    `namespace` the one a snapshot without bucketOciNamespace uses."""
    from .oac_server import DEFAULT_NAMESPACE, start_oac as _start
    return _start(tokens, storage, namespace or DEFAULT_NAMESPACE)


@contextlib.contextmanager
def oac_with_golden_bar(oci_emulator, bucket: str, bar: str, password: str, token: str):
    """An Analytics emulator (accepting `token`) whose BARs live in `oci_emulator`'s buckets, with `bucket` made and a
    golden BAR (`password`) at `bar` in it; the bucket's name is `emulator.bucket`. Jobs finish in two polls."""
    from .oac_server import bar_bytes
    oci_emulator.create_bucket(bucket)
    oci_emulator.put_object(bucket, bar, bar_bytes(password, "golden"))
    emu = start_oac({token}, storage=oci_emulator.objects(), namespace=oci_emulator.namespace)
    emu.polls_to_finish = 2
    emu.bucket = bucket
    try:
        yield emu
    finally:
        emu.stop()


def start_epm(users: Mapping[str, str], tokens: set[str] | None = None, storage=None):
    """An Oracle EPM Cloud REST emulator on 127.0.0.1:<free port> (copyto/copyfrom v3, job status, file
    list/delete); see epm_server.py. `storage`: the buckets, as for start_oac."""
    from .epm_server import start_epm as _start
    return _start(users, tokens, storage)
