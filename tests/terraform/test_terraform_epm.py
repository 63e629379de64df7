"""The EPM transfers through the real terraform, against the EPM emulator sharing the OCI emulator's buckets (the
provider reads them through profile `oci` of the session's profiles.toml): an export and an import are created
(the plan knows the object the export writes and the ETag the import copies), a second plan is empty, the exported
object overwritten by hand is "changed outside of Terraform" and the next apply exports again, a changed source of
the import is `~ source_etag` (exit 2) and the next apply imports again; both are imported (a wrong id refused in
one line), the next apply records the credentials with no job; destroy removes what they wrote. The OCI key is
searched for in the state and every command's output."""
from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import quote

import pytest

from .tfcli import Terraform, install_mirror

EPM_USER, EPM_PASSWORD = "epm-admin", "epm-pass-tf-51c3"
CSV = b"account,amount\n4110,12.5\n"

CONFIG = """terraform {{
  required_providers {{
    objectcopy = {{ source = "objectcopy/objectcopy" }}
  }}
}}

variable "oci_private_key" {{
  type      = string
  sensitive = true
}}

resource "objectcopy_epm_object_store_export" "export" {{
  environment_url = "{epm}"
  file_path       = "inbox/data.csv"
  url             = "{bucket_url}/o/exports/data.csv"
  oci_tenancy     = "{tenancy}"
  oci_user        = "{user}"
  oci_private_key = var.oci_private_key
  object_profile  = "oci"
}}

resource "objectcopy_epm_object_store_import" "seed" {{
  environment_url = "{epm}"
  url             = "{bucket_url}/o/{seed}"
  file_name       = "inbox/seed.csv"
  oci_tenancy     = "{tenancy}"
  oci_user        = "{user}"
  oci_private_key = var.oci_private_key
  object_profile  = "oci"
}}

output "exported_etag" {{ value = objectcopy_epm_object_store_export.export.etag }}
"""


@pytest.fixture
def world(oci_emulator, monkeypatch, tmp_path):
    from tests.emulators import epm_server, start_epm
    from tests.emulators.oci import new_api_key
    monkeypatch.setattr(epm_server, "POLLS_TO_FINISH", 1)  # a job ends at its first poll
    bucket = f"tf-epm-{uuid.uuid4().hex[:8]}"
    oci_emulator.create_bucket(bucket)
    epm = start_epm({EPM_USER: EPM_PASSWORD}, storage=oci_emulator.objects())
    epm.add_file("inbox/data.csv", CSV)
    key = new_api_key()
    tf = Terraform("terraform", tmp_path / "work", install_mirror(tmp_path))
    tf.env.update(EPM_USERNAME=EPM_USER, EPM_PASSWORD=EPM_PASSWORD, TF_VAR_oci_private_key=key.private_pem)
    tf.env.pop("EPM_TOKEN", None)
    try:
        yield tf, epm, key, bucket
    finally:
        epm.stop()


@pytest.mark.timeout(1200)
def test_export_and_import_through_terraform(world, oci_emulator):
    tf, epm, key, bucket = world
    ns, seed = oci_emulator.namespace, "golden/seed.csv"
    bucket_url = f"https://objectstorage.us-ashburn-1.oraclecloud.com/n/{ns}/b/{bucket}"
    exported = f"oci://oci@{ns}/{bucket}/exports/data.csv"
    v1 = oci_emulator.put_object(bucket, seed, b"seed v1\n")["etag"]
    tf.write(CONFIG.format(epm=epm.url, bucket_url=bucket_url, seed=quote(seed), tenancy=key.tenancy,
                           user=key.user))
    outputs = [tf.run("init", "-input=false")]

    planned = tf.plan(2)
    outputs.append(planned)
    assert f'+ object_url      = "{exported}"' in planned          # known at plan time
    assert f'+ source_etag     = "{v1}"' in planned
    outputs.append(tf.apply())
    assert oci_emulator.get_object(bucket, "exports/data.csv")["data"] == CSV
    assert epm.files["inbox/seed.csv"]["bytes"] == b"seed v1\n" and len(epm.jobs) == 2
    outputs.append(tf.plan(0))

    # By hand: the exported object overwritten, the import's source changed.
    oci_emulator.put_object(bucket, "exports/data.csv", b"overwritten by hand\n")
    v2 = oci_emulator.put_object(bucket, seed, b"seed v2, changed\n")["etag"]
    changed = tf.plan(2)
    outputs.append(changed)
    assert "changed outside of Terraform" in changed and "2 to change, 0 to destroy" in changed, changed
    assert f'~ source_etag     = "{v1}" -> "{v2}"' in changed
    outputs.append(tf.apply())
    assert oci_emulator.get_object(bucket, "exports/data.csv")["data"] == CSV  # exported again
    assert epm.files["inbox/seed.csv"]["bytes"] == b"seed v2, changed\n" and len(epm.jobs) == 4
    outputs.append(tf.plan(0))

    # Taken over by import: what is there is adopted, a wrong id is refused in one line.
    tf.run("state", "rm", "objectcopy_epm_object_store_export.export", "objectcopy_epm_object_store_import.seed")
    missing = f"oci://oci@{ns}/{bucket}/exports/missing.csv"
    wrong = tf.run("import", "objectcopy_epm_object_store_export.export", f"{epm.url},{missing}", rc=1)
    assert f"there is no object {missing}; nothing to import" in wrong and "Traceback" not in wrong
    wrong = tf.run("import", "objectcopy_epm_object_store_import.seed", f"{epm.url},inbox/sed.csv", rc=1)
    assert "lists no file 'inbox/sed.csv' (2 files listed); did you mean 'inbox/seed.csv'" in wrong, wrong
    outputs.append(tf.run("import", "objectcopy_epm_object_store_export.export", f"{epm.url},{exported}"))
    outputs.append(tf.run("import", "objectcopy_epm_object_store_import.seed", f"{epm.url},inbox/seed.csv"))
    adopted = tf.plan(2)                                                 # the credentials, recorded in place
    outputs.append(adopted)
    assert "2 to change, 0 to destroy" in adopted and "must be replaced" not in adopted
    outputs.append(tf.apply())
    assert len(epm.jobs) == 4                                            # no job
    for resource in json.loads((tf.workdir / "terraform.tfstate").read_text())["resources"]:
        attributes = resource["instances"][0]["attributes"]
        assert attributes["key_fingerprint"] == key.fingerprint and attributes["job_id"] is None
        assert attributes["oci_private_key"] is None and attributes["oci_tenancy"] == key.tenancy
    outputs.append(tf.plan(0))

    outputs.append(tf.run("destroy", "-auto-approve", "-input=false"))
    assert (ns, bucket, "exports/data.csv") not in oci_emulator.objects() and "inbox/seed.csv" not in epm.files
    assert oci_emulator.get_object(bucket, seed)["data"] == b"seed v2, changed\n"  # the source is only read

    state = (tf.workdir / "terraform.tfstate").read_text()
    pem_lines = [line for line in key.private_pem.splitlines() if "-----" not in line]
    secrets = pem_lines + [base64.b64encode(key.private_pem.encode()).decode()[40:80], EPM_PASSWORD]
    for text in [state, *outputs]:
        assert not [s for s in secrets if s in text]
