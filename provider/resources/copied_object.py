"""CopiedObject as a Pulumi dynamic resource: a thin adapter over the core (core/copied_object.py), which makes
every decision. The provider class stays at this path: it is pickled by reference into every stack's state.
"""
from __future__ import annotations

from typing import Mapping

import pulumi
from pulumi.dynamic import Resource

from ..core.copied_object_schema import SCHEMA
from .adapter import CoreProvider, resource_props


class CopiedObjectProvider(CoreProvider):
    core_name = "CopiedObject"


class CopiedObject(Resource, module="objectcopy", name="CopiedObject"):
    """A server-side copy of one object, kept in sync with its source. See the README for every input."""

    etag: pulumi.Output[str]
    size: pulumi.Output[int]
    last_modified: pulumi.Output[str]
    version_id: pulumi.Output[str | None]
    source_etag: pulumi.Output[str]
    copied_source_version_id: pulumi.Output[str | None]
    source_last_modified: pulumi.Output[str]
    copied_at: pulumi.Output[str]
    method: pulumi.Output[str]

    def __init__(self, resource_name: str, source: pulumi.Input[str], destination: pulumi.Input[str], *,
                 source_version_id: pulumi.Input[str] | None = None,
                 metadata_directive: pulumi.Input[str] | None = None,
                 metadata: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
                 content_type: pulumi.Input[str] | None = None,
                 cache_control: pulumi.Input[str] | None = None,
                 content_disposition: pulumi.Input[str] | None = None,
                 content_encoding: pulumi.Input[str] | None = None,
                 tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
                 tagging_directive: pulumi.Input[str] | None = None,
                 acl: pulumi.Input[str] | None = None,
                 storage_class: pulumi.Input[str] | None = None,
                 server_side_encryption: pulumi.Input[str] | None = None,
                 kms_key_id: pulumi.Input[str] | None = None,
                 if_match: pulumi.Input[str] | None = None,
                 if_unmodified_since: pulumi.Input[str] | None = None,
                 overwrite: pulumi.Input[bool] | None = None,
                 track_source: pulumi.Input[bool] | None = None,
                 adopt_existing: pulumi.Input[bool] | None = None,
                 delete_policy: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = resource_props(SCHEMA, dict(
            source=source, destination=destination, source_version_id=source_version_id,
            metadata_directive=metadata_directive, metadata=metadata, content_type=content_type,
            cache_control=cache_control, content_disposition=content_disposition,
            content_encoding=content_encoding, tags=tags, tagging_directive=tagging_directive, acl=acl,
            storage_class=storage_class, server_side_encryption=server_side_encryption, kms_key_id=kms_key_id,
            if_match=if_match, if_unmodified_since=if_unmodified_since, overwrite=overwrite,
            track_source=track_source, adopt_existing=adopt_existing, delete_policy=delete_policy))
        super().__init__(CopiedObjectProvider(), resource_name, props, opts)
