"""Profiles: where a store is and whose credentials sign for it, resolved when a call is made.

A profile is named in a URL (`s3://PROFILE@bucket/key`) and defined in `~/.config/objectcopy/profiles.toml` (or the
file in OBJECTCOPY_PROFILES) or in Pulumi stack config `objectcopy:profiles`. It says where credentials come from
(environment variable names, a vendor profile, a stack config key), never the secrets themselves: tokens expire and
a `pulumi destroy` may run months later, so nothing resolved here is ever stored. With no profile named, each
vendor's own variables and files apply.

Which fields a profile takes, what each holds and which would put a secret in plain text is each store's to say
(its declaration, stores/store_type.py); every profile is checked against them when it is read (check_profile).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import settings as settings_module
from .errors import ConfigError
from .inputs import header_problem, parse_size
from .stores import STORE_MODULES, store_type, store_types
from .urls import ObjectURL

if TYPE_CHECKING:
    from .stores.store_type import FieldKind, StoreType

_stack_lock = threading.Lock()
_stack_profiles: dict[str, dict] = {}
_STACK = "stack config objectcopy:profiles"
_stack_config: dict[str, str] = {}


def set_stack_config(config: Mapping[str, Any]) -> None:
    """Called from a dynamic provider's configure(): the stack's `objectcopy:*` config, secrets already decrypted
    by the engine. Kept in this process only."""
    profiles = config.get("objectcopy:profiles") or config.get("profiles")
    try:
        parsed = json.loads(profiles) if isinstance(profiles, str) and profiles.strip() else (profiles or {})
    except ValueError as e:
        raise ConfigError(f"{_STACK} is not JSON: {e}") from None
    parsed = checked_profiles(parsed, _STACK)
    with _stack_lock:
        _stack_profiles.clear()
        _stack_profiles.update(parsed)
        _stack_config.clear()
        _stack_config.update({k.split(":", 1)[-1]: str(v) for k, v in config.items()})


def profiles_file() -> Path:
    explicit = os.environ.get("OBJECTCOPY_PROFILES")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "objectcopy" / "profiles.toml"


def load_profiles() -> dict[str, dict]:
    """Profiles from the file, then stack config (stack config wins on a clash)."""
    return {name: settings for name, (_, settings) in _load_profiles().items()}


def _load_profiles() -> dict[str, tuple[str, dict]]:
    """name -> (where it is defined, its settings), as load_profiles."""
    path = profiles_file()
    found: dict[str, tuple[str, dict]] = {}
    if path.is_file():
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"profiles file {path}: {e}") from None
        where = f"profiles file {path}"
        found.update((name, (where, dict(settings))) for name, settings in _file_profiles(text, where).items())
    elif os.environ.get("OBJECTCOPY_PROFILES"):
        raise ConfigError(f"OBJECTCOPY_PROFILES names {path}, which does not exist")
    with _stack_lock:
        found.update((name, (_STACK, settings)) for name, settings in _stack_profiles.items())
    return found


# The file is read at every call (it may change between two), but parsed and checked again only when what it holds
# changed: a plan resolves a profile for every object it looks at. (where, text, stores registered) -> profiles.
_parsed_files: dict[tuple[str, str, tuple], dict[str, dict]] = {}


def _file_profiles(text: str, where: str) -> dict[str, dict]:
    key = (where, text, tuple(STORE_MODULES.items()))
    parsed = _parsed_files.get(key)
    if parsed is None:
        try:  # imported here: a process that never reads a profiles file (terraform's schema) skips it
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{where}: {e}") from None
        others = sorted(set(data) - {"profiles"})
        if others:
            raise ConfigError(f"{where}: {', '.join(others)} outside the [profiles] table; write each profile as "
                              "[profiles.NAME]")
        parsed = checked_profiles(data.get("profiles", {}), where)
        with _stack_lock:
            _parsed_files.clear()  # one file is in use at a time; keep no other
            _parsed_files[key] = parsed
    return parsed


@dataclass(frozen=True)
class Profile:
    """A profile's settings after defaults; credentials are resolved separately, per call."""

    name: str | None
    scheme: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    @property
    def verify(self) -> bool | str:
        if self.get("ca_bundle"):
            return str(Path(self.get("ca_bundle")).expanduser())
        if self.get("verify_tls") is False:
            _warn_unverified(self)
            return False
        return True  # requests then applies REQUESTS_CA_BUNDLE itself

    def endpoint_override(self) -> str | None:
        return self.get("endpoint") or settings_module.endpoint(self.scheme)

    def secret(self, what: str, *, env_default: str | None = None, required: bool = True) -> str | None:
        """A credential value from `<what>_env` (a variable name) or `<what>_config` (a stack config key)."""
        env_name = self.get(f"{what}_env")
        config_key = self.get(f"{what}_config")
        if config_key:
            with _stack_lock:
                value = _stack_config.get(str(config_key).split(":", 1)[-1])
            if value is None and required:
                raise ConfigError(f"profile {self.name!r}: {what}_config names stack config {config_key!r}, "
                                  f"which is not set; run `pulumi config set --secret {config_key} ...`")
            return value
        name = env_name or env_default
        value = os.environ.get(name) if name else None
        if value is None and required and env_name:
            raise ConfigError(f"profile {self.name!r}: environment variable {env_name} ({what}) is not set")
        return value


