#!/usr/bin/env bash
# The two real Terraform clients the provider's tests run: terraform 1.11.4 (this machine's image has it on PATH;
# elsewhere it is built) and OpenTofu 1.12.6, both built from the Go module proxy and cached.
#
#   scripts/terraform.sh install            make sure both are there
#   scripts/terraform.sh path terraform     print terraform's path (building it if needed)
#   scripts/terraform.sh path tofu          print tofu's path (building it if needed)
#   scripts/terraform.sh build terraform    build terraform into the cache even when PATH has one
#
# Cache:  ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/{terraform/v1.11.4/terraform,opentofu/v1.12.6/tofu}
# Needs:  go >= 1.26.6 (OpenTofu's go.mod), or network to the Go module proxy for GOTOOLCHAIN=auto.
set -euo pipefail

TERRAFORM_MODULE=github.com/hashicorp/terraform
TERRAFORM_VERSION=v1.11.4
# terraform's go.mod replaces these modules of its own repository with local folders, which its module zip does
# not hold; the Go module proxy serves each at the commit tagged v1.11.4 (2025-04-09T13:10:05Z).
TERRAFORM_COMMIT_PSEUDO=v0.0.0-20250409131005-35645b8fca68
TERRAFORM_SUBMODULES="internal/legacy internal/backend/remote-state/azure internal/backend/remote-state/consul
    internal/backend/remote-state/cos internal/backend/remote-state/gcs internal/backend/remote-state/kubernetes
    internal/backend/remote-state/oss internal/backend/remote-state/pg internal/backend/remote-state/s3"
TOFU_MODULE=github.com/opentofu/opentofu
TOFU_VERSION=v1.12.6
TOFU_REPLACE="github.com/hashicorp/hcl/v2@v2.20.1=github.com/opentofu/hcl/v2@v2.20.2-0.20251021132045-587d123c2828"

CACHE=${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}

log() { printf '[terraform.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

terraform_bin() { echo "$CACHE/terraform/$TERRAFORM_VERSION/terraform"; }
tofu_bin() { echo "$CACHE/opentofu/$TOFU_VERSION/tofu"; }

# is_version BIN VERSION: BIN runs and reports VERSION (without the v).
is_version() {
    local out
    [[ -x $1 ]] || return 1
    # read it whole first: `| head -n1` would end the pipe early, and pipefail then counts the SIGPIPE as failure
    out=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null) || return 1
    [[ ${out%%$'\n'*} =~ ^(Terraform|OpenTofu)\ v${2#v}$ ]]
}

# go_build NAME BIN PACKAGE WORK MODULE: build PACKAGE in the wrapper module WORK (its go.mod set up by the caller)
# into BIN, as a release is built (MODULE/version.dev=no, else the version reads v1.2.3-dev).
go_build() {
    local name=$1 bin=$2 package=$3 work=$4 module=$5 t0
    t0=$(now)
    if ! (cd "$work" && env GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -modcacherw" \
            go build -trimpath -ldflags "-s -w -X $module/version.dev=no" -o "$work/$name" "$package") \
            >"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log" >&2
        die "go build $package failed (log: $work/build.log)"
    fi
    mkdir -p "$(dirname "$bin")"
    mv -f "$work/$name" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
    rm -rf "$work"
    log "built $name in $(elapsed "$t0") s -> $bin"
}

# with_lock NAME FUNCTION: one build at a time per tool, across processes.
with_lock() {
    mkdir -p "$CACHE"
    exec 8>"$CACHE/.$1-build.lock"
    flock -w 3600 8 || die "timed out waiting for another $1 build"
    "$2"
    exec 8>&-
}

wrapper() {  # wrapper NAME GOVERSION: a new module folder; prints it
    local work
    command -v go >/dev/null || PATH=/usr/local/go/bin:$PATH
    command -v go >/dev/null || die "go is not installed (needed to build $1)"
    mkdir -p "$CACHE/$1"
    work=$(mktemp -d "$CACHE/$1/.build.XXXXXX")
    printf 'module local/%s-build\n\ngo %s\n' "$1" "$2" >"$work/go.mod"
    echo "$work"
}

build_terraform() {
    is_version "$(terraform_bin)" "$TERRAFORM_VERSION" && return 0
    local work sub
    work=$(wrapper terraform 1.23.3)
    log "building $TERRAFORM_MODULE@$TERRAFORM_VERSION with $(go version | awk '{print $3}') (a cold build takes minutes)"
    (cd "$work"
        go mod edit -require "$TERRAFORM_MODULE@$TERRAFORM_VERSION" \
            -replace "$TERRAFORM_MODULE@v0.0.0-00010101000000-000000000000=$TERRAFORM_MODULE@$TERRAFORM_VERSION"
        for sub in $TERRAFORM_SUBMODULES; do
            go mod edit -replace "$TERRAFORM_MODULE/$sub=$TERRAFORM_MODULE/$sub@$TERRAFORM_COMMIT_PSEUDO"
        done)
    go_build terraform "$(terraform_bin)" "$TERRAFORM_MODULE" "$work" "$TERRAFORM_MODULE"
    is_version "$(terraform_bin)" "$TERRAFORM_VERSION" || die "the build does not report terraform $TERRAFORM_VERSION"
}

build_tofu() {
    is_version "$(tofu_bin)" "$TOFU_VERSION" && return 0
    local work
    work=$(wrapper opentofu 1.26.6)
    log "building $TOFU_MODULE@$TOFU_VERSION with $(go version | awk '{print $3}') (a cold build takes minutes)"
    (cd "$work" && go mod edit -require "$TOFU_MODULE@$TOFU_VERSION" -replace "$TOFU_REPLACE")
    go_build tofu "$(tofu_bin)" "$TOFU_MODULE/cmd/tofu" "$work" "$TOFU_MODULE"
    is_version "$(tofu_bin)" "$TOFU_VERSION" || die "the build does not report OpenTofu $TOFU_VERSION"
}

terraform_path() {
    local found
    if found=$(command -v terraform 2>/dev/null) && is_version "$found" "$TERRAFORM_VERSION"; then
        echo "$found"
        return 0
    fi
    with_lock terraform build_terraform
    terraform_bin
}

tofu_path() {
    with_lock opentofu build_tofu
    tofu_bin
}

case ${1:-} in
    install) terraform_path >/dev/null; tofu_path >/dev/null ;;
    path)
        case ${2:-} in
            terraform) terraform_path ;;
            tofu) tofu_path ;;
            *) die "usage: $0 path terraform|tofu" ;;
        esac ;;
    build)
        [[ ${2:-} == terraform ]] || die "usage: $0 build terraform"
        with_lock terraform build_terraform
        terraform_bin ;;
    *) echo "usage: $0 {install|path terraform|path tofu|build terraform}" >&2; exit 2 ;;
esac
