"""Swift with Keystone v3 password auth, against a real Keystone (scripts/keystone.sh: 127.0.0.1:15000) and a Swift
proxy that validates its tokens (127.0.0.1:18081). Setup and checks use swiftclient and plain HTTP to Keystone; the
code under test is ours: a profile, the OS_* variables, a wrong password, and a revoked token.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid

import pytest
import requests


from ..conftest import SCRIPTS, run_cli

pytestmark = [pytest.mark.servers,  # swiftclient's v3 auth goes through deprecated keystoneclient APIs
              pytest.mark.filterwarnings("ignore::DeprecationWarning:keystoneclient"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning:debtcollector")]

AUTH_URL = "http://127.0.0.1:15000/v3"
PROXY = "http://127.0.0.1:18081"
USER, PASSWORD, PROJECT, REGION = "oc-user", "oc-pass", "objectcopy", "RegionOne"
WRONG_PASSWORD = "oc-wrong-Pa55word"
# What a user exports for Keystone (scripts/keystone.sh env); ST_* would select tempauth instead, so they go.
OS_ENV = {
    "OS_AUTH_URL": AUTH_URL, "OS_USERNAME": USER, "OS_PASSWORD": PASSWORD, "OS_PROJECT_NAME": PROJECT,
    "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": REGION,
    "ST_AUTH": None, "ST_USER": None, "ST_KEY": None, "OBJECTCOPY_ENDPOINT_SWIFT": None,
}
PROFILE_TOML = f"""
[profiles.ks]
scheme = "swift"
auth_url = "{AUTH_URL}"
auth_version = "3"
username = "{USER}"
password_env = "OC_TEST_KS_PASSWORD"
project_name = "{PROJECT}"
region_name = "{REGION}"
"""


def keystone_login(user: str = USER, password: str = PASSWORD) -> tuple[str, str]:
    """(object-store public URL in RegionOne, token), straight from Keystone."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": password, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": PROJECT, "domain": {"name": "Default"}}}}}
    resp = requests.post(f"{AUTH_URL}/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    for service in resp.json()["token"]["catalog"]:
        if service["type"] == "object-store":
            for ep in service["endpoints"]:
                if ep["interface"] == "public" and ep["region_id"] == REGION:
                    return ep["url"], resp.headers["X-Subject-Token"]
    raise AssertionError("Keystone lists no public object-store endpoint in RegionOne")


def revoke(token: str) -> None:
    resp = requests.delete(f"{AUTH_URL}/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token},
                           timeout=30)
    assert resp.status_code == 204, resp.text


def swift_client():
    import swiftclient
    try:
        import keystoneclient  # noqa: F401  (swiftclient's v3 auth needs python-keystoneclient)
    except ImportError:
        url, token = keystone_login()
        return swiftclient.Connection(preauthurl=url, preauthtoken=token, retries=1)
    return swiftclient.Connection(
        authurl=AUTH_URL, user=USER, key=PASSWORD, auth_version="3", retries=1,
        os_options={"project_name": PROJECT, "user_domain_name": "Default", "project_domain_name": "Default",
                    "region_name": REGION})


@pytest.fixture(scope="module")
def keystone_server():
    # Starts (or reuses) Keystone, the Swift AIO (scripts/swift-aio.sh) and the Keystone-backed proxy on 18081.
    proc = subprocess.run(["bash", str(SCRIPTS / "keystone.sh"), "start"], capture_output=True, text=True,
                          timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"scripts/keystone.sh start failed ({proc.returncode}):\n{proc.stderr[-3000:]}", pytrace=False)
    return AUTH_URL


@pytest.fixture(scope="module")
def client(keystone_server):
    conn = swift_client()
    assert conn.get_auth()[0].startswith(f"{PROXY}/v1/AUTH_")
    return conn


@pytest.fixture(scope="module")
def container(client) -> str:
    name = f"oc-ks-{uuid.uuid4().hex[:8]}"
    client.put_container(name)
    return name


@pytest.fixture
def ks_profile(tmp_path, monkeypatch):
    path = tmp_path / "profiles.toml"
    path.write_text(PROFILE_TOML)
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(path))
    monkeypatch.setenv("OC_TEST_KS_PASSWORD", PASSWORD)
    return path


@pytest.fixture
def key() -> str:
    return f"t-{uuid.uuid4().hex[:10]}/"


def put(client, container: str, name: str, data: bytes) -> str:
    return client.put_object(container, name, data, headers={"X-Object-Meta-Origin": "swiftclient"}).strip('"')


def test_profile_copy_is_server_side_and_head_works(client, container, key, ks_profile):
    from pulumi_objectcopy.stores import open_store
    from pulumi_objectcopy.transfer import copy_object
    from pulumi_objectcopy.urls import parse

    data = os.urandom(100_000)
    etag = put(client, container, key + "a", data)
    result = copy_object(parse(f"swift://ks@{container}/{key}a"), parse(f"swift://ks@{container}/{key}b"))
    assert result.method == "server-side"
    assert result.destination.etag == etag == hashlib.md5(data).hexdigest()
    headers, body = client.get_object(container, key + "b")
    assert body == data
    assert headers["x-object-meta-origin"] == "swiftclient"

    url = parse(f"swift://ks@{container}/{key}b")
    info = open_store(url).head(url)
    assert (info.size, info.etag, info.metadata) == (len(data), etag, {"origin": "swiftclient"})


