#!/usr/bin/env bash
# The lint lane: ruff on the whole tree (pyproject.toml [tool.ruff]) and mypy --strict on the core, the transfer
# package, the store protocol and the error floor (pyproject.toml [tool.mypy]). Both pinned in the test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check provider tests bench scripts
.venv/bin/mypy
echo "[lint] ruff and mypy: clean" >&2
