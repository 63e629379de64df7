"""Seed an environment from golden snapshots in OCI Object Storage.

1. Copy the golden BAR file from the golden bucket into the environment's bucket (server-side, on oci://).
2. REGISTER it with the Oracle Analytics instance, then restore the instance from it.
3. Export the EPM environment's snapshot to the environment's bucket, where it is kept (and watched for drift).

Set before `pulumi up` (see the README, "Golden snapshots"):
    pulumi config set instanceUrl https://<oac-host>      pulumi config set epmUrl https://<epm-host>
    pulumi config set tenancy ocid1.tenancy...            pulumi config set user ocid1.user...
    pulumi config set --secret ociPrivateKey -- "$(cat ~/.oci/oci_api_key.pem)"
    pulumi config set --secret barPassword '<the BAR password>'
and in the environment: OAC_TOKEN (or OAC_IDCS_URL, OAC_CLIENT_ID, OAC_CLIENT_SECRET, OAC_SCOPE) and
EPM_USERNAME / EPM_PASSWORD (or EPM_TOKEN).
"""
from urllib.parse import quote

import pulumi
from pulumi_objectcopy import AnalyticsSnapshot, AnalyticsSnapshotRestore, CopiedObject, EpmObjectStoreExport

c = pulumi.Config()
profile = c.get("profile") or None
at = f"{profile}@" if profile else ""
region, namespace = c.require("region"), c.require("namespace")
golden_bucket, env_bucket, bar = c.require("goldenBucket"), c.require("envBucket"), c.require("barName")
private_key, bar_password = c.require_secret("ociPrivateKey"), c.require_secret("barPassword")
api_key = dict(oci_tenancy=c.require("tenancy"), oci_user=c.require("user"), oci_private_key=private_key)

bar_copy = CopiedObject("golden-bar", source=f"oci://{at}{namespace}/{golden_bucket}/{bar}",
                        destination=f"oci://{at}{namespace}/{env_bucket}/{bar}")

snapshot = AnalyticsSnapshot(
    "golden-snapshot", instance_url=c.require("instanceUrl"), type="REGISTER", name=c.require("snapshotName"),
    description=f"golden BAR {bar}", bucket=env_bucket, bucket_namespace=namespace, bar_uri=f"file:///{bar}",
    bar_password=bar_password, oci_region=region, object_profile=profile, **api_key,
    opts=pulumi.ResourceOptions(depends_on=[bar_copy]))  # the BAR must be in the bucket before it is registered

restore = AnalyticsSnapshotRestore("restore-golden", instance_url=c.require("instanceUrl"),
                                   snapshot_id=snapshot.snapshot_id, password=bar_password)

epm_file = c.require("epmFile")
epm_export = EpmObjectStoreExport(
    "epm-snapshot", environment_url=c.require("epmUrl"), file_path=epm_file,
    url=f"https://objectstorage.{region}.oraclecloud.com/n/{namespace}/b/{env_bucket}/o/"
        f"{quote(f'epm/{epm_file}.zip')}",
    object_profile=profile, **api_key)

pulumi.export("bar_etag", bar_copy.etag)
pulumi.export("snapshot_id", snapshot.snapshot_id)
pulumi.export("restored_at", restore.restored_at)
pulumi.export("epm_object", epm_export.object_url)