def test_os_variables_without_profile(client, container, key):
    data = b"from the OS_* variables " * 100
    put(client, container, key + "a", data)
    proc = run_cli("cp", f"swift://{container}/{key}a", f"swift://{container}/{key}c", "--json", env=OS_ENV)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["method"] == "server-side" and out["size"] == len(data)
    assert client.get_object(container, key + "c")[1] == data


def test_os_id_variables_scope_by_project_and_domain_id(client, container, key):
    """OS_PROJECT_ID (no domain needed) and OS_USER_DOMAIN_ID, as an openrc file from Horizon sets them."""
    _, token = keystone_login()
    projects = requests.get(f"{AUTH_URL}/auth/projects", headers={"X-Auth-Token": token}, timeout=30).json()
    [project_id] = [p["id"] for p in projects["projects"] if p["name"] == PROJECT]
    env = {**{k: v for k, v in OS_ENV.items() if "DOMAIN" not in k}, "OS_PROJECT_NAME": None,
           "OS_PROJECT_ID": project_id, "OS_USER_DOMAIN_ID": "default"}
    put(client, container, key + "a", b"by id")
    proc = run_cli("cp", f"swift://{container}/{key}a", f"swift://{container}/{key}d", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert client.get_object(container, key + "d")[1] == b"by id"


def test_wrong_password_is_access_denied(client, container, key, ks_profile, monkeypatch):
    import swiftclient
    from pulumi_objectcopy.stores import open_store
    from pulumi_objectcopy.stores.base import AccessDenied
    from pulumi_objectcopy.urls import parse

    put(client, container, key + "a", b"a")
    monkeypatch.setenv("OC_TEST_KS_PASSWORD", WRONG_PASSWORD)
    url = parse(f"swift://ks@{container}/{key}a")
    with pytest.raises(AccessDenied) as err:
        open_store(url).head(url)
    assert err.value.status == 401 and WRONG_PASSWORD not in str(err.value)

    proc = run_cli("cp", f"swift://{container}/{key}a", f"swift://{container}/{key}x", "--verbose",
                   env={**OS_ENV, "OS_PASSWORD": WRONG_PASSWORD})
    assert proc.returncode == 1, proc.stderr
    assert WRONG_PASSWORD not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("objectcopy: error:")]
    assert len(errors) == 1 and "401" in errors[0] and "Keystone login" in errors[0], proc.stderr

    proc = run_cli("head", f"swift://{container}/{key}a", env={**OS_ENV, "OS_PASSWORD": WRONG_PASSWORD})
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert WRONG_PASSWORD not in proc.stderr
    with pytest.raises(swiftclient.ClientException) as missing:
        client.head_object(container, key + "x")
    assert missing.value.http_status == 404


@pytest.fixture
def revoked(client, container, key, ks_profile, monkeypatch):
    """A `ks` store whose cached token Keystone has revoked; counts the logins that follow."""
    from pulumi_objectcopy.stores import open_store, swift
    from pulumi_objectcopy.urls import parse

    put(client, container, key + "a", b"before the token was revoked")
    url = parse(f"swift://ks@{container}/{key}a")
    store = open_store(url)
    store.head(url)  # logs in (or reuses this process's token) and caches the token
    storage_url, token = store._auth()
    revoke(token)
    assert requests.head(f"{storage_url}/{container}", headers={"X-Auth-Token": token},
                         timeout=30).status_code == 401

    logins = []
    real = swift.SwiftStore._auth_v3

    def counting(self):
        logins.append(1)
        return real(self)
    monkeypatch.setattr(swift.SwiftStore, "_auth_v3", counting)
    return {"store": store, "url": url, "token": token, "logins": logins}


def test_revoked_token_is_renewed_once(client, container, key, revoked):
    from pulumi_objectcopy.transfer import copy_object
    from pulumi_objectcopy.urls import parse

    store, url = revoked["store"], revoked["url"]
    assert store.head(url).size == len(b"before the token was revoked")
    assert len(revoked["logins"]) == 1
    assert store._auth()[1] != revoked["token"]
    result = copy_object(url, parse(f"swift://ks@{container}/{key}b"))
    assert result.method == "server-side" and len(revoked["logins"]) == 1
    assert client.get_object(container, key + "b")[1] == b"before the token was revoked"


def test_revoked_token_is_renewed_during_a_streamed_upload(client, container, key, revoked, tmp_path):
    from pulumi_objectcopy.transfer import copy_object
    from pulumi_objectcopy.urls import parse

    data = os.urandom(3_000_000)
    src = tmp_path / "blob"
    src.write_bytes(data)
    result = copy_object(parse(f"file://{src}"), parse(f"swift://ks@{container}/{key}up"))
    assert result.method != "server-side" and len(revoked["logins"]) == 1
    assert client.get_object(container, key + "up")[1] == data
