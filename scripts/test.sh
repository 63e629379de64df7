#!/usr/bin/env bash
# The test command. Sets up what is missing, then runs the suite lane by lane, each within its time budget:
#   bash scripts/test.sh              every lane (what CI runs)
#   bash scripts/test.sh fast         the lane that needs no server: unit, core, property (about a minute)
#   bash scripts/test.sh stores lint  the lanes named
# Arguments starting with '-' go to pytest. The servers are started (or reused when already healthy) by the pytest
# session fixtures; OBJECTCOPY_LANE_BUDGET_SCALE=2 doubles every budget on a slow machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# lane -> test folders; every folder under tests/ with tests in it must be in exactly one lane (checked below).
declare -A LANE_DIRS=(
  [fast]="tests/unit tests/core tests/property"
  [stores]="tests/conformance tests/emulators tests/services tests/faults"
  [lifecycle]="tests/lifecycle tests/compat"
  [terraform]="tests/terraform"
  [plugin]="tests/plugin"
)
# lane -> budget in seconds on a new 2-core machine (the run's own time is printed at the end of each lane).
declare -A LANE_BUDGET=([fast]=600 [lint]=300 [stores]=1200 [lifecycle]=1200 [terraform]=1200 [plugin]=1200)
ORDER=(fast lint stores lifecycle plugin terraform)

lanes=() pytest_args=()
for arg in "$@"; do  # a lane's name is a lane; anything else is pytest's (`-p no:cacheprovider`, `-k expr`)
  if [ -n "${LANE_BUDGET[$arg]:-}" ]; then lanes+=("$arg"); else pytest_args+=("$arg"); fi
done
[ ${#lanes[@]} -gt 0 ] || lanes=("${ORDER[@]}")

# Every test folder belongs to a lane, so nothing is silently left out of CI.
for dir in tests/*/; do
  dir=${dir%/}
  compgen -G "$dir/test_*.py" >/dev/null || compgen -G "$dir/**/test_*.py" >/dev/null || continue
  grep -qw -- "$dir" <<<"${LANE_DIRS[*]}" || { echo "scripts/test.sh: $dir is in no lane; add it to LANE_DIRS" >&2; exit 2; }
done

needs_servers=0
for lane in "${lanes[@]}"; do
  case "$lane" in fast|lint) ;; *) needs_servers=1 ;; esac
done
bash scripts/setup.sh --no-servers
if [ "$needs_servers" = 1 ]; then
  # The Go builds (pulumi CLI and its hosts, OpenTofu) run in the background while the first lanes run; a lane
  # that needs one waits for it below (each build holds a lock).
  bash scripts/setup.sh --start-builds
  bash scripts/setup.sh --servers
fi

# What a lane needs beyond the venv and the servers, made sure of (or waited for) before its budget starts.
needs() {
  case "$1" in
    lifecycle|plugin) bash scripts/pulumi-cli.sh >/dev/null ;;
    terraform) bash scripts/terraform.sh install ;;
  esac
}

scale=${OBJECTCOPY_LANE_BUDGET_SCALE:-1}
summary=() failed=0
for lane in "${lanes[@]}"; do
  budget=$(( ${LANE_BUDGET[$lane]} * scale ))
  waited=$(date +%s)
  needs "$lane"
  [ $(( $(date +%s) - waited )) -lt 5 ] || echo "=== lane $lane waited $(( $(date +%s) - waited ))s for its builds" >&2
  start=$(date +%s)
  echo "=== lane $lane (budget ${budget}s)" >&2
  rc=0
  if [ "$lane" = lint ]; then
    timeout -k 30 "$budget" bash scripts/lint.sh || rc=$?
  else
    dirs=()
    for d in ${LANE_DIRS[$lane]}; do [ -d "$d" ] && dirs+=("$d"); done
    if [ ${#dirs[@]} -eq 0 ]; then summary+=("$lane: no tests"); continue; fi
    timeout -k 30 --signal=INT "$budget" .venv/bin/python -m pytest -q -rs "${pytest_args[@]}" "${dirs[@]}" || rc=$?
  fi
  took=$(( $(date +%s) - start ))
  [ "$rc" = 124 ] && summary+=("$lane: OVER BUDGET after ${took}s (budget ${budget}s)") \
    || summary+=("$lane: exit $rc in ${took}s (budget ${budget}s)")
  [ "$rc" = 0 ] || failed=1
done
printf '%s\n' "=== lanes" "${summary[@]}" >&2
exit "$failed"
