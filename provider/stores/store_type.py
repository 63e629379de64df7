"""What a store declares about itself, in one place: its URL scheme and shape, the fields its profiles take, the
headers that carry its secrets, and the module that implements it. urls.py, profiles.py, settings.py and http.py
read these declarations (through the registry in stores/__init__.py) instead of lists of their own, so adding a
store is one module and one line (docs/adding-a-store.md).

Declarations are read before anything is sent (every URL parsed reads them): this module imports nothing but the
standard library, and a module that declares a store must be as cheap to import (no requests, no cryptography).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (some 4 ms) into every URL parsed
if TYPE_CHECKING:
    from typing import Literal

    from ..profiles import Profile  # the implementations import profiles and the HTTP layer; a declaration must not
    from .base import Limits, Store

    # What a profile field holds, checked when a profiles file or stack config is read (profiles.py): text; an
    # http(s) URL; true or false; a size in bytes or with a unit ("64MiB"); a whole number of 1 or more; seconds
    # above 0.
    FieldKind = Literal["text", "url", "bool", "size", "count", "seconds"]


def secret_from(name: str) -> dict[str, FieldKind]:
    """The two fields that say where a credential comes from, never the credential: `<name>_env` names an
    environment variable, `<name>_config` a stack config key (Profile.secret reads them)."""
    return {f"{name}_env": "text", f"{name}_config": "text"}


# Fields every profile may have, whatever its store: the scheme it is for, and how copies to it are cut (transfer
# reads these from the destination's profile).
COMMON_FIELDS: Mapping[str, FieldKind] = {"scheme": "text", "multipart_cutoff": "size", "part_size": "size",
                                          "concurrency": "count"}
# Fields of a store reached over HTTP(S): where it is, and how its certificate is checked (Profile.verify).
# list_page_size: objects per listing request (small pages test paging; the server's default otherwise).
HTTP_FIELDS: Mapping[str, FieldKind] = {"endpoint": "url", "verify_tls": "bool", "ca_bundle": "text",
                                        "list_page_size": "count"}
# Header names every API's secrets travel in (lower case); a store's own are in its declaration.
COMMON_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie"})


@dataclass(frozen=True)
class URLShape:
    """How a scheme's object URLs are written: `scheme://[PROFILE@]container/key`, with these variations."""

    container: str                    # what the part after :// is called in messages: bucket, container, namespace
    example: str                      # a URL of this shape, shown when one is malformed
    path: bool = False                # the URL is an absolute path (file:///tmp/x): no container, no profile
    namespaced: bool = False          # the container is a namespace and the key's first segment its bucket; the URL's
    #                                   bucket keeps both, "namespace/bucket" (oci://namespace/bucket/object)
    key_is_one_segment: bool = False  # the store sends the key as one path segment ('/' encoded), so only a key
    #                                   that is '.' or '..' itself would be lost by an HTTP client


@dataclass(frozen=True)
class StoreType:
    """One kind of store, as its module declares it (`STORE = StoreType(...)`); registered by one line in
    stores/__init__.py."""

    scheme: str                       # the URL scheme, lower case: s3 for s3://
    url: URLShape
    implementation: str               # the module whose from_profile(profile) opens a store; imported on first use
    # The fields a profile for this scheme may set, besides COMMON_FIELDS, and what each holds.
    profile_fields: Mapping[str, FieldKind] = field(default_factory=dict)
    # Fields that would put a secret in the profile in plain text -> the field to use instead; refused by name.
    plaintext_secrets: Mapping[str, str] = field(default_factory=dict)
    # Header names (lower case) this store's secrets travel in: never logged, never shown in an error.
    secret_headers: frozenset[str] = frozenset()

    @property
    def fields(self) -> Mapping[str, FieldKind]:
        """Every field a profile for this scheme may set."""
        return {**COMMON_FIELDS, **self.profile_fields}

    @property
    def has_endpoint(self) -> bool:
        """Whether the store is reached at an endpoint a profile or OBJECTCOPY_ENDPOINT_<SCHEME> may override."""
        return "endpoint" in self.profile_fields

    def open(self, profile: Profile) -> Store:
        """A store for `profile` (credentials resolved now)."""
        store: Store = import_module(self.implementation).from_profile(profile)
        return store

    def default_limits(self) -> Limits:
        """The store's limits before a profile narrows them (an s3 profile for COS, say): its module's LIMITS."""
        from .base import Limits
        limits: Limits | None = getattr(import_module(self.implementation), "LIMITS", None)
        return limits or Limits()
