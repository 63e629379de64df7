"""EpmObjectStoreExport and EpmObjectStoreImport as Pulumi dynamic resources: thin adapters over the core
(core/epm_export.py, core/epm_import.py), which makes every decision. The provider classes stay at this path: they
are pickled by reference into every stack's state.

Secrets. The OCI API key that EPM signs with travels in EPM's request body, so `oci_private_key` is an input, wrapped
as a secret by the resource classes (core/epm_schema.py: never an output; `key_fingerprint` stands for it).
"""
from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from .. import core
from ..core.epm_schema import EXPORT, IMPORT
from . import engine_log
from .adapter import CoreProvider, resource_props
from .base import drift_seen, drifted


class EpmObjectStoreExportProvider(CoreProvider):
    core_name = "EpmObjectStoreExport"

    @staticmethod
    def read_inputs(result: core.ReadResult) -> dict[str, Any] | None:
        """The inputs are left as the engine stores them (None), unless the object drifted: this state has no key,
        so only the engine's own copy of the inputs can carry the ETags that show why (base.py)."""
        stored = engine_log.stored_inputs() if drifted(result.state) else None
        return {**stored, **drift_seen(result.state)} if stored is not None else None


class EpmObjectStoreImportProvider(CoreProvider):
    core_name = "EpmObjectStoreImport"


class EpmObjectStoreExport(Resource, module="objectcopy", name="EpmObjectStoreExport"):
    """Copies a file or snapshot of an Oracle EPM Cloud environment into an OCI bucket (Copy To Object Store v3),
    and keeps the object there."""

    job_id: pulumi.Output[str]
    object_url: pulumi.Output[str]
    etag: pulumi.Output[str]
    written_etag: pulumi.Output[str]
    size: pulumi.Output[int]
    last_modified: pulumi.Output[str]
    exported_at: pulumi.Output[str]
    key_fingerprint: pulumi.Output[str]

    def __init__(self, resource_name: str, *, environment_url: pulumi.Input[str], file_path: pulumi.Input[str],
                 url: pulumi.Input[str], oci_tenancy: pulumi.Input[str], oci_user: pulumi.Input[str],
                 oci_private_key: pulumi.Input[str], oci_fingerprint: pulumi.Input[str] | None = None,
                 object_profile: pulumi.Input[str] | None = None, delete_policy: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = resource_props(EXPORT, dict(
            environment_url=environment_url, file_path=file_path, url=url, oci_tenancy=oci_tenancy,
            oci_user=oci_user, oci_fingerprint=oci_fingerprint, oci_private_key=oci_private_key,
            object_profile=object_profile, delete_policy=delete_policy))
        super().__init__(EpmObjectStoreExportProvider(), resource_name, props, opts)


class EpmObjectStoreImport(Resource, module="objectcopy", name="EpmObjectStoreImport"):
    """Copies an object from an OCI bucket into an Oracle EPM Cloud environment (Copy From Object Store v3), again
    whenever the object changes (track_source). `file_name` is the name the environment lists the file under
    (default: the object's base name, without the .zip of a snapshot); a new one replaces the import."""

    job_id: pulumi.Output[str]
    file_name: pulumi.Output[str]
    source_etag: pulumi.Output[str | None]
    imported_at: pulumi.Output[str]
    key_fingerprint: pulumi.Output[str]

    def __init__(self, resource_name: str, *, environment_url: pulumi.Input[str], url: pulumi.Input[str],
                 oci_tenancy: pulumi.Input[str], oci_user: pulumi.Input[str], oci_private_key: pulumi.Input[str],
                 oci_fingerprint: pulumi.Input[str] | None = None, object_profile: pulumi.Input[str] | None = None,
                 delete_policy: pulumi.Input[str] | None = None, track_source: pulumi.Input[bool] | None = None,
                 file_name: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        props = resource_props(IMPORT, dict(
            environment_url=environment_url, url=url, oci_tenancy=oci_tenancy, oci_user=oci_user,
            oci_fingerprint=oci_fingerprint, oci_private_key=oci_private_key, object_profile=object_profile,
            delete_policy=delete_policy, track_source=track_source, file_name=file_name))
        super().__init__(EpmObjectStoreImportProvider(), resource_name, props, opts)
