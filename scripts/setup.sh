#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent and fast the second time: a venv with the package and its test
# extras, the test servers (Swift from PyPI + Debian's memcached, MinIO built from the Go module proxy), the
# pulumi CLI and OpenTofu (built from the Go module proxy; terraform too where the machine lacks it).
# `--no-servers`: the venv only.
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
if [ "${1:-}" != "--no-servers" ]; then
  bash scripts/swift-aio.sh install
  bash scripts/minio.sh install
  bash scripts/keystone.sh install
  bash scripts/pulumi-cli.sh >/dev/null
  bash scripts/terraform.sh install
fi
log "ready in $(( $(date +%s) - start )) s"
