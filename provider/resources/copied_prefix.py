"""CopiedPrefix as a Pulumi dynamic resource: a thin adapter over the core (core/copied_prefix.py), which makes
every decision. The provider class stays at this path: it is pickled by reference into every stack's state.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pulumi
from pulumi.dynamic import Resource

from ..core.copied_prefix_schema import SCHEMA
from .adapter import CoreProvider, resource_props


class CopiedPrefixProvider(CoreProvider):
    core_name = "CopiedPrefix"
    explain_diff = True  # "3 changed, 1 new, 2 gone from the source: ..." in the preview


class CopiedPrefix(Resource, module="objectcopy", name="CopiedPrefix"):
    """Every object under a source prefix, copied to the same relative keys under a destination prefix and kept in
    step. See the README for every input."""

    source_digest: pulumi.Output[str]
    object_count: pulumi.Output[int]
    total_bytes: pulumi.Output[int]
    copied_count: pulumi.Output[int]
    written_count: pulumi.Output[int]
    last_sync: pulumi.Output[str]
    synced_at: pulumi.Output[str]
    drift: pulumi.Output[str]
    drifted_count: pulumi.Output[int]

    def __init__(self, resource_name: str, source: pulumi.Input[str], destination: pulumi.Input[str], *,
                 include: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
                 exclude: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
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
                 prune: pulumi.Input[bool] | None = None,
                 delete_policy: pulumi.Input[str] | None = None,
                 concurrency: pulumi.Input[int] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = resource_props(SCHEMA, dict(
            source=source, destination=destination, include=include, exclude=exclude,
            metadata_directive=metadata_directive, metadata=metadata, content_type=content_type,
            cache_control=cache_control, content_disposition=content_disposition,
            content_encoding=content_encoding, tags=tags, tagging_directive=tagging_directive, acl=acl,
            storage_class=storage_class, server_side_encryption=server_side_encryption, kms_key_id=kms_key_id,
            prune=prune, delete_policy=delete_policy, concurrency=concurrency))
        super().__init__(CopiedPrefixProvider(), resource_name, props, opts)