def resolve(url: ObjectURL) -> Profile:
    if url.profile is None:
        return Profile(None, url.scheme, {})
    profiles = _load_profiles()
    if url.profile not in profiles:
        where = f"{profiles_file()} or {_STACK}"
        known = ", ".join(sorted(profiles)) or "none defined"
        raise ConfigError(f"profile {url.profile!r} in {url} is not defined in {where} (known: {known})")
    where, settings = profiles[url.profile]
    declared = settings.get("scheme")
    if declared and declared != url.scheme:
        raise ConfigError(f"profile {url.profile!r} is for {declared}:// URLs, not {url.scheme}:// ({url})")
    if not declared:  # checked when read against every store's fields: now against this scheme's
        settings = check_profile(settings, url.scheme, name=url.profile, where=where)
    return Profile(url.profile, url.scheme, dict(settings))


def checked_profiles(profiles: Any, where: str) -> dict[str, dict]:
    """Profiles as read from `where` (a file, stack config), each checked: a table of known fields of the right
    types; sizes become bytes. ConfigError names the file, the profile and the field, with the fix."""
    if not isinstance(profiles, Mapping):
        raise ConfigError(f"{where}: profiles must be a table of profile name -> settings ([profiles.NAME]), "
                          f"not {type(profiles).__name__}")
    checked = {}
    for name, settings in profiles.items():
        if not isinstance(settings, Mapping):
            raise ConfigError(f"{where}: profile {name!r} must be a table of settings ([profiles.{name}]), not "
                              f"{type(settings).__name__}")
        checked[name] = check_profile(settings, name=name, where=where)
    return checked


def check_profile(settings: Mapping[str, Any], scheme: str | None = None, *, name: str, where: str) -> dict:
    """One profile's settings, checked as profile_problems does, with sizes in bytes; ConfigError naming `where`,
    the profile and every field that is wrong, with the fix."""
    problems = profile_problems(settings, scheme)
    if problems:
        raise ConfigError(f"{where}: profile {name!r}: " + "; ".join(f"{key}: {problem}" for key, problem in problems))
    fields = profile_fields(_scheme_of(settings, scheme))
    return {key: parse_size(value) if fields[key] == "size" else value for key, value in settings.items()}


def profile_problems(settings: Mapping[str, Any], scheme: str | None = None) -> list[tuple[str, str]]:
    """(field, problem) for each field of one profile's settings that its store does not take or that holds the
    wrong type. The store is `scheme`'s, else the one the profile's own `scheme` field names; with neither, a field
    any store takes is let through (it is checked again against the URL's scheme when the profile is used)."""
    scheme = _scheme_of(settings, scheme)
    fields, plaintext = profile_fields(scheme), plaintext_secrets(scheme)
    problems = []
    for name, value in settings.items():
        if name in plaintext:
            problems.append((name, "would hold a secret in plain text; name an environment variable with "
                                   + f"{plaintext[name]!r} instead"))
        elif name not in fields:
            problems.append((name, f"is not a field of {scheme}:// profiles, which take {', '.join(sorted(fields))}"
                             if scheme else "is not a profile field (see the README's Profiles section)"))
        elif (problem := _value_problem(name, fields[name], value, scheme)) is not None:
            problems.append((name, problem))
    return problems


