"""The rules every input obeys, for the `objectcopy` command and the resources alike. Pure: no I/O.

Each check returns what is wrong as a phrase (None when the value is fine), so that the caller names the input as
its user wrote it: a property (`if_match`) in a Pulumi preview, a flag (`--if-match`) on the command line.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import TYPE_CHECKING

from .stores import store_type

if TYPE_CHECKING:  # the stores import the HTTP layer and profiles, which import these rules
    from .stores.base import Limits

# --- header values ------------------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def header_problem(text: str) -> str | None:
    """Why an HTTP header cannot carry `text` as it is (http.client refuses line breaks, NUL and other control
    characters reach the server as garbage, a leading space is dropped, and only Latin-1 can be encoded), or None."""
    if not isinstance(text, str):
        return f"must be text, not {type(text).__name__}"
    if "\x00" in text:
        return "has a NUL byte"
    if "\r" in text or "\n" in text:
        return "has a line break (CR or LF)"
    control = _CONTROL.search(text)
    if control:
        return f"has the control character {control.group(0)!r}"
    if text[:1].isspace():
        return "begins with a space"
    outside = None if text.isascii() else next((c for c in text if ord(c) > 0xFF), None)
    if outside is not None:
        return f"has {outside!r}, a character outside Latin-1"
    return None


def header_value_problem(value: str) -> str | None:
    """`header_problem` as a sentence that shows the value: for errors naming the input."""
    problem = header_problem(value)
    if problem is None:
        return None
    shown = repr(value[:60]) + ("…" if len(value) > 60 else "") if isinstance(value, str) else repr(value)
    return f"{shown} {problem}, which an HTTP header cannot carry"


# --- ETags and dates ----------------------------------------------------------------------------------------------
# An entity tag (RFC 9110): visible ASCII but '"', optionally quoted or weak. '*' matches anything, so it pins nothing.
_ETAG = re.compile(r'(W/)?("[\x21\x23-\x7e]{1,1024}"|[\x21\x23-\x29\x2b-\x7e][\x21\x23-\x7e]{0,1023})')


def etag_problem(value, *, star: bool = False) -> str | None:
    """None for an ETag as `objectcopy head` prints it (quotes optional); `star`: '*' is allowed too."""
    if star and value == "*":
        return None
    if isinstance(value, str) and _ETAG.fullmatch(value):
        return None
    return (f"{_shown(value)} is not an ETag: give one as `objectcopy head` prints it, such as "
            "9b2cf535f27731c974343645a3985328 (quotes optional; no spaces" + ("" if star else ", no '*'") + ")")


def date_problem(value) -> str | None:
    try:
        parse_user_date(value)
    except ValueError:
        return (f"{_shown(value)} is not a date; use ISO 8601 (2026-10-21T07:28:00Z) or RFC 1123 "
                "(Wed, 21 Oct 2026 07:28:00 GMT)")
    return None


def parse_user_date(text: str) -> datetime:
    """A date as a user writes it: ISO 8601 (`2026-10-21T07:28:00Z`) or RFC 1123 (`Wed, 21 Oct 2026 07:28:00
    GMT`); no zone means UTC. Raises ValueError, also for a date that has no UTC equivalent (year 1 east of UTC)."""
    if not isinstance(text, str) or "\x00" in text:
        raise ValueError(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime  # only here: the email package is slow to import
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            raise ValueError(text) from None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    try:
        when.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(text) from None
    return when


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


# --- object names -------------------------------------------------------------------------------------------------
def key_problem(scheme: str, key: str, limits: Limits) -> str | None:
    """A name longer than the store takes (its limits say how long, in UTF-8 bytes), or None."""
    size = len(key.encode("utf-8", "surrogateescape"))
    noun = "path" if store_type(scheme).url.path else "name"
    if size > limits.max_key:
        return f"the {noun} is {size:,} bytes long (UTF-8), over the {limits.max_key:,} bytes {scheme}:// allows"
    if limits.max_segment is not None:
        longest = max(key.split("/"), key=lambda s: len(s.encode("utf-8", "surrogateescape")))
        size = len(longest.encode("utf-8", "surrogateescape"))
        if size > limits.max_segment:
            return (f"{_shown(longest)} is {size:,} bytes long (UTF-8), over the {limits.max_segment:,} bytes a "
                    f"name in a {scheme}:// path may have")
    return None


# --- sizes, counts and ages ---------------------------------------------------------------------------------------
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
               "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4}


def parse_size(text) -> int:
    """`8MiB`, `5GB`, `100M` (decimal), or plain bytes; a whole number of bytes above 0. ValueError says why."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ValueError(f"{_shown(text)} is not a size; use bytes or a unit such as 8MiB, 5GiB, 100MB")
    m = _SIZE.fullmatch(text.strip()) if isinstance(text, str) else None
    if isinstance(text, str) and (not m or m.group(2).lower() not in _SIZE_UNITS):
        raise ValueError(f"{_shown(text)} is not a size; use bytes or a unit such as 8MiB, 5GiB, 100MB")
    size = int(text) if isinstance(text, int) else int(Fraction(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])
    if size <= 0:
        raise ValueError(f"{_shown(text)} is no size: give more than 0 bytes")
    return size


