"""A store written as docs/adding-a-store.md says, for tests/unit/test_store_registry.py to register with one line:
`box://[PROFILE@]shelf/key`, objects in a dict. It is one module, its declaration (STORE) and its code, and does only
what the Store protocol requires: it cannot copy server-side, so the transfer layer streams every copy to and from
it. Its profiles take one field of their own, `label`, which names the box (two labels are two boxes).
"""
from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, BinaryIO

from pulumi_objectcopy.stores.base import (
    CannotCopyHere,
    Capabilities,
    Limits,
    NotFound,
    ObjectInfo,
    PreconditionFailed,
    SourceConditions,
    WriteOptions,
    refuse_unsupported,
    require_etag,
    resolved_write,
)
from pulumi_objectcopy.stores.store_type import StoreType, URLShape

if TYPE_CHECKING:
    from pulumi_objectcopy.profiles import Profile
    from pulumi_objectcopy.urls import ObjectURL

STORE = StoreType(scheme="box", url=URLShape("shelf", "box://shelf/key"), implementation=__name__,
                  profile_fields={"label": "text"}, secret_headers=frozenset({"x-box-key"}))

ANY = SourceConditions()
# (label, shelf, key) -> (bytes, metadata, content type, when written)
_objects: dict[tuple[str, str, str], tuple[bytes, dict[str, str], str | None, datetime]] = {}
_lock = threading.Lock()


class BoxStore:
    capabilities = Capabilities(server_side_copy=False, pin_enforced=frozenset())
    limits = Limits()

    def __init__(self, profile: Profile):
        self.profile = profile
        self.label = profile.get("label") or "default"

    def identity(self) -> tuple[str, ...]:
        return ("box", self.label)

    def location(self, url: ObjectURL) -> tuple[str, ...]:
        return ("box", self.label, url.bucket, url.key)

    def head(self, url: ObjectURL, *, version_id: str | None = None) -> ObjectInfo:
        with _lock:
            found = _objects.get((self.label, url.bucket, url.key))
        if found is None:
            raise NotFound(f"{url}: no such object", status=404)
        data, metadata, content_type, written = found
        return ObjectInfo(url=url, size=len(data), etag=hashlib.md5(data).hexdigest(), last_modified=written,
                          content_type=content_type, metadata=metadata)

    def list(self, prefix: ObjectURL) -> Iterator[ObjectInfo]:
        with _lock:
            keys = sorted(key for label, shelf, key in _objects
                          if (label, shelf) == (self.label, prefix.bucket) and key.startswith(prefix.key))
        return (self.head(prefix.with_key(key)) for key in keys)

    def copy(self, src: ObjectInfo, dst: ObjectURL, *, conditions: SourceConditions, options: WriteOptions,
             progress: Callable[[float], None] | None = None) -> ObjectInfo:
        raise CannotCopyHere(f"{dst}: a box cannot copy server-side")

    def open(self, url: ObjectURL, *, conditions: SourceConditions = ANY, version_id: str | None = None,
             byte_range: tuple[int, int] | None = None) -> BinaryIO:
        conditions.check(self.head(url))
        with _lock:
            data = _objects[(self.label, url.bucket, url.key)][0]
        return io.BytesIO(data if byte_range is None else data[byte_range[0]:byte_range[1] + 1])

    def write(self, url: ObjectURL, body: Any, size: int, *, options: WriteOptions,
              source: ObjectInfo | None = None) -> ObjectInfo:
        refuse_unsupported(options, self.capabilities, url)
        metadata, content_type, _ = resolved_write(options, source)
        from pulumi_objectcopy.stores.common import open_body  # it imports requests: not on every URL parsed
        if isinstance(body, bytes):
            data = body
        else:
            stream = open_body(body)
            try:
                data = stream.read()
            finally:
                stream.close()
        with _lock:
            if not options.overwrite and (self.label, url.bucket, url.key) in _objects:
                raise PreconditionFailed(f"{url} already exists", status=412)
            _objects[(self.label, url.bucket, url.key)] = (data, metadata, content_type,
                                                          datetime.now(timezone.utc).replace(microsecond=0))
        return self.head(url)

    def delete(self, url: ObjectURL, *, if_match: str | None = None, version_id: str | None = None) -> None:
        if if_match is not None:
            require_etag(self, url, if_match)
        with _lock:
            _objects.pop((self.label, url.bucket, url.key), None)


def from_profile(profile: Profile) -> BoxStore:
    return BoxStore(profile)
