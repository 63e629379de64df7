"""The stores: one module per storage API, each implementing the Store protocol in base.py, and this registry of
what each declares about itself (store_type.py): its scheme, URL shape, profile fields and secret headers.

urls.py, profiles.py, settings.py and http.py read the declarations, so this module imports nothing of the package
at load time but store_type.py and errors.py, and a store's declaring module is imported when its scheme is first
looked up.
"""
from __future__ import annotations

from importlib import import_module

from ..errors import UsageError
from .store_type import COMMON_SECRET_HEADERS, StoreType

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing into every URL parsed
if TYPE_CHECKING:
    from ..urls import ObjectURL
    from .base import Limits, Store

# Every store, one line each: its scheme -> the module that declares it (its STORE, a StoreType), relative to this
# package or absolute. A module is imported when its scheme is first used (a URL parsed, a profile checked), so
# each is cheap to import: a store whose code imports requests or a vendor SDK declares itself in a small module
# of its own (s3_type.py beside s3.py). Schemes are listed to users in this order.
STORE_MODULES = {
    "s3": ".s3_type",
    "swift": ".swift_type",
    "file": ".local_type",
    "cos": ".cos_type",
    "oss": ".oss_type",
    "oci": ".oci_type",
    "mem": ".memory",
}

_declared: dict[str, tuple[str, StoreType]] = {}  # scheme -> (the module read, its declaration)


def store_type(scheme: str) -> StoreType:
    """The declaration of a scheme's store; UsageError naming the known schemes when none is registered."""
    module = STORE_MODULES.get(scheme)
    if module is None:
        raise UsageError(f"unknown scheme {scheme!r}; supported: " + ", ".join(f"{s}://" for s in STORE_MODULES))
    read = _declared.get(scheme)
    if read is None or read[0] != module:  # first use, or the registry changed (a test registering its own store)
        declared = getattr(import_module(module, __name__), "STORE", None)
        if not isinstance(declared, StoreType) or declared.scheme != scheme:
            raise TypeError(f"store module {module} must declare STORE = StoreType(scheme={scheme!r}, ...)")
        read = _declared[scheme] = (module, declared)
    return read[1]


def store_types() -> dict[str, StoreType]:
    """scheme -> its declaration, for every registered store, in registry order (imports every declaring module:
    for what needs them all, such as every store's profile fields; a scheme's own is store_type)."""
    return {scheme: store_type(scheme) for scheme in STORE_MODULES}


def secret_headers() -> frozenset[str]:
    """Header names (lower case) whose values are never logged or shown: every API's, and every store's."""
    return COMMON_SECRET_HEADERS.union(*(t.secret_headers for t in store_types().values()))


def open_store(url: ObjectURL) -> Store:
    """The store for a URL, with its profile, endpoint and credentials resolved now."""
    # Imported here: profiles reads the declarations above, and sits below the stores that it resolves for.
    from ..profiles import resolve
    return store_type(url.scheme).open(resolve(url))


def default_limits(scheme: str) -> Limits:
    """A scheme's limits before any profile is read (a profile may narrow them: an S3 profile for COS, say)."""
    return store_type(scheme).default_limits()
