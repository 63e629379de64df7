"""The provider block: `profiles`, a map of objects whose fields are those of a profile in profiles.toml.

Like the command, the provider resolves endpoints and credentials at each call (profiles.py), never into state:
the block names environment variables and files, not secrets. Fields that point at Pulumi stack config (`*_config`)
mean nothing to Terraform and are refused, naming the field and what to use instead; so are fields that would put a
secret in plain text.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..core.schema import BOOL, INT, STRING
from .. import profiles as profile_store

NUMBERS = {"copy_timeout", "min_part_size", "single_copy_limit", "multipart_cutoff", "part_size", "concurrency"}
BOOLS = {"verify_tls"}


def fields() -> dict[str, str]:
    """Every field a profile may have here, with its schema type (refused ones too, so the refusal can say why)."""
    names = set(profile_store.KNOWN_FIELDS) | set(profile_store.PLAINTEXT_SECRETS)
    return {n: INT if n in NUMBERS else BOOL if n in BOOLS else STRING for n in sorted(names)}


def description(field: str) -> str:
    reason = refusal(field)
    return f"refused in Terraform: {reason}" if reason else f"as `{field}` in profiles.toml"


def refusal(field: str) -> str | None:
    if field.endswith("_config"):
        instead = field[: -len("_config")] + "_env"
        return (f"{field} points at Pulumi stack config, which Terraform does not have; name an environment "
                f"variable with {instead} instead")
    if field in profile_store.PLAINTEXT_SECRETS:
        return (f"{field} would hold a secret in plain text in the configuration; name an environment variable "
                f"with {profile_store.PLAINTEXT_SECRETS[field]} instead")
    return None


def problems(profiles: Mapping[str, Any] | None) -> Iterable[tuple[str, str, str]]:
    """(profile name, field, one line) for every field set that the provider refuses."""
    for name, settings in (profiles or {}).items():
        for field, value in (settings or {}).items():
            if value is None:
                continue
            reason = refusal(field)
            if reason:
                yield name, field, f"profiles[{name!r}].{reason}"


def settings(profiles: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The profiles as profiles.toml would hold them: fields left out (null) dropped, whole numbers as int."""
    out: dict[str, dict[str, Any]] = {}
    for name, given in (profiles or {}).items():
        out[name] = {k: (int(v) if isinstance(v, float) and v.is_integer() else v)
                     for k, v in (given or {}).items() if v is not None}
    return out
