"""The README's tables of each Terraform resource's and data source's attributes, generated from the schema that
GetProviderSchema serves (a test keeps the README equal to them):

    python -m pulumi_objectcopy.terraform.docs README.md     # rewrite the tables between their markers
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Iterable

from .. import core
from ..core.schema import Prop
from .adapter import ID, attributes, computed, write_only
from .tfschema import id_description


def _default(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "{}" if value == {} else str(value)


def _how(p: Prop) -> str:
    if p.output:
        how = ["computed"]
    elif p.required:
        how = ["required"]
    else:
        how = ["optional"] + ([f"default `{_default(p.default)}`"] if p.default is not None else [])
        how += ["planned"] if computed(p) and p.default is None else []
    how += ["sensitive"] if p.secret else []
    how += ["write-only: never in state"] if write_only(p) else []
    return ", ".join(how)


def table(props: Iterable[Prop], id_line: str | None = None) -> str:
    rows = ["| attribute | | meaning |", "|---|---|---|"]
    if id_line:
        rows.append(f"| `{ID}` | computed | {id_line} |")
    rows += [f"| `{p.name}` | {_how(p)} | {p.description} |" for p in props]
    return "\n".join(rows)


def blocks() -> dict[str, str]:
    """Terraform type name -> its table."""
    out = {}
    for resource in core.resources().values():
        s = resource.schema
        out[s.terraform_type] = table(attributes(s), id_description(s))
    for function in core.functions().values():
        out[function.schema.terraform_type] = table(function.schema.args + function.schema.results)
    return out


def marker(name: str) -> tuple[str, str]:
    return f"<!-- terraform-schema {name} -->", f"<!-- /terraform-schema {name} -->"


def rewrite(text: str) -> str:
    for name, block in blocks().items():
        start, end = marker(name)
        replacement = f"{start}\n{block}\n{end}"
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _, r=replacement: r, text, flags=re.S)
    return text


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(rewrite(path.read_text()))
