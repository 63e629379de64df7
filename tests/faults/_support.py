"""Shared pieces of the fault tests: data, transfer configs, profiles through a proxy, and leftover checks made
with the vendors' own clients (boto3, swiftclient), never ours."""
from __future__ import annotations

import hashlib

from pulumi_objectcopy import profiles
from pulumi_objectcopy.stores.base import MiB, ObjectCopyError
from pulumi_objectcopy.transfer import TransferConfig

from ..conftest import MINIO_ENDPOINT, SWIFT_AUTH

SWIFT_ENDPOINT = "http://127.0.0.1:18080"
SMALL = TransferConfig(multipart_threshold=1, part_size=5 * MiB, concurrency=3)
DATA = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(400_000))[:12 * MiB + 17]  # 3 parts
PART2 = f"bytes={5 * MiB}-"

# The transient faults every path must survive, as (name, how to inject it on one rule).
TRANSIENT = ["reset", "reset-after", "reset-mid-body", "500", "503-slowdown", "429-retry-after", "truncated"]


def inject(proxy, kind: str, method: str, path: str = "", *, query: str | None = None, times: int = 1,
           retry_after: float = 1):
    if kind == "reset":
        return proxy.reset(method, path, query=query, times=times, when="before")
    if kind == "reset-after":
        return proxy.reset(method, path, query=query, times=times, when="after")
    if kind == "reset-mid-body":
        return proxy.reset(method, path, query=query, times=times, when="mid-body")
    if kind == "500":
        return proxy.error(method, path, query=query, times=times)
    if kind == "503-slowdown":
        return proxy.slow_down(method, path, query=query, times=times)
    if kind == "429-retry-after":
        return proxy.too_many(method, path, retry_after=retry_after, query=query, times=times)
    if kind == "truncated":
        return proxy.truncate(method, path, query=query, times=times)
    raise ValueError(kind)


def honoured_retry_after(attempts, seconds: float) -> None:
    """The retry came no sooner than Retry-After asked (proxy timestamps)."""
    gap = attempts[1].time - attempts[0].time
    assert gap >= seconds, f"retried after {gap:.3f} s, before the {seconds} s Retry-After asked"


def clear_error(excinfo, *names: str) -> str:
    """An ObjectCopyError whose one-line message names what failed (never a raw KeyError or JSONDecodeError)."""
    err = excinfo.value
    assert isinstance(err, ObjectCopyError), f"{type(err).__module__}.{type(err).__name__}: {err}"
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    for name in names:
        assert name in text, f"{name!r} is not named in: {text}"
    return text


def s3_profile(proxy) -> dict:
    return {"scheme": "s3", "endpoint": proxy.url, "provider": "minio", "addressing": "path",
            "access_key_id_env": "OC_TEST_MINIO_KEY", "secret_access_key_env": "OC_TEST_MINIO_SECRET"}


def swift_profile(proxy) -> dict:
    """Log in at the real server; every storage request goes through the proxy."""
    return {"scheme": "swift", "auth_url": SWIFT_AUTH, "user": "test:tester", "key_env": "OC_TEST_SWIFT_KEY",
            "storage_url": proxy.url + "/v1/AUTH_test"}


def oci_profile(proxy) -> dict:
    """The session's `oci` profile (its key and region), at the proxy."""
    return {**profiles.load_profiles()["oci"], "endpoint": proxy.url}


def uploads_left(backend, prefix: str) -> list:
    """Multipart uploads under `prefix` (S3: ListMultipartUploads; Swift: the segments container's listing)."""
    return backend.uploads_left(prefix)


__all__ = ["DATA", "MINIO_ENDPOINT", "PART2", "SMALL", "SWIFT_ENDPOINT", "TRANSIENT", "clear_error",
           "honoured_retry_after", "inject", "oci_profile", "s3_profile", "swift_profile", "uploads_left"]
