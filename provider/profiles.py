"""Profiles: where a store is and whose credentials sign for it, resolved when a call is made.

A profile is named in a URL (`s3://PROFILE@bucket/key`) and defined in `~/.config/objectcopy/profiles.toml` (or the
file in OBJECTCOPY_PROFILES) or in Pulumi stack config `objectcopy:profiles`. It says where credentials come from
(environment variable names, a vendor profile, a stack config key), never the secrets themselves: tokens expire and
a `pulumi destroy` may run months later, so nothing resolved here is ever stored. With no profile named, each
vendor's own variables and files apply.
"""
from __future__ import annotations

import configparser
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .stores.base import ConfigError
from .urls import ObjectURL

# Fields that would put a secret in plain text; each names the field to use instead.
PLAINTEXT_SECRETS = {
    "secret_access_key": "secret_access_key_env", "aws_secret_access_key": "secret_access_key_env",
    "session_token": "session_token_env", "password": "password_env", "key": "key_env", "token": "token_env",
    "secret_key": "secret_key_env", "access_key_secret": "access_key_secret_env",
    "private_key": "key_file or private_key_env", "passphrase": "passphrase_env", "pass_phrase": "passphrase_env",
}
KNOWN_FIELDS = {
    "scheme", "endpoint", "region", "addressing", "provider", "verify_tls", "ca_bundle", "aws_profile",
    "access_key_id", "access_key_id_env", "secret_access_key_env", "session_token_env",
    "secret_access_key_config", "session_token_config", "key_config", "password_config",
    "secret_id_env", "secret_id_config", "secret_key_env", "secret_key_config", "access_key_secret_env",
    "access_key_secret_config", "access_key_id_config", "service_domain", "signature_version",
    "user", "tenancy", "fingerprint", "key_file", "private_key_env", "private_key_config", "passphrase_env",
    "passphrase_config", "oci_profile", "copy_timeout", "min_part_size", "api",
    "auth_url", "auth_version", "storage_url", "user", "user_env", "key_env", "username", "username_env",
    "password_env", "project_name", "project_id",
    "user_domain_name", "project_domain_name", "user_domain_id", "project_domain_id", "region_name", "interface",
    "single_copy_limit", "multipart_cutoff", "part_size", "concurrency", "list_page_size",
}

_stack_lock = threading.Lock()
_stack_profiles: dict[str, dict] = {}
_stack_config: dict[str, str] = {}


def set_stack_config(config: Mapping[str, Any]) -> None:
    """Called from a dynamic provider's configure(): the stack's `objectcopy:*` config, secrets already decrypted
    by the engine. Kept in this process only."""
    profiles = config.get("objectcopy:profiles") or config.get("profiles")
    parsed = json.loads(profiles) if isinstance(profiles, str) and profiles.strip() else (profiles or {})
    if not isinstance(parsed, dict):
        raise ConfigError("stack config objectcopy:profiles must be an object of profile name -> settings")
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
    path = profiles_file()
    found: dict[str, dict] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"profiles file {path}: {e}") from None
        found.update(data.get("profiles", data))
    elif os.environ.get("OBJECTCOPY_PROFILES"):
        raise ConfigError(f"OBJECTCOPY_PROFILES names {path}, which does not exist")
    with _stack_lock:
        found.update(_stack_profiles)
    return found


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
        return self.get("endpoint") or os.environ.get(f"OBJECTCOPY_ENDPOINT_{self.scheme.upper()}")

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
    profiles = load_profiles()
    if url.profile not in profiles:
        where = f"{profiles_file()} or stack config objectcopy:profiles"
        known = ", ".join(sorted(profiles)) or "none defined"
        raise ConfigError(f"profile {url.profile!r} in {url} is not defined in {where} (known: {known})")
    settings = dict(profiles[url.profile])
    for bad, good in PLAINTEXT_SECRETS.items():
        if bad in settings:
            raise ConfigError(f"profile {url.profile!r}: field {bad!r} would hold a secret in plain text; "
                              f"name an environment variable with {good!r} instead")
    unknown = sorted(set(settings) - KNOWN_FIELDS)
    if unknown:
        raise ConfigError(f"profile {url.profile!r}: unknown field(s) {', '.join(unknown)}")
    declared = settings.get("scheme")
    if declared and declared != url.scheme:
        raise ConfigError(f"profile {url.profile!r} is for {declared}:// URLs, not {url.scheme}:// ({url})")
    return Profile(url.profile, url.scheme, settings)


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
        parser = configparser.RawConfigParser()
        try:
            parser.read(path)
        except configparser.Error as e:
            raise ConfigError(f"{path}: {e}") from None
        if parser.has_section(section):
            for key, value in parser.items(section):
                if "\n" in value and "=" in value:  # nested block, e.g. `s3 =\n addressing_style = path`
                    for line in value.strip().splitlines():
                        k, _, v = line.partition("=")
                        merged[f"{key}.{k.strip()}"] = v.strip()
                else:
                    merged[key] = value
    return merged
