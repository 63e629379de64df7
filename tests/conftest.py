"""Test fixtures: the real servers (started by the project's scripts, reused when already healthy) and one
`Backend` per store, whose setup and checks go through the vendor's own client (boto3, swiftclient), never ours.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

MINIO_ENDPOINT = "http://127.0.0.1:19000"
SWIFT_S3_ENDPOINT = "http://127.0.0.1:18080"
SWIFT_AUTH = "http://127.0.0.1:18080/auth/v1.0"

# Credentials the test servers are configured with, handed to our code only through environment variables that
# the test profiles name, as a user would.
TEST_ENV = {
    "OC_TEST_MINIO_KEY": "minioadmin", "OC_TEST_MINIO_SECRET": "minioadmin",
    "OC_TEST_SWIFT_S3_KEY": "test:tester", "OC_TEST_SWIFT_S3_SECRET": "testing",
    "OC_TEST_SWIFT_KEY": "testing", "OC_TEST_BAD_SECRET": "not-the-secret",
}
PROFILES_TOML = f"""
[profiles.minio]
scheme = "s3"
endpoint = "{MINIO_ENDPOINT}"
provider = "minio"
addressing = "path"
access_key_id_env = "OC_TEST_MINIO_KEY"
secret_access_key_env = "OC_TEST_MINIO_SECRET"

[profiles.swifts3]
scheme = "s3"
endpoint = "{SWIFT_S3_ENDPOINT}"
provider = "swift"
access_key_id_env = "OC_TEST_SWIFT_S3_KEY"
secret_access_key_env = "OC_TEST_SWIFT_S3_SECRET"

[profiles.swift]
scheme = "swift"
auth_url = "{SWIFT_AUTH}"
user = "test:tester"
key_env = "OC_TEST_SWIFT_KEY"

[profiles.badminio]
scheme = "s3"
endpoint = "{MINIO_ENDPOINT}"
access_key_id_env = "OC_TEST_MINIO_KEY"
secret_access_key_env = "OC_TEST_BAD_SECRET"

[profiles.badswift]
scheme = "swift"
auth_url = "{SWIFT_AUTH}"
user = "test:tester"
key_env = "OC_TEST_BAD_SECRET"
"""


def _script(name: str, *args: str) -> None:
    proc = subprocess.run(["bash", str(SCRIPTS / name), *args], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"scripts/{name} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}",
                    pytrace=False)


COS_REGION, OSS_REGION = "ap-guangzhou", "cn-hangzhou"
EMULATOR_KEYS = {"cos": ("AKIDobjectcopyTEST", "cos-test-secret"), "oss": ("LTAIobjectcopyTEST", "oss-test-secret")}


@pytest.fixture(scope="session")
def emulators():
    """The COS and OSS native dialects have no runnable server: in-project emulators that check every request's
    signature with the vendor SDK's own signer (tests/emulators)."""
    from tests.emulators import start_cos, start_oss
    cos = start_cos(dict([EMULATOR_KEYS["cos"]]), region=COS_REGION)
    oss = start_oss(dict([EMULATOR_KEYS["oss"]]), region=OSS_REGION)
    yield {"cos": cos, "oss": oss}
    cos.stop()
    oss.stop()


