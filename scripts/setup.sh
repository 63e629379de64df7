#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent and fast the second time: a venv with the package and its test
# extras, the test servers (Swift from PyPI + Debian's memcached, MinIO built from the Go module proxy), the
# pulumi CLI and OpenTofu (built from the Go module proxy; terraform too where the machine lacks it).
# `--no-servers`: the venv only. `--servers`: the venv and the servers (Swift, MinIO, Keystone), not the CLIs.
# `--start-builds`: the venv, then the pulumi CLI's and OpenTofu's builds started in the background (their log in
# the cache's run/builds.log); each build holds a lock, so a later `scripts/pulumi-cli.sh` or `scripts/terraform.sh
# install` waits for it and then finds it done (scripts/test.sh runs lanes while they build).
# Builds are cached outside the repo in ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }
start=$(date +%s)

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv 2>/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv .venv
  }
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  log "installing pulumi-objectcopy with its test extras into .venv"
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -e '.[test,aws]'; } \
      >.venv/install.log 2>&1; then
    tail -n 30 .venv/install.log >&2
    exit 1
  fi
  rm -f .venv/.installed-* && touch "$stamp"
fi
# The Terraform provider's gRPC stubs (pip's build makes them too; this keeps an existing venv's up to date)
.venv/bin/python scripts/tfproto.py
mode=${1:-all}
case "$mode" in
  --no-servers) ;;
  --start-builds)
    runlog="${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/run/builds.log"
    mkdir -p "$(dirname "$runlog")"
    log "building the pulumi CLI and OpenTofu in the background (log: $runlog)"
    nohup bash -c 'bash scripts/pulumi-cli.sh >/dev/null && bash scripts/terraform.sh install' \
      </dev/null >"$runlog" 2>&1 &
    ;;
  --servers|all)
    bash scripts/swift-aio.sh install
    bash scripts/minio.sh install
    bash scripts/keystone.sh install
    if [ "$mode" = all ]; then
      bash scripts/pulumi-cli.sh >/dev/null
      bash scripts/terraform.sh install
    fi
    ;;
  *) echo "scripts/setup.sh: unknown option $mode (--no-servers, --servers, --start-builds)" >&2; exit 2 ;;
esac
log "ready in $(( $(date +%s) - start )) s"
