"""How a Pulumi front end (the dynamic resources and the provider plugin) shows that what a resource wrote was changed
outside (CopiedObject's destination, EpmObjectStoreExport's object): `preview --diff` reads
`~ etag: "<live>" => "<written>"`.

A refresh records the object's live `etag`; when it is no longer `written_etag`, the next up writes it again. Pulumi
shows a property's change as its old output against its new *input*, and `etag` is no input: so the refresh hands
back the two ETags among the inputs it records (drift_seen), and check() plans the written one from those old
inputs (restore_plan). The next check, finding no drift in its old inputs, drops them again.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..etags import same_etag


def drifted(props: Mapping[str, Any]) -> bool:
    """The object is no longer what this resource wrote, as the last refresh saw it."""
    return props.get("written_etag") is not None and not same_etag(props.get("etag"), props.get("written_etag"))


def drift_seen(outs: Mapping[str, Any]) -> dict[str, Any]:
    """What a refresh adds to the inputs it hands back: the live and the written ETag, when they differ."""
    return {"etag": outs.get("etag"), "written_etag": outs["written_etag"]} if drifted(outs) else {}


def restore_plan(olds: Mapping[str, Any]) -> dict[str, Any]:
    """What check() adds to the inputs after such a refresh (`olds`: the inputs it handed back): the written ETag."""
    return {"etag": olds["written_etag"], "written_etag": olds["written_etag"]} if drifted(olds) else {}