@pytest.fixture(scope="session")
def oci_emulator(tmp_path_factory, profiles_file):
    """OCI Object Storage's emulator runs in the oci SDK's own venv (it verifies with the SDK's signer)."""
    from tests.emulators.oci import new_api_key, start_oci
    key = new_api_key()
    key_file = tmp_path_factory.mktemp("oci") / "key.pem"
    key_file.write_text(key.private_pem)
    emu = start_oci({key.key_id: key.public_pem}, copy_seconds=0.2, min_part_size=1024 * 1024)
    with open(profiles_file, "a") as f:
        f.write(f"""
[profiles.oci]
scheme = "oci"
endpoint = "{emu.endpoint}"
region = "us-ashburn-1"
user = "{key.user}"
tenancy = "{key.tenancy}"
key_file = "{key_file}"
min_part_size = 1048576

[profiles.oci-fra]
scheme = "oci"
endpoint = "{emu.endpoint}"
region = "eu-frankfurt-1"
user = "{key.user}"
tenancy = "{key.tenancy}"
key_file = "{key_file}"
""")
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def profiles_file(tmp_path_factory, emulators) -> Path:
    path = tmp_path_factory.mktemp("profiles") / "profiles.toml"
    path.write_text(PROFILES_TOML + f"""
[profiles.cos]
scheme = "cos"
endpoint = "{emulators['cos'].endpoint}"
region = "{COS_REGION}"
secret_id_env = "OC_TEST_COS_ID"
secret_key_env = "OC_TEST_COS_KEY"

[profiles.oss]
scheme = "oss"
endpoint = "{emulators['oss'].endpoint}"
region = "{OSS_REGION}"
access_key_id_env = "OC_TEST_OSS_ID"
access_key_secret_env = "OC_TEST_OSS_SECRET"

[profiles.badcos]
scheme = "cos"
endpoint = "{emulators['cos'].endpoint}"
region = "{COS_REGION}"
secret_id_env = "OC_TEST_COS_ID"
secret_key_env = "OC_TEST_BAD_SECRET"

[profiles.badoss]
scheme = "oss"
endpoint = "{emulators['oss'].endpoint}"
region = "{OSS_REGION}"
access_key_id_env = "OC_TEST_OSS_ID"
access_key_secret_env = "OC_TEST_BAD_SECRET"

[profiles.apsara]
scheme = "oss"
api = "apsara"
endpoint = "{emulators['oss'].endpoint}"
region = "{OSS_REGION}"
access_key_id_env = "OC_TEST_OSS_ID"
access_key_secret_env = "OC_TEST_OSS_SECRET"

[profiles.ossv1]
scheme = "oss"
endpoint = "{emulators['oss'].endpoint}"
region = "{OSS_REGION}"
signature_version = "v1"
access_key_id_env = "OC_TEST_OSS_ID"
access_key_secret_env = "OC_TEST_OSS_SECRET"
""")
    os.environ.update(OC_TEST_COS_ID=EMULATOR_KEYS["cos"][0], OC_TEST_COS_KEY=EMULATOR_KEYS["cos"][1],
                      OC_TEST_OSS_ID=EMULATOR_KEYS["oss"][0], OC_TEST_OSS_SECRET=EMULATOR_KEYS["oss"][1])
    os.environ["OBJECTCOPY_PROFILES"] = str(path)
    os.environ.update(TEST_ENV)
    return path


@pytest.fixture(scope="session")
def minio_server(profiles_file):
    _script("minio.sh", "start")
    return MINIO_ENDPOINT


@pytest.fixture(scope="session")
def swift_server(profiles_file):
    _script("swift-aio.sh", "start")
    return SWIFT_AUTH


