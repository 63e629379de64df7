"""One module per storage API, each implementing the Store protocol in base.py."""
from __future__ import annotations

from importlib import import_module

from .. import profiles
from ..urls import ObjectURL
from .base import Limits, Store

# scheme -> module with from_profile(Profile) -> Store; imported on first use
MODULES = {"s3": "s3", "swift": "swift", "file": "local", "cos": "cos", "oss": "oss", "oci": "oci", "mem": "memory"}


def open_store(url: ObjectURL) -> Store:
    """The store for a URL, with its profile, endpoint and credentials resolved now."""
    module = import_module(f"{__name__}.{MODULES[url.scheme]}")
    return module.from_profile(profiles.resolve(url))


def default_limits(scheme: str) -> Limits:
    """A scheme's limits before any profile is read (a profile may narrow them: an S3 profile for COS, say)."""
    return getattr(import_module(f"{__name__}.{MODULES[scheme]}"), "LIMITS", None) or Limits()