def _scheme_of(settings: Mapping[str, Any], scheme: str | None) -> str | None:
    own = settings.get("scheme")
    return scheme if scheme is not None else own if isinstance(own, str) and own in STORE_MODULES else None


def profile_fields(scheme: str | None = None) -> dict[str, FieldKind]:
    """The fields a profile for `scheme` takes, each with what it holds ("text", "url", "bool", "size", "count",
    "seconds"); for no scheme, every store's."""
    return {name: kind for store in _declared(scheme) for name, kind in store.fields.items()}


def plaintext_secrets(scheme: str | None = None) -> dict[str, str]:
    """The fields refused because they would hold a secret in plain text -> the field to use instead; for no scheme,
    every store's."""
    return {name: instead for store in _declared(scheme) for name, instead in store.plaintext_secrets.items()}


def _declared(scheme: str | None) -> list[StoreType]:
    return [store_type(scheme)] if scheme is not None else list(store_types().values())


def __getattr__(name: str) -> object:
    # The lists this module once kept for every store alike, as every store's fields now say
    if name == "KNOWN_FIELDS":
        return frozenset(profile_fields())
    if name == "PLAINTEXT_SECRETS":
        return plaintext_secrets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _value_problem(field: str, kind: FieldKind, value: Any, scheme: str | None) -> str | None:
    if kind == "bool":
        return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if kind == "size":
        try:
            parse_size(value)
        except ValueError as e:
            return str(e)
        return None
    if kind == "count":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        return None if ok else f"must be a whole number of 1 or more, not {value!r}"
    if kind == "seconds":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
        return None if ok else f"must be a number of seconds above 0, not {value!r}"
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__} {value!r}"
    if field == "scheme" and value not in STORE_MODULES:
        return f"{value!r} is not one of {', '.join(STORE_MODULES)}"
    if field == "scheme" and scheme is not None and value != scheme:
        return f"{value!r}, but the profile is used for {scheme}:// URLs"
    if kind == "url":
        return settings_module.url_problem(value)
    return header_problem(value) if "\x00" in value or "\n" in value or "\r" in value else None


_warned_unverified: set[tuple[str | None, str | None]] = set()


def _warn_unverified(profile: Profile) -> None:
    """Said once per profile and endpoint: a store reached without checking its certificate is worth a look."""
    key = (profile.name, profile.endpoint_override())
    with _stack_lock:
        if key in _warned_unverified:
            return
        _warned_unverified.add(key)
    logging.getLogger("pulumi_objectcopy").warning(
        "profile %r sets verify_tls = false: TLS certificates of %s are not checked; use ca_bundle for a private "
        "CA, and keep verify_tls = false for loopback test servers only", profile.name, key[1] or "its endpoint")


# --- AWS shared files ---------------------------------------------------------------------------------------------
def aws_shared_profile(name: str) -> dict[str, str]:
    """Merged settings of one profile from ~/.aws/credentials and ~/.aws/config (nested `s3 =` flattened)."""
    creds_path = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")).expanduser()
    config_path = Path(os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")).expanduser()
    merged: dict[str, str] = {}
    for path, section in ((config_path, "default" if name == "default" else f"profile {name}"),
                          (creds_path, name)):
        try:
            text = path.read_text()
        except OSError:
            continue  # no such file, as configparser's read skips it
        merged.update(_ini_section(str(path), text, section))
    return merged


# Read at every call, as the credentials in them may change; parsed again only when what they hold changed (every
# store a plan opens reads them). (path, text, section) -> its settings.
_parsed_ini: dict[tuple[str, str, str], dict[str, str]] = {}


def _ini_section(path: str, text: str, section: str) -> dict[str, str]:
    key = (path, text, section)
    found = _parsed_ini.get(key)
    if found is None:
        import configparser  # here, as tomllib above
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(text, source=path)
        except configparser.Error as e:
            raise ConfigError(f"{path}: {e}") from None
        found = {}
        if parser.has_section(section):
            for name, value in parser.items(section):
                if "\n" in value and "=" in value:  # nested block, e.g. `s3 =\n addressing_style = path`
                    for line in value.strip().splitlines():
                        k, _, v = line.partition("=")
                        found[f"{name}.{k.strip()}"] = v.strip()
                else:
                    found[name] = value
        with _stack_lock:
            if len(_parsed_ini) > 64:  # a few files and sections are in use at a time
                _parsed_ini.clear()
            _parsed_ini[key] = found
    return dict(found)