# --- backends ----------------------------------------------------------------------------------------------------
@dataclass
class Backend:
    """One store under test. `url(key)` is what a user types; the other methods use the vendor's client."""

    name: str
    scheme: str
    profile: str | None
    bucket: str
    client: object = None
    root: Path | None = None
    # named gaps: test name fragment -> reason
    gaps: dict[str, str] = field(default_factory=dict)

    def url(self, key: str) -> str:
        if self.scheme == "file":
            return f"file://{self.root}/{key}"
        who = f"{self.profile}@" if self.profile else ""
        return f"{self.scheme}://{who}{self.bucket}/{key}"

    def skip_gap(self, what: str) -> None:
        if what in self.gaps:
            pytest.skip(f"{self.name}: {self.gaps[what]}")

    def put(self, key: str, data: bytes, *, meta: dict | None = None, content_type: str | None = None) -> str:
        meta = meta or {}
        if self.scheme == "oci":
            return self.client.put_object(self.bucket.split("/")[1], key, data, content_type=content_type,
                                          metadata=meta)["etag"]
        if self.scheme == "cos":
            kw = {"ContentType": content_type} if content_type else {}
            r = self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                                       Metadata={f"x-cos-meta-{k}": v for k, v in meta.items()}, **kw)
            return r["ETag"].strip('"')
        if self.scheme == "oss":
            headers = {f"x-oss-meta-{k}": v for k, v in meta.items()}
            if content_type:
                headers["Content-Type"] = content_type
            return self.client.put_object(key, data, headers=headers).etag.strip('"')  # upper case, as OSS spells it
        if self.scheme == "s3":
            kw = {"ContentType": content_type} if content_type else {}
            r = self.client.put_object(Bucket=self.bucket, Key=key, Body=data, Metadata=meta, **kw)
            return r["ETag"].strip('"')
        if self.scheme == "swift":
            headers = {f"X-Object-Meta-{k}": v for k, v in meta.items()}
            return self.client.put_object(self.bucket, key, data, content_type=content_type,
                                          headers=headers).strip('"')
        # local files carry metadata in an xattr only when written by objectcopy; plain files have none
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return hashlib.md5(data).hexdigest()

    def get(self, key: str) -> bytes:
        if self.scheme == "oci":
            return self.client.get_object(self.bucket.split("/")[1], key)["data"]
        if self.scheme == "cos":
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].get_raw_stream().read()
        if self.scheme == "oss":
            return self.client.get_object(key).read()
        if self.scheme == "s3":
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if self.scheme == "swift":
            return self.client.get_object(self.bucket, key)[1]
        return (self.root / key).read_bytes()

    def head(self, key: str) -> dict:
        """{'etag', 'size', 'content_type', 'meta'} as the vendor client reports it."""
        if self.scheme == "oci":
            o = self.client.get_object(self.bucket.split("/")[1], key)
            return {"etag": o["etag"], "size": o["size"], "content_type": o.get("contentType"),
                    "meta": dict(o.get("metadata") or {}), "md5": hashlib.md5(o["data"]).hexdigest()}
        if self.scheme in ("cos", "oss"):
            if self.scheme == "cos":
                h = {k.lower(): v for k, v in self.client.head_object(Bucket=self.bucket, Key=key).items()}
            else:
                h = {k.lower(): v for k, v in self.client.head_object(key).headers.items()}
            prefix = f"x-{self.scheme}-meta-"
            etag = h["etag"].strip('"')
            return {"etag": etag, "md5": etag.lower(), "size": int(h["content-length"]), "content_type": h.get("content-type"),
                    "meta": {k[len(prefix):]: v for k, v in h.items() if k.startswith(prefix)}}
        if self.scheme == "s3":
            r = self.client.head_object(Bucket=self.bucket, Key=key)
            return {"etag": r["ETag"].strip('"'), "md5": r["ETag"].strip('"'), "size": r["ContentLength"],
                    "content_type": r.get("ContentType"),
                    "meta": {k.lower(): v for k, v in r.get("Metadata", {}).items()}}
        if self.scheme == "swift":
            h = self.client.head_object(self.bucket, key)
            return {"etag": h["etag"].strip('"'), "md5": h["etag"].strip('"'), "size": int(h["content-length"]),
                    "content_type": h.get("content-type"),
                    "meta": {k[14:]: v for k, v in h.items() if k.startswith("x-object-meta-")}}
        from pulumi_objectcopy.stores.local import LocalStore
        from pulumi_objectcopy.urls import parse
        info = LocalStore(None).head(parse(self.url(key)))
        return {"etag": info.etag, "md5": info.etag, "size": info.size, "content_type": info.content_type,
                "meta": dict(info.metadata)}

    def exists(self, key: str) -> bool:
        if self.scheme == "file":
            return (self.root / key).exists()
        if self.scheme == "oci":
            from tests.emulators.oci import ControlError
            try:
                self.client.get_object(self.bucket.split("/")[1], key)
                return True
            except ControlError as e:
                if e.status == 404:
                    return False
                raise
        try:
            self.head(key)
            return True
        except Exception as e:  # boto3, swiftclient, qcloud_cos and oss2 errors all carry the 404 somewhere
            status = getattr(e, "http_status", None) or getattr(e, "status", None) or (
                e.get_status_code() if hasattr(e, "get_status_code") else None) or getattr(e, "response", {}).get(
                "ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                return False
            raise


def _boto3(endpoint: str, key: str, secret: str):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"},
                                                               retries={"max_attempts": 2}))


