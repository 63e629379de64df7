"""The issue's scenario through the real terraform (and OpenTofu on file://): plan shows the planned source ETag, a
second plan is empty, a changed source is an update, a destination edited by hand is drift that apply restores,
deleted by hand it is created again, a moved destination forces replacement, import adopts a copy and refuses a
wrong pair, destroy leaves what it did not write with a warning. Exit codes from -detailed-exitcode."""
from __future__ import annotations

import uuid

import pytest

from .tfcli import Terraform, install_mirror

# MinIO's profile comes from the provider block; Swift's and the local one from profiles.toml (the test session's).
PROVIDER_BLOCKS = {
    "minio": """provider "objectcopy" {
  profiles = {
    tfminio = {
      scheme                = "s3"
      endpoint              = "http://127.0.0.1:19000"
      provider              = "minio"
      addressing            = "path"
      access_key_id_env     = "OC_TEST_MINIO_KEY"
      secret_access_key_env = "OC_TEST_MINIO_SECRET"
    }
  }
}""",
}

CONFIG = """terraform {{
  required_providers {{
    objectcopy = {{ source = "objectcopy/objectcopy" }}
  }}
}}
{provider}
resource "objectcopy_copied_object" "seed" {{
  source      = "{source}"
  destination = "{destination}"
}}

data "objectcopy_object" "golden" {{
  url = "{source}"
}}

output "golden_etag" {{ value = data.objectcopy_object.golden.etag }}
output "etag" {{ value = objectcopy_copied_object.seed.etag }}
"""


def delete_by_hand(backend, key: str) -> None:
    """Through the vendor's client (or the file system), as a user would."""
    if backend.scheme == "file":
        (backend.root / key).unlink()
    elif backend.scheme == "swift":
        backend.client.delete_object(backend.bucket, key)
    else:
        backend.client.delete_object(Bucket=backend.bucket, Key=key)


def scenario(tf: Terraform, backend, url, provider_block: str = "") -> None:
    prefix = f"tf-{uuid.uuid4().hex[:8]}/"
    src, dst, moved, other = (prefix + name for name in ("golden/seed.dump", "dev/seed.dump", "dev/moved.dump",
                                                         "golden/other.dump"))
    v1 = backend.put(src, b"golden v1\n")
    tf.write(CONFIG.format(provider=provider_block, source=url(src), destination=url(dst)))
    tf.run("init", "-input=false")

    planned = tf.plan(2)
    assert f'+ source_etag              = "{v1}"' in planned            # known at plan time
    tf.apply()
    assert backend.get(dst) == b"golden v1\n"
    tf.plan(0)

    v2 = backend.put(src, b"golden v2, changed\n")
    changed = tf.plan(2)
    assert f'~ source_etag              = "{v1}" -> "{v2}"' in changed
    tf.apply()
    assert backend.get(dst) == b"golden v2, changed\n"
    tf.plan(0)

    backend.put(dst, b"edited by hand\n")
    drift = tf.plan(2)
    assert "changed outside of" in drift and "will be updated in-place" in drift
    tf.apply()
    assert backend.get(dst) == b"golden v2, changed\n"
    tf.plan(0)

    delete_by_hand(backend, dst)
    gone = tf.plan(2)
    assert "has been deleted" in gone and "will be created" in gone
    tf.apply()
    assert backend.get(dst) == b"golden v2, changed\n"

    tf.write(CONFIG.format(provider=provider_block, source=url(src), destination=url(moved)))
    replaced = tf.plan(2)
    assert "# forces replacement" in replaced and "must be replaced" in replaced
    tf.apply()
    assert backend.get(moved) == b"golden v2, changed\n" and not backend.exists(dst)

    tf.run("state", "rm", "objectcopy_copied_object.seed")
    backend.put(other, b"not the golden one\n")
    wrong = tf.run("import", "objectcopy_copied_object.seed", f"{url(other)},{url(moved)}", rc=1)
    assert "is not a copy of" in wrong
    tf.run("import", "objectcopy_copied_object.seed", f"{url(src)},{url(moved)}")
    tf.plan(0)                                                          # adopted as it is, nothing to copy

    backend.put(moved, b"someone else's now\n")
    destroyed = tf.run("destroy", "-auto-approve", "-input=false")
    assert "Warning:" in destroyed and "Destroy complete" in destroyed
    assert backend.get(moved) == b"someone else's now\n"               # not what this resource wrote: left


@pytest.fixture
def cli_config(tmp_path):
    return install_mirror(tmp_path)


# About 20 terraform commands of 3 to 5 provider starts each: seconds apiece here, more on a busy machine.
SCENARIO_TIMEOUT = 1200


@pytest.mark.timeout(SCENARIO_TIMEOUT)
@pytest.mark.parametrize("store", ["local", "minio", "swift"])
def test_scenario_through_terraform(store, backends, tmp_path, cli_config):
    backend = backends(store)
    url = backend.url
    if store == "minio":
        url = lambda key: f"s3://tfminio@{backend.bucket}/{key}"  # noqa: E731 - the provider block's profile
    scenario(Terraform("terraform", tmp_path / "work", cli_config), backend, url, PROVIDER_BLOCKS.get(store, ""))


@pytest.mark.timeout(SCENARIO_TIMEOUT)
def test_scenario_through_opentofu(backends, tmp_path, cli_config):
    backend = backends("local")
    scenario(Terraform("tofu", tmp_path / "work", cli_config), backend, backend.url)


def test_bad_input_is_shown_on_its_configuration_line(backends, tmp_path, cli_config):
    backend = backends("local")
    tf = Terraform("terraform", tmp_path / "work", cli_config)
    tf.write(CONFIG.format(provider="", source=backend.url("a"), destination=backend.url("b")).replace(
        '  destination = ', '  metadata_directive = "MOVE"\n  destination = '))
    tf.run("init", "-input=false")
    out = tf.plan(1)
    assert "metadata_directive: 'MOVE' is not one of COPY, REPLACE" in out
    assert 'metadata_directive = "MOVE"' in out and "on main.tf line" in out
