"""Test fixtures: the real servers (started by the project's scripts, reused when already healthy) and one
`Backend` per store (tests/backends.py), whose setup and checks go through the vendor's own client (boto3,
swiftclient), never ours.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .backends import (BACKENDS, COS_REGION, EMULATOR_KEYS, MINIO_ENDPOINT, OSS_REGION, SWIFT_AUTH,
                       SWIFT_S3_ENDPOINT, Backend)

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

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

[profiles.mem]
scheme = "mem"
"""


def _script(name: str, *args: str) -> None:
    proc = subprocess.run(["bash", str(SCRIPTS / name), *args], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"scripts/{name} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}",
                    pytrace=False)


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


# --- backends: one class per store in tests/backends.py ---------------------------------------------------------
BACKEND_NAMES = list(BACKENDS)


def make_backend(name: str, request, tmp_path_factory) -> Backend:
    return BACKENDS[name].create(name, request, tmp_path_factory)


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
