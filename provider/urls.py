"""Object addresses: `s3://[PROFILE@]bucket/key`, `swift://[PROFILE@]container/object`, `file:///path`.

Keys are taken literally, as the AWS CLI takes them: no percent-decoding, and `?`, `#`, `%`, `+` and spaces are
part of the key. That is why this is a small hand parser and not urllib.parse.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# The user part of an http(s) URL, and a `user:password@` in any URL, are hidden by redact_userinfo (errors.py,
# where every error message passes through it); re-exported with URLError, which have always been importable here.
from .errors import URLError as URLError, redact_userinfo as redact_userinfo  # noqa: F401
from .stores import STORE_MODULES, store_type, store_types

# Each scheme, its container's name and its URLs' shape are declared by its store (stores/*: STORE.url).
# Matched with fullmatch: '$' would also match before a trailing newline, letting 'bucket\n' through.
_PROFILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}")


def __getattr__(name: str) -> object:
    if name == "SCHEMES":  # the table this module once kept: scheme -> (what the container is called, example)
        return {scheme: (t.url.container, t.url.example) for scheme, t in store_types().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ObjectURL:
    scheme: str
    bucket: str          # bucket or container; "" for file://
    key: str             # object key, literal; for file:// the absolute path
    profile: str | None = None

    def __str__(self) -> str:
        if self.scheme in STORE_MODULES and store_type(self.scheme).url.path:
            return f"{self.scheme}://{self.key}"
        who = f"{self.profile}@" if self.profile else ""
        return f"{self.scheme}://{who}{self.bucket}/{self.key}" if self.key else f"{self.scheme}://{who}{self.bucket}"

    def with_key(self, key: str) -> ObjectURL:
        return ObjectURL(self.scheme, self.bucket, key, self.profile)

    @property
    def basename(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_prefix(self) -> bool:
        """No key, or one ending in '/': names a folder, not an object."""
        return self.key == "" or self.key.endswith("/")


def parse(text: str, *, field: str = "url", allow_prefix: bool = False) -> ObjectURL:
    """Parse an object URL. `field` names the argument or input in errors."""
    if isinstance(text, str) and (problem := _unusable(text)):
        raise URLError(f"{field}: {_short(text)} {problem}")
    if not isinstance(text, str) or "://" not in text:
        raise URLError(f"{field}: {text!r} is not an object URL; expected one of "
                       + ", ".join(t.url.example for t in store_types().values()))
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower()
    if scheme not in STORE_MODULES:
        raise URLError(f"{field}: unknown scheme {scheme!r} in {text!r}; supported: "
                       + ", ".join(f"{s}://" for s in STORE_MODULES))
    shape = store_type(scheme).url
    if shape.path:
        return _parse_path(scheme, text, rest, field, allow_prefix)
    authority, _, key = rest.partition("/")
    profile = None
    if "@" in authority:
        profile, _, authority = authority.rpartition("@")
        if not _PROFILE.fullmatch(profile):
            raise URLError(f"{field}: profile name {profile!r} in {text!r} must be letters, digits, '_', '.' or '-'")
    noun, example = shape.container, shape.example
    if not authority:
        raise URLError(f"{field}: {text!r} has no {noun}; expected {example}")
    if not _BUCKET.fullmatch(authority):
        raise URLError(f"{field}: {noun} name {authority!r} in {text!r} is not valid "
                       f"(letters, digits, '.', '-', '_' only)")
    if shape.namespaced:  # the namespace, then the bucket: kept together as the URL's bucket
        bucket, _, key = key.partition("/")
        if not _BUCKET.fullmatch(bucket):
            raise URLError(f"{field}: {text!r} has no bucket after the namespace; expected {example}")
        authority = f"{authority}/{bucket}"
    url = ObjectURL(scheme, authority, key, profile)
    dots = [s for s in ([key] if shape.key_is_one_segment else key.split("/")) if s in (".", "..")]
    if dots:
        raise URLError(f"{field}: {_short(text)} has a {dots[0]!r} path segment, which HTTP clients remove before "
                       "sending, so the request would reach another object; such a name cannot be used over HTTP")
    if not allow_prefix and url.is_prefix:
        raise URLError(f"{field}: {text!r} names a {noun} or folder, not an object; expected {example}")
    return url


def _unusable(text: str) -> str | None:
    """What no store can take in a name: a NUL byte, or bytes that are not UTF-8 (a command line's)."""
    if "\x00" in text:
        return "has a NUL byte, which no store takes in a name"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "has bytes that are not UTF-8; names are UTF-8 text"
    return None


def _short(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 120 else shown[:117] + "…"


def _parse_path(scheme: str, text: str, rest: str, field: str, allow_prefix: bool) -> ObjectURL:
    if not rest.startswith("/"):
        raise URLError(f"{field}: {text!r} must be an absolute path with three slashes, e.g. {scheme}:///tmp/data.bin")
    url = ObjectURL(scheme, "", rest)
    if not allow_prefix and url.is_prefix:
        raise URLError(f"{field}: {text!r} names a directory, not a file")
    return url
