"""AnalyticsSnapshot and AnalyticsSnapshotRestore through the real terraform, against the Oracle Analytics emulator,
whose BAR files live in the OCI emulator's buckets (where the provider HEADs them with the `oci` test profile):
apply registers and restores, a second plan is empty (exit 0), a BAR replaced by hand is a replacement shown on
bar_etag (exit 2) that apply registers again, both resources import by id (an id the instance does not know is
refused in one line), destroy deregisters and warns that a restore cannot be undone. The key and the passwords are
searched for in the state and in every command's output."""
from __future__ import annotations

import re
import uuid

import pytest

from .tfcli import Terraform, install_mirror

BAR = "golden/v42.bar"
PASSWORD = "GoldenPassw0rd"
TOKEN = "oac-token-tf-4a1c"

CONFIG = """terraform {{
  required_providers {{
    objectcopy = {{ source = "objectcopy/objectcopy" }}
  }}
}}
variable "bar_password" {{
  type      = string
  sensitive = true
}}
variable "oci_private_key" {{
  type      = string
  sensitive = true
}}
resource "objectcopy_analytics_snapshot" "golden" {{
  instance_url     = "{url}"
  type             = "REGISTER"
  name             = "golden-v42"
  description      = "golden"
  bucket           = "{bucket}"
  bucket_namespace = "{ns}"
  bar_uri          = "file:///{bar}"
  bar_password     = var.bar_password
  oci_region       = "us-ashburn-1"
  oci_tenancy      = "{tenancy}"
  oci_user         = "{user}"
  oci_private_key  = var.oci_private_key
  object_profile   = "oci"
}}
resource "objectcopy_analytics_snapshot_restore" "seed" {{
  instance_url = "{url}"
  snapshot_id  = objectcopy_analytics_snapshot.golden.snapshot_id
  password     = var.bar_password
}}
output "registered_bar_etag" {{ value = objectcopy_analytics_snapshot.golden.registered_bar_etag }}
"""


@pytest.fixture
def oac(oci_emulator):
    from tests.emulators import oac_with_golden_bar
    with oac_with_golden_bar(oci_emulator, f"tf-oac-{uuid.uuid4().hex[:8]}", BAR, PASSWORD, TOKEN) as emu:
        yield emu


class Run(Terraform):
    """Terraform with every command's output kept, to search for secrets."""

    transcript: list[str]

    def run(self, *args: str, rc: int | None = 0) -> str:
        out = super().run(*args, rc=rc)
        self.transcript.append(out)
        return out


@pytest.mark.timeout(1200)
def test_snapshot_and_restore_through_terraform(oac, oci_emulator, tmp_path):
    from tests.emulators.oac_server import bar_bytes
    from tests.emulators.oci import new_api_key
    key, ns = new_api_key(), oci_emulator.namespace
    tf = Run("terraform", tmp_path / "work", install_mirror(tmp_path))
    tf.transcript = []
    tf.env.update(OAC_TOKEN=TOKEN, TF_VAR_bar_password=PASSWORD, TF_VAR_oci_private_key=key.private_pem)
    tf.write(CONFIG.format(url=oac.url, bucket=oac.bucket, ns=ns, bar=BAR, tenancy=key.tenancy, user=key.user))
    tf.run("init", "-input=false")

    planned = tf.plan(2)
    assert "objectcopy_analytics_snapshot.golden will be created" in planned, planned
    assert "(write-only attribute)" in planned or "(sensitive value)" in planned, planned
    tf.apply()
    [snapshot] = oac.snapshots.values()
    assert snapshot.name == "golden-v42" and oac.restored == [snapshot.id]
    registered = oci_emulator.get_object(oac.bucket, BAR)["etag"]
    assert tf.run("output", "-raw", "registered_bar_etag") == registered
    tf.plan(0)

    replaced = oci_emulator.put_object(oac.bucket, BAR, bar_bytes(PASSWORD, "by hand"))["etag"]
    drift = tf.plan(2)
    assert "objectcopy_analytics_snapshot.golden must be replaced" in drift, drift
    assert re.search(rf'~ bar_etag +?= "{replaced}" -> \(known after apply\) # forces replacement', drift), drift
    assert re.search(rf'~ registered_bar_etag += "{registered}" -> \(known after apply\)', drift), drift
    works = len(oac.work_requests)
    tf.apply()
    [again] = oac.snapshots.values()
    assert again.id != snapshot.id and len(oac.work_requests) == works + 2   # registered, restored again
    assert oac.restored == [snapshot.id, again.id]
    assert tf.run("output", "-raw", "registered_bar_etag") == replaced
    tf.plan(0)

    # Import: the snapshot by INSTANCE_URL,SNAPSHOT_ID, the restore by INSTANCE_URL,WORK_REQUEST_ID.
    restore_wr = [w.id for w in oac.work_requests.values() if w.operation_type == "RESTORE_SNAPSHOT"][-1]
    tf.run("state", "rm", "objectcopy_analytics_snapshot.golden", "objectcopy_analytics_snapshot_restore.seed")
    wrong = tf.run("import", "objectcopy_analytics_snapshot.golden", f"{oac.url},NOSUCHSNAPSHOT", rc=1)
    assert f"{oac.url} has no snapshot NOSUCHSNAPSHOT" in wrong, wrong
    tf.run("import", "objectcopy_analytics_snapshot.golden", f"{oac.url},{again.id}")
    create_wr = [w.id for w in oac.work_requests.values() if w.operation_type == "CREATE_SNAPSHOT"][-1]
    not_a_restore = tf.run("import", "objectcopy_analytics_snapshot_restore.seed", f"{oac.url},{create_wr}", rc=1)
    assert "is a CREATE_SNAPSHOT, not a RESTORE_SNAPSHOT" in not_a_restore, not_a_restore
    tf.run("import", "objectcopy_analytics_snapshot_restore.seed", f"{oac.url},{restore_wr}")
    adopted = tf.plan(2)  # what the instance does not say (the profile, the key's user) is recorded in place
    assert "objectcopy_analytics_snapshot.golden will be updated in-place" in adopted, adopted
    assert "must be replaced" not in adopted and "seed" not in adopted.split("Terraform will perform")[-1], adopted
    works = len(oac.work_requests)
    tf.apply()
    assert len(oac.work_requests) == works and list(oac.snapshots) == [again.id]  # nothing registered or restored
    tf.plan(0)

    state = (tf.workdir / "terraform.tfstate").read_text()
    destroyed = tf.run("destroy", "-auto-approve", "-input=false")
    assert "Warning:" in destroyed and "a restore cannot be undone" in destroyed, destroyed
    assert not oac.snapshots and (ns, oac.bucket, BAR) in oci_emulator.objects()  # deregistered; the BAR stays
    secrets = [PASSWORD, TOKEN, *key.private_pem.strip().splitlines()[1:-1]]
    for text in [state, *tf.transcript]:
        assert not [s for s in secrets if s in text], text
