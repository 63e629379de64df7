"""The whole error tree. It imports nothing of this package: every layer (signing, http, stores, transfer, the
core, the front ends) imports it, so data and imports flow one way.

Every error this package raises on purpose is an ObjectCopyError: `str()` is one line a user can act on, and
`exit_code` is what the `objectcopy` command exits with. Classify errors by type, never by message text.
"""
from __future__ import annotations

import re

# The user part of an http(s) URL, and a `user:password@` in any URL (an object URL's `PROFILE@` has no ':'), up
# to the authority's last '@' (a password may hold one).
_USERINFO = re.compile(r"(?i)\b(https?://)[^/\s?#]*@|\b([a-z][a-z0-9+.-]*://)[^/\s?#:@]*:[^/\s?#]*@")


def redact_userinfo(text: str) -> str:
    """Any `user:password@` in the URLs in `text`, hidden: for every URL logged or put in an error."""
    return _USERINFO.sub(lambda m: f"{m.group(1) or m.group(2)}<redacted>@", text)


class ObjectCopyError(Exception):
    """Base of every error this package raises on purpose. `str()` is one line a user can act on, with any
    `user:password@` of an endpoint URL in it hidden."""

    exit_code = 1

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact_userinfo(a) if isinstance(a, str) else a for a in args))


class UsageError(ObjectCopyError):
    """The caller asked for something malformed: a URL, an option, a profile."""

    exit_code = 2


class ConfigError(UsageError):
    """A profile or credential could not be resolved."""


class StoreError(ObjectCopyError):
    """A store answered with an error. `status` and `code` are the vendor's, kept for messages and mapping."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 request_id: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id


class NotFound(StoreError):
    pass


class PreconditionFailed(StoreError):
    exit_code = 3


class AccessDenied(StoreError):
    pass


class BadRequest(StoreError):
    pass


class Throttled(StoreError):
    pass


class Transient(StoreError):
    """A failure worth retrying: 5xx, a reset connection, a timeout."""


class AnswerLost(Transient):
    """A request that is not idempotent (a POST starting a job) lost its connection after it was sent: the service
    may have acted on it. It was not sent again; the caller looks for what it may have started."""


class SourceInterrupted(Transient, OSError):
    """An object's bytes stopped arriving mid-body (connection reset, answer shorter than its Content-Length). An
    OSError too, so that an upload reading from it fails as a connection does, and is sent again from a fresh read."""


class CannotCopyHere(StoreError):
    """The store cannot do this copy server-side (another endpoint, region or account); stream it instead."""


class BadAnswer(StoreError):
    """A success status whose answer cannot be what was asked for: an HTML page (a proxy, a captive portal, a
    gateway), an empty or truncated body, another format, a document of the wrong kind. Nothing in it is trusted,
    so nothing is taken as done (http.py json_body/xml_body say what the answer was)."""


class URLError(UsageError, ValueError):
    """A malformed object URL; the message names the field, the problem and the expected form."""


class Cancelled(ObjectCopyError):
    """The user stopped the work (Ctrl-C, Terraform's StopProvider, an engine that went away): what was in flight
    was aborted, and nothing half-done was left."""

    exit_code = 130
