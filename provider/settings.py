"""The OBJECTCOPY_* environment variables, each read and checked here: a bad value is refused naming the variable
and the fix, before anything is sent. `objectcopy` checks them all as it starts (`check_environment`); the
provider checks each where it is read, so a bad one fails the preview.

- OBJECTCOPY_PROFILES: the profiles file (profiles.py reads it).
- OBJECTCOPY_ENDPOINT_<SCHEME>: where a scheme's store is (for Swift, the auth URL); an http:// or https:// URL.
- OBJECTCOPY_MAX_REQUESTS: requests in flight across the process, 1 to 10,000 (default 64).
- OBJECTCOPY_LOG, OBJECTCOPY_LOG_FILE: the provider's log level and file (logs.py).
- OBJECTCOPY_EPM_FILE_FIELD: checked by services/epm.py where it is used.
"""
from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from .errors import ConfigError, redact_userinfo
from .inputs import header_problem
from .stores import store_types

DEFAULT_MAX_REQUESTS = 64
MAX_REQUESTS = 10_000
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def endpoint_schemes() -> list[str]:
    """Schemes whose store has an endpoint to override, as each store declares (file:// has none)."""
    return [scheme for scheme, declared in store_types().items() if declared.has_endpoint]


def url_problem(value) -> str | None:
    """Why `value` is not an http(s) URL a store can be reached at, or None."""
    if not isinstance(value, str):
        return f"must be a URL such as https://host:port, not {type(value).__name__}"
    if problem := header_problem(value):
        return f"{value!r} {problem}"
    if value != value.strip() or " " in value:
        return f"{value!r} has spaces"
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken [IPv6] host
        return f"{redact_userinfo(value)!r} is not a URL"
    if parts.scheme.lower() not in ("http", "https") or not value.lower().startswith(parts.scheme.lower() + "://"):
        return f"{redact_userinfo(value)!r} must start with http:// or https://"
    try:
        port_ok = parts.port != 0  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        port_ok = False
    if not port_ok:
        return f"{redact_userinfo(value)!r} has a port that is not a number from 1 to 65535"
    if not parts.hostname:
        return f"{redact_userinfo(value)!r} has no host name"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return f"{redact_userinfo(value)!r} has a query or fragment; give the endpoint alone"
    return None


def max_requests() -> int:
    text = os.environ.get("OBJECTCOPY_MAX_REQUESTS", "").strip()
    if not text:
        return DEFAULT_MAX_REQUESTS
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= MAX_REQUESTS:
        raise ConfigError(f"OBJECTCOPY_MAX_REQUESTS={text[:40]!r} is not a number of requests from 1 to "
                          f"{MAX_REQUESTS:,}; unset it for the default ({DEFAULT_MAX_REQUESTS})")
    return value


def endpoint(scheme: str) -> str | None:
    """OBJECTCOPY_ENDPOINT_<SCHEME>, checked; None when unset."""
    name = f"OBJECTCOPY_ENDPOINT_{scheme.upper()}"
    value = os.environ.get(name)
    if not value:
        return None
    if problem := url_problem(value):
        raise ConfigError(f"{name}: {problem}")
    return value


def log_level() -> int | None:
    text = os.environ.get("OBJECTCOPY_LOG", "").strip()
    if not text:
        return None
    if text.lower() not in LOG_LEVELS:
        raise ConfigError(f"OBJECTCOPY_LOG={text[:40]!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return LOG_LEVELS[text.lower()]


def log_file() -> str | None:
    path = os.environ.get("OBJECTCOPY_LOG_FILE", "")
    if not path:
        return None
    if "\x00" in path:
        raise ConfigError("OBJECTCOPY_LOG_FILE has a NUL byte; name a file")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder):
        raise ConfigError(f"OBJECTCOPY_LOG_FILE={path[:200]!r}: "
                          + ("is a directory; name a file in it" if os.path.isdir(path)
                             else f"its folder {folder[:200]!r} does not exist"))
    return path


def check_environment() -> None:
    """Every OBJECTCOPY_* setting, refused up front with all that is wrong (ConfigError)."""
    problems = []
    checks = [max_requests, log_level, log_file]
    schemes = endpoint_schemes()
    checks += [lambda scheme=scheme: endpoint(scheme) for scheme in schemes]
    for check in checks:
        try:
            check()
        except ConfigError as e:
            problems.append(str(e))
    for name in sorted(os.environ):
        scheme = name.removeprefix("OBJECTCOPY_ENDPOINT_")
        if name.startswith("OBJECTCOPY_ENDPOINT_") and scheme not in [s.upper() for s in schemes]:
            problems.append(f"{name}: {scheme.lower()!r} is not a scheme with an endpoint; use one of "
                            + ", ".join(f"OBJECTCOPY_ENDPOINT_{s.upper()}" for s in schemes))
    if problems:
        raise ConfigError("; ".join(problems))
