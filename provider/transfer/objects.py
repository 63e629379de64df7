"""One object, outside a copy: its HEAD, where it physically is, and the deletes a resource makes of what it wrote."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..stores import open_store
from ..errors import NotFound
from ..stores.base import VERSION_DELETER, ObjectInfo, optional, same_etag
from ..urls import ObjectURL


def head(url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
    return open_store(url).head(url, version_id=version_id)


def location(url: ObjectURL) -> tuple[Any, ...]:
    return open_store(url).location(url)


def delete_if_unchanged(url: ObjectURL, etag: str | None, last_modified: datetime | None = None) -> str | None:
    """Delete `url` only if it is still the object we wrote: same ETag, and not rewritten since (a replacement
    that reached the same object under another endpoint name writes the same ETag, but later). Returns why it was
    left, or None."""
    store = open_store(url)
    try:
        current = store.head(url)
    except NotFound:
        return None
    if etag is not None and not same_etag(current.etag, etag):
        return f"left {url} in place: its ETag is now {current.etag}, not {etag} as written, so someone else wrote it"
    if last_modified is not None and current.last_modified is not None and current.last_modified > last_modified:
        return (f"left {url} in place: it was rewritten at {current.last_modified.isoformat()}, after this "
                f"resource wrote it ({last_modified.isoformat()})")
    store.delete(url, if_match=current.etag)
    return None


def delete_all_versions(url: ObjectURL) -> None:
    """Delete every version of one key (delete_policy all-versions); a store without versions deletes the object."""
    store = open_store(url)
    versions = optional(store, VERSION_DELETER)
    if versions is None:
        store.delete(url)
    else:
        versions.delete_all_versions(url)
