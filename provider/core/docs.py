"""The README's tables of each resource's inputs and outputs, generated from the schemas, so the README and the code
cannot disagree (a test checks the README equals what this writes).

A table lives between two markers in the README:
    <!-- schema: CopiedObject inputs -->  ...  <!-- /schema -->
`python -m pulumi_objectcopy.core.docs README.md` rewrites every marked table in place.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from . import function, resource
from .schema import markdown_table

_BLOCK = re.compile(r"(<!-- schema: (\w+) (inputs|outputs|arguments|results) -->\n)(.*?)(<!-- /schema -->)", re.S)


def table(name: str, part: str) -> str:
    if part in ("arguments", "results"):
        schema = function(name).schema
        return markdown_table(schema.args if part == "arguments" else schema.results, inputs=part == "arguments")
    rs = resource(name).schema
    return markdown_table(rs.inputs if part == "inputs" else rs.outputs, inputs=part == "inputs")


def render(text: str) -> str:
    return _BLOCK.sub(lambda m: f"{m.group(1)}{table(m.group(2), m.group(3))}\n{m.group(5)}", text)


def main(argv: list[str]) -> int:
    for path in map(Path, argv or ["README.md"]):
        path.write_text(render(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
