"""AnalyticsSnapshot and AnalyticsSnapshotRestore as Pulumi dynamic resources: thin adapters over the core
(core/analytics_snapshot.py, core/analytics_snapshot_restore.py), which makes every decision. The provider classes
stay at this path: they are pickled by reference into every stack's state.

Their states have always kept the OCI key and the BAR password among the outputs (secret, as the engine keeps an
output whose input was secret); they still do, so a stack made by an older release reads back unchanged.
"""
from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..core.analytics_schema import RESTORE, SNAPSHOT
from .adapter import CoreProvider, resource_props


class AnalyticsSnapshotProvider(CoreProvider):  # the instance's token comes from the environment at each call
    core_name = "AnalyticsSnapshot"
    keeps_secret_inputs = True


class AnalyticsSnapshot(Resource, module="objectcopy", name="AnalyticsSnapshot"):
    """An Oracle Analytics Cloud snapshot: CREATE or REGISTER, followed to the end of its work request.

    The BAR file is tracked as an object: `bar_object` is its `oci://[profile@]namespace/bucket/<folder>/<name>.bar`
    URL, `registered_bar_etag` its ETag when this resource created or registered the snapshot, and `bar_etag` the
    ETag a refresh last saw (None once the BAR is deleted). The provider reads it with the objectcopy profile
    `object_profile` (None: the default OCI configuration of wherever pulumi runs); when it cannot (no OCI
    credentials there, say), the create still succeeds, with a warning, and the BAR is not tracked.

    Drift: when a refresh finds `bar_etag` different from `registered_bar_etag` (the BAR overwritten or deleted by
    hand), or a preview finds the BAR overwritten (its ETag is planned as the input `bar_etag`), the next `pulumi up`
    plans a REPLACEMENT, shown as `~ bar_etag: "<registered>" => "<now>"`: the snapshot is deleted first, then a
    REGISTER registers the BAR as it is now (and fails if it is gone), a CREATE snapshots the instance again.
    `delete_storage` never deletes a BAR that is no longer the one registered. See the README for every input.
    """

    snapshot_id: pulumi.Output[str]
    work_request_id: pulumi.Output[str | None]
    status: pulumi.Output[str]
    created_at: pulumi.Output[str]
    bar_object: pulumi.Output[str | None]
    bar_etag: pulumi.Output[str | None]
    registered_bar_etag: pulumi.Output[str | None]

    def __init__(self, resource_name: str, *, instance_url: pulumi.Input[str], type: pulumi.Input[str],  # noqa: A002
                 name: pulumi.Input[str], bucket: pulumi.Input[str], bar_uri: pulumi.Input[str],
                 description: pulumi.Input[str] | None = None, bucket_namespace: pulumi.Input[str] | None = None,
                 bucket_region: pulumi.Input[str] | None = None, auth_type: pulumi.Input[str] | None = None,
                 oci_region: pulumi.Input[str] | None = None, oci_tenancy: pulumi.Input[str] | None = None,
                 oci_user: pulumi.Input[str] | None = None, oci_fingerprint: pulumi.Input[str] | None = None,
                 oci_private_key: pulumi.Input[str] | None = None, bar_password: pulumi.Input[str] | None = None,
                 delete_storage: pulumi.Input[bool] | None = None, object_profile: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = resource_props(SNAPSHOT, dict(
            instance_url=instance_url, type=type, name=name, description=description, bucket=bucket,
            bucket_namespace=bucket_namespace, bucket_region=bucket_region, auth_type=auth_type,
            oci_region=oci_region, oci_tenancy=oci_tenancy, oci_user=oci_user, oci_fingerprint=oci_fingerprint,
            oci_private_key=oci_private_key, bar_uri=bar_uri, bar_password=bar_password,
            delete_storage=delete_storage, object_profile=object_profile))
        super().__init__(AnalyticsSnapshotProvider(), resource_name, props, opts)


class AnalyticsSnapshotRestoreProvider(CoreProvider):
    core_name = "AnalyticsSnapshotRestore"
    keeps_secret_inputs = True


class AnalyticsSnapshotRestore(Resource, module="objectcopy", name="AnalyticsSnapshotRestore"):
    """Restores a registered snapshot into an Oracle Analytics instance, once (again when the snapshot changes)."""

    work_request_id: pulumi.Output[str]
    restored_at: pulumi.Output[str]

    def __init__(self, resource_name: str, *, instance_url: pulumi.Input[str], snapshot_id: pulumi.Input[str],
                 password: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None):
        props = resource_props(RESTORE, dict(instance_url=instance_url, snapshot_id=snapshot_id, password=password))
        super().__init__(AnalyticsSnapshotRestoreProvider(), resource_name, props, opts)
