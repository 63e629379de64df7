"""Start the OCI Object Storage emulator (oci_server.py) and drive its control API, from the project's .venv.

    key = new_api_key()
    emu = start_oci({key.key_id: key.public_pem})        # regions us-ashburn-1 (default) and eu-frankfurt-1
    emu.create_bucket("src"); emu.create_bucket("dst", region="eu-frankfurt-1")
    ... any OCI client against emu.endpoint (http://127.0.0.1:<port>), namespace emu.namespace ...
    emu.hold_copies(at=50); ...; emu.release_copies()   # a copy stays IN_PROGRESS (at 50 %) until released
    emu.stop()

The server verifies signatures with the oci SDK, which is far too big for .venv (~575 MB), so it runs as a subprocess
under the python of the SDK's own cached venv (scripts/oci-oracle.sh, installed on first use). The control API is
plain HTTP+JSON under /_emulator/ on the same port, unauthenticated; the methods below are all there is to it.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import selectors
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("oci_server.py")
START_TIMEOUT = 30.0           # seconds for the server to print its port (the SDK imports lazily: ~0.5 s)
DEFAULT_REGIONS = ("us-ashburn-1", "eu-frankfurt-1")
DEFAULT_COMPARTMENT = "ocid1.compartment.oc1..objectcopyemulator"


@functools.lru_cache(maxsize=1)
def oci_python() -> str:
    """The python of the oci SDK's venv; installs it the first time (once per machine, ~1 min)."""
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "oci-oracle.sh")], capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"scripts/oci-oracle.sh failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout.strip().splitlines()[-1]


@dataclass(frozen=True)
class ApiKeyPair:
    """A throwaway OCI API key: what a client signs with and what the emulator verifies with."""
    tenancy: str
    user: str
    fingerprint: str
    private_pem: str
    public_pem: str

    @property
    def key_id(self) -> str:
        return f"{self.tenancy}/{self.user}/{self.fingerprint}"

    def sdk_config(self, region: str = DEFAULT_REGIONS[0]) -> dict[str, str]:
        """An oci SDK config dict (oci.object_storage.ObjectStorageClient(config, service_endpoint=...))."""
        return {"user": self.user, "tenancy": self.tenancy, "fingerprint": self.fingerprint,
                "key_content": self.private_pem, "region": region}


def new_api_key(tenancy: str = "ocid1.tenancy.oc1..objectcopytest", user: str = "ocid1.user.oc1..objectcopytest",
                bits: int = 2048) -> ApiKeyPair:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public = key.public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = public.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
    return ApiKeyPair(tenancy, user, fingerprint, private_pem, public_pem)


class ControlError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"emulator control API answered {status}: {body}")
        self.status, self.body = status, body


