#!/usr/bin/env bash
# The test command: sets up what is missing, then runs the whole suite. The servers are started (or reused when
# already healthy) by the pytest session fixtures. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q -rs "$@"
