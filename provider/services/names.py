"""The services' naming and password rules, pure: a plan checks them without loading the HTTP client (the
schemas' rules in core/epm_schema.py and core/analytics_schema.py, and the EPM transfers in core/, call them)."""
from __future__ import annotations

import re


def exported_object_name(file_path: str, file_type: str | None) -> str:
    """ASSUMPTION (Oracle says only "copied with its original name"; the test emulator does the same): when the
    Copy To URL names only the bucket, the object is the file's base name (after the last '/' or '\\'), plus
    ".zip" when the environment lists the file as an LCM snapshot (a snapshot travels as a zip file)."""
    base = re.split(r"[/\\]", file_path)[-1]
    return base + (".zip" if (file_type or "").upper() == "LCM" else "")


def is_snapshot(object_name: str) -> bool:
    """ASSUMPTION (Oracle says snapshots are "extracted on arrival"; the test emulator does the same): an object
    ending in ".zip" is a snapshot, listed in the environment without the ".zip"."""
    return object_name.lower().endswith(".zip")


def imported_file_name(object_name: str) -> str:
    """The name the environment lists an imported object under when none is chosen: the object's base name (after
    the last '/' or '\\'), without the ".zip" of a snapshot."""
    base = re.split(r"[/\\]", object_name)[-1]
    return base[:-4] if is_snapshot(base) else base


def copy_from_file_name(file_name: str, object_name: str) -> str:
    """The `fileName` Copy From is sent to have the environment list the object as `file_name`: a snapshot travels
    as the zip it is, so its name carries the ".zip" (by default, the object's own base name)."""
    return file_name + ".zip" if is_snapshot(object_name) else file_name


def password_problems(password: str) -> list[str]:
    """The BAR password rule for a new snapshot (seed 003): 8 to 50 characters, a digit, an upper- and a lower-case
    letter. The service's own 400 stays the final word."""
    problems = []
    if not 8 <= len(password) <= 50:
        problems.append("8 to 50 characters")
    for pattern, what in ((r"\d", "a digit"), (r"[A-Z]", "an upper-case letter"), (r"[a-z]", "a lower-case letter")):
        if not re.search(pattern, password):
            problems.append(what)
    return problems