class OciEmulator:
    def __init__(self, process: subprocess.Popen[bytes], port: int, namespace: str, regions: tuple[str, ...],
                 compartment: str) -> None:
        self.process, self.port, self.namespace, self.regions = process, port, namespace, regions
        self.compartment = compartment
        self.endpoint = f"http://127.0.0.1:{port}"

    def _control(self, method: str, op: str, payload: Any = None, **query: str) -> Any:
        url = f"{self.endpoint}/_emulator/{op}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise ControlError(e.code, e.read().decode(errors="replace")) from None

    # -- setup and inspection ------------------------------------------------------------------------------------
    def create_bucket(self, name: str, *, region: str | None = None, versioning: bool = False,
                      compartment: str | None = None) -> dict[str, Any]:
        """A bucket in `region` (default: the first). Bucket names are unique across the emulator's regions."""
        return self._control("POST", "buckets", {"name": name, "region": region, "versioning": versioning,
                                                 "compartment": compartment})

    def put_object(self, bucket: str, name: str, data: bytes, *, content_type: str | None = None,
                   metadata: Mapping[str, str] | None = None, storage_tier: str | None = None,
                   headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Write an object directly (no signature), e.g. to change a source while its copy is held. `metadata`
        without the opc-meta- prefix; `headers`: content-encoding, -language, -disposition, cache-control.
        Returns {name, etag, versionId, size, contentType, metadata, storageTier, headers, lastModified}."""
        return self._control("PUT", "objects", {
            "bucket": bucket, "name": name, "data": base64.b64encode(data).decode(), "contentType": content_type,
            "metadata": dict(metadata or {}), "storageTier": storage_tier, "headers": dict(headers or {})})

    def get_object(self, bucket: str, name: str, version_id: str | None = None) -> dict[str, Any]:
        """Like put_object's answer, plus `data` (bytes). ControlError 404 when there is no such object."""
        query = {"bucket": bucket, "name": name, **({"versionId": version_id} if version_id else {})}
        info = self._control("GET", "objects", **query)
        return {**info, "data": base64.b64decode(info["data"])}

    def delete_object(self, bucket: str, name: str) -> None:
        """Delete directly (no signature). ControlError 404 when there is no such object."""
        self._control("DELETE", "objects", bucket=bucket, name=name)

    def object_names(self) -> list[tuple[str, str]]:
        """(bucket, name) of every current object, in bucket then name order."""
        return [tuple(pair) for pair in self._control("GET", "objects")]

    def objects(self) -> BucketObjects:
        """The emulator's objects as a dict (namespace, bucket, name) -> bytes: what the OAC and EPM emulators
        write and read when they stand for a service that reaches the same buckets as the provider."""
        return BucketObjects(self)

    def work_requests(self) -> list[dict[str, Any]]:
        """Every work request, oldest first, as GET /workRequests/{id} shows it plus `details` (the
        CopyObjectDetails received) and `errors`."""
        return self._control("GET", "workrequests")

    def requests(self, clear: bool = False) -> list[dict[str, Any]]:
        """The OCI requests received (not control calls): {method, path, headers, body (base64, first 64 KiB),
        size}; `clear` empties the log."""
        return self._control("DELETE" if clear else "GET", "requests")

    # -- faults --------------------------------------------------------------------------------------------------
    def fail_next(self, count: int = 1, *, status: int = 503, code: str = "ServiceUnavailable",
                  message: str = "The service is unavailable (emulator fault)", match: str = "") -> None:
        """Answer the next `count` authenticated requests whose "METHOD /path?query" contains `match` with this
        error (JSON {code, message}). A request that fails authentication does not use one up."""
        self._control("POST", "faults", {"count": count, "status": status, "code": code, "message": message,
                                         "match": match})

    def fail_next_copy(self, code: str = "InternalServerError",
                       message: str = "The copy failed (emulator fault)") -> None:
        """The next CopyObject is accepted (202) and runs, then its work request ends FAILED with this error
        and the destination is left untouched."""
        self._control("POST", "copy-faults", {"code": code, "message": message})

    def hold_copies(self, at: float = 50.0) -> None:
        """Copies running or started from now stop at `at` percent, IN_PROGRESS, until release_copies()."""
        self._control("POST", "hold", {"at": at})

    def release_copies(self) -> None:
        self._control("POST", "release", {})

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first work request for which predicate(work_request) is true, polled for up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            found = [w for w in self.work_requests() if predicate(w)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no work request matched within {timeout} s: {self.work_requests()}")
            time.sleep(0.01)

    # -- lifetime ------------------------------------------------------------------------------------------------
    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr] - the server exits when its stdin closes
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process.stdout.close()  # type: ignore[union-attr]

    def __enter__(self) -> OciEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BucketObjects(MutableMapping):
    """(namespace, bucket, name) -> bytes over the control API. A namespace other than the emulator's is simply
    not there (KeyError), and cannot be written: the services would get NamespaceNotFound from OCI."""

    def __init__(self, emulator: OciEmulator) -> None:
        self.emulator = emulator

    def _split(self, key: tuple[str, str, str]) -> tuple[str, str]:
        namespace, bucket, name = key
        if namespace != self.emulator.namespace:
            raise KeyError(key)
        return bucket, name

    def __getitem__(self, key: tuple[str, str, str]) -> bytes:
        bucket, name = self._split(key)
        try:
            return self.emulator.get_object(bucket, name)["data"]
        except ControlError as e:
            if e.status == 404:
                raise KeyError(key) from None
            raise

    def __setitem__(self, key: tuple[str, str, str], data: bytes) -> None:
        bucket, name = self._split(key)
        self.emulator.put_object(bucket, name, data)

    def __delitem__(self, key: tuple[str, str, str]) -> None:
        bucket, name = self._split(key)
        try:
            self.emulator.delete_object(bucket, name)
        except ControlError as e:
            if e.status == 404:
                raise KeyError(key) from None
            raise

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter([(self.emulator.namespace, b, n) for b, n in self.emulator.object_names()])

    def __len__(self) -> int:
        return len(self.emulator.object_names())


def start_oci(keys: Mapping[str, str | bytes], namespace: str = "objectcopy",
              regions: Iterable[str] = DEFAULT_REGIONS, copy_seconds: float = 0.3, *,
              min_part_size: int = 10 << 20, compartment: str = DEFAULT_COMPARTMENT) -> OciEmulator:
    """An OCI emulator on 127.0.0.1:<free port>. `keys`: keyId ("<tenancy>/<user>/<fingerprint>") -> public key
    PEM; only requests signed by one of them get in. A copy takes about `copy_seconds`; every part of a multipart
    upload but the last must be at least `min_part_size` bytes."""
    regions = tuple(regions)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({k: v.decode() if isinstance(v, bytes) else v for k, v in keys.items()}, f)
    stderr = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen(
            [oci_python(), str(SERVER), "--port", "0", "--keys", f.name, "--namespace", namespace,
             "--regions", ",".join(regions), "--copy-seconds", str(copy_seconds), "--min-part-size",
             str(min_part_size), "--compartment", compartment, "--watch-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        port = _read_port(process)
        if port is None:
            process.kill()
            process.wait()
            stderr.seek(0)
            raise RuntimeError(f"the OCI emulator did not start within {START_TIMEOUT} s:\n"
                               f"{stderr.read().decode(errors='replace')[-3000:]}")
    finally:
        os.unlink(f.name)  # the server has read it by the time it prints its port
        stderr.close()     # the child keeps its own descriptor
    return OciEmulator(process, port, namespace, regions, compartment)


def _read_port(process: subprocess.Popen[bytes]) -> int | None:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.1):
                line = process.stdout.readline().strip()
                return int(line) if line.isdigit() else None
    return None