def human_size(n: int) -> str:
    """Bytes in the unit a user would write: `5 MiB`, `100 KiB`, `1 GB`, `1,536 bytes`."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024),
                         ("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= factor and n % factor == 0:
            return f"{n // factor:,} {unit}"
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:,.1f} {unit}"
    return f"{n:,} bytes"


def size_bounds_problem(text: str, size: int, low: int, high: int, what: str) -> str | None:
    """`size` (as the user wrote it: `text`) against the inclusive bounds of `what`."""
    if size < low:
        return f"{text} is below the smallest {what} ({human_size(low)})"
    if size > high:
        return f"{text} is above the largest {what} ({human_size(high)})"
    return None


_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_AGE = timedelta(days=36525)  # a century: older than that means every upload, and dates stay representable


def parse_age(text: str) -> timedelta:
    """`30m`, `12h`, `1d`, `2w`, `0s`: a finite, non-negative age. ValueError says why."""
    m = _AGE.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None and isinstance(text, str) and text.strip().startswith("-"):
        raise ValueError(f"{_shown(text)} is negative: an age counts back from now, so it would take in uploads "
                         "still being written; use 0s or more")
    if not m:
        raise ValueError(f"{_shown(text)} is not an age; use a number and s, m, h, d or w (e.g. 1d)")
    seconds = float(m.group(1)) * _AGE_UNITS[m.group(2)]
    if not math.isfinite(seconds) or seconds > MAX_AGE.total_seconds():
        raise ValueError(f"{_shown(text)} is more than a century; give an age up to {MAX_AGE.days}d")
    return timedelta(seconds=seconds)


def transfer_size_problems(scheme: str, limits: Limits, *, part_size: tuple[str, str, int] | None = None,
                           threshold: tuple[str, str, int] | None = None) -> list[str]:
    """A part size and a multipart threshold against the destination store's limits, whether or not this copy
    will use parts. Each is (the setting as named to the user, as written, in bytes)."""
    problems = []
    if part_size is not None:
        name, text, size = part_size
        if problem := size_bounds_problem(text, size, limits.min_part, limits.max_part, f"part {scheme}:// accepts"):
            problems.append(f"{name}: {problem}")
    if threshold is not None:
        name, text, size = threshold
        if problem := size_bounds_problem(text, size, 1, limits.max_single_copy,
                                          f"object {scheme}:// takes in one request"):
            problems.append(f"{name}: {problem}")
    return problems


def profile_size_setting(store, field: str) -> tuple[str, str, int] | None:
    """A size a store's profile sets (part_size, multipart_cutoff), named for transfer_size_problems."""
    profile = getattr(store, "profile", None)
    value = profile.get(field) if profile is not None else None
    return None if value is None else (f"profile {profile.name!r}: {field}", str(value), int(value))