def _swiftclient():
    import swiftclient
    return swiftclient.Connection(authurl=SWIFT_AUTH, user="test:tester", key="testing", retries=1)


BACKEND_NAMES = ["minio", "swift-s3", "swift", "local", "cos", "oss", "oci"]


def make_backend(name: str, request, tmp_path_factory) -> Backend:
    suffix = uuid.uuid4().hex[:8]
    if name == "minio":
        request.getfixturevalue("minio_server")
        client = _boto3(MINIO_ENDPOINT, "minioadmin", "minioadmin")
        bucket = f"oc-minio-{suffix}"
        client.create_bucket(Bucket=bucket)
        return Backend(name, "s3", "minio", bucket, client, gaps={
            "leading-slash": "MinIO rejects object names with an empty path segment (XMinioInvalidObjectName)"})
    if name == "swift-s3":
        request.getfixturevalue("swift_server")
        client = _boto3(SWIFT_S3_ENDPOINT, "test:tester", "testing")
        bucket = f"oc-swifts3-{suffix}"
        client.create_bucket(Bucket=bucket)
        return Backend(name, "s3", "swifts3", bucket, client,
                       gaps={"tagging": "Swift's s3api answers 501 to object tagging"})
    if name == "cos":
        from qcloud_cos import CosConfig, CosS3Client
        emu = request.getfixturevalue("emulators")["cos"]
        bucket = f"oc-cos-{suffix}-1250000000"
        emu.store.create_bucket(bucket)
        client = CosS3Client(CosConfig(Region=COS_REGION, SecretId=EMULATOR_KEYS["cos"][0],
                                       SecretKey=EMULATOR_KEYS["cos"][1], Scheme="http", IP="127.0.0.1",
                                       Port=emu.port), retry=0)
        return Backend(name, "cos", "cos", bucket, client)
    if name == "oss":
        import oss2
        emu = request.getfixturevalue("emulators")["oss"]
        bucket = f"oc-oss-{suffix}"
        emu.store.create_bucket(bucket)
        client = oss2.Bucket(oss2.Auth(*EMULATOR_KEYS["oss"]), emu.endpoint, bucket)
        return Backend(name, "oss", "oss", bucket, client)
    if name == "oci":
        emu = request.getfixturevalue("oci_emulator")
        bucket = f"oc-oci-{suffix}"
        emu.create_bucket(bucket)
        return Backend(name, "oci", "oci", f"{emu.namespace}/{bucket}", emu, gaps={
            "content-type": "OCI CopyObject keeps the source's content type (it has no field for another)"})
    if name == "swift":
        request.getfixturevalue("swift_server")
        client = _swiftclient()
        container = f"oc-swift-{suffix}"
        client.put_container(container)
        return Backend(name, "swift", "swift", container, client)
    root = tmp_path_factory.mktemp("local-store")
    return Backend(name, "file", None, "", root=root,
                   gaps={"leading-slash": "a path cannot hold an empty segment: '//x' is '/x' on POSIX"})


@pytest.fixture(scope="session")
def backends(request, tmp_path_factory, profiles_file):
    cache: dict[str, Backend] = {}

    def get(name: str) -> Backend:
        if name not in cache:
            cache[name] = make_backend(name, request, tmp_path_factory)
        return cache[name]
    return get


@pytest.fixture(params=BACKEND_NAMES)
def backend(request, backends) -> Backend:
    return backends(request.param)


@pytest.fixture
def key_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:10]}/"


def run_cli(*args: str, env: dict | None = None, check: bool = False, cwd=None) -> subprocess.CompletedProcess:
    """Run the installed `objectcopy` command as a user would."""
    exe = shutil.which("objectcopy", path=str(Path(sys.executable).parent)) or "objectcopy"
    merged = {**os.environ, **(env or {})}
    proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={k: v for k, v in merged.items() if v is not None})
    if check and proc.returncode != 0:
        raise AssertionError(f"objectcopy {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc
