#!/usr/bin/env bash
# scripts/pulumi-cli.sh - provide the pulumi CLI (v3.272.0, same release as the
# PyPI `pulumi` SDK in .venv) on a machine that can reach the Go module proxy
# but not get.pulumi.com / github.com.  See /work/shared/specs/engine.md s.5.
#
# Usage:  PATH="$(scripts/pulumi-cli.sh | tail -1):$PATH"
#         scripts/pulumi-cli.sh [install]   # same thing; bin dir is the last stdout line
#
# Environment for an offline `pulumi up` (local file backend, dynamic providers only).
# From engine.md s.5; NOT yet verified end to end here (the build is blocked, see below):
#   PULUMI_CONFIG_PASSPHRASE=...                    required: the `__provider` input is a secret
#                                                   (or PULUMI_CONFIG_PASSPHRASE_FILE)
#   PULUMI_SKIP_UPDATE_CHECK=true                   otherwise the CLI tries to reach Pulumi Cloud
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true  never try to download plugins
#   PULUMI_HOME=<dir>                               optional; keeps ~/.pulumi (credentials, plugins) private
#   PATH=<bin dir printed by this script>:$PATH     pulumi-resource-pulumi-python must be on PATH or next to `pulumi`
#   and `pulumi login file://<dir>` (or PULUMI_BACKEND_URL=file://<dir>).
#   Pulumi.yaml: runtime: {name: python, options: {toolchain: pip, virtualenv: /work/main/.venv}}
#
# Knobs:
#   OBJECTCOPY_CACHE          cache root (default ~/.cache/objectcopy); build dir and bin dir live here
#   PULUMI_LANGHOST_VERSION   pin the pseudo-version of the (untagged) Python language host module
#                             instead of resolving it from the commit of tag v3.272.0
#   GOPROXY / GOMODCACHE / GOCACHE / GOTOOLCHAIN are honoured as usual.
#
# Status (2026-11-21): the build fails on this machine. The Go proxy answers 403 "This module
# version is not available." for github.com/pulumi/pulumi/pkg/v3 >= v3.260.0 (zips; .info/.mod
# too from v3.261.0) and for the Python language host module (@v/list and every commit tried); sum.golang.org
# has no record of pkg/v3@v3.272.0, and github.com (GOPROXY=direct) does not resolve.
set -euo pipefail

PULUMI_VERSION=v3.272.0
PKG_MOD=github.com/pulumi/pulumi/pkg/v3
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
LANGHOST_MOD=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
CLI_PKG=$PKG_MOD/cmd/pulumi
CLIPBOARD_REPLACE="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

export HOME="${HOME:-/root}"
CACHE_ROOT="${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}"
PREFIX="$CACHE_ROOT/pulumi-$PULUMI_VERSION"
BIN_DIR="$PREFIX/bin"
WORK_DIR="$PREFIX/build"

T0=$(date +%s)
log() { printf '[pulumi-cli] %s\n' "$*" >&2; }
die() { printf '[pulumi-cli] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# A bin dir is complete when pulumi reports the pinned version and the language
# host plus both helper scripts sit next to it (the language host looks for
# pulumi-language-python-exec next to its own executable).
is_complete() {
    local d=$1 f v
    for f in pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
        [ -x "$d/$f" ] || return 1
    done
    v=$(PULUMI_SKIP_UPDATE_CHECK=true "$d/pulumi" version 2>/dev/null) || return 1
    [ "$v" = "$PULUMI_VERSION" ]
}

case "${1:-install}" in
    install) ;;
    -h|--help) sed -n '/^set -euo/q;2,$p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (expected: install)" ;;
esac

# 1. A pulumi on PATH that already fits.
if existing=$(command -v pulumi 2>/dev/null); then
    existing_dir=$(cd "$(dirname "$(readlink -f "$existing")")" && pwd)
    if is_complete "$existing_dir"; then
        log "using pulumi $PULUMI_VERSION already on PATH ($(elapsed))"
        echo "$existing_dir"
        exit 0
    fi
fi

# 2. A previous build in the cache.
if is_complete "$BIN_DIR"; then
    log "cached build is complete ($(elapsed))"
    echo "$BIN_DIR"
    exit 0
fi

# 3. Build from the Go module proxy.
if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] || die "no Go toolchain found (need go >= 1.26.6; install to /usr/local/go)"
    export PATH="/usr/local/go/bin:$PATH"
fi
mkdir -p "$PREFIX"

# Serialise concurrent builds; re-check once we hold the lock.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$PREFIX/.lock"
    flock 9
    if is_complete "$BIN_DIR"; then
        log "cached build completed by a concurrent run ($(elapsed))"
        echo "$BIN_DIR"
        exit 0
    fi
fi

log "building pulumi $PULUMI_VERSION with $(go version | cut -d' ' -f3) in $WORK_DIR"
rm -rf "$WORK_DIR" "$BIN_DIR.tmp"
mkdir -p "$WORK_DIR" "$BIN_DIR.tmp"
cd "$WORK_DIR"

# Go commands run in the throw-away wrapper module; the module cache stays read-write
# so `go clean -modcache` / rm -rf work.  pkg/sdk v3.272.0 declare `go 1.26.6`; with an older
# local Go the default GOTOOLCHAIN=auto fetches that toolchain from the module proxy.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw -buildvcs=false"

modjson() { # modjson <module@version> -> `go mod download -json` output (exit 1 on failure)
    go mod download -json "$1" 2>&1
}
jfield() { # jfield <key> : read a string field from go's JSON on stdin
    python3 -c 'import json,sys
d=json.load(sys.stdin); k=sys.argv[1].split(".")
for p in k: d=(d or {}).get(p)
print(d or "")' "$1"
}

cat > go.mod <<EOF
module local/pulumi-build

go 1.26
EOF

# 3a. The tagged modules.
log "downloading $SDK_MOD@$PULUMI_VERSION and $PKG_MOD@$PULUMI_VERSION"
sdk_json=$(modjson "$SDK_MOD@$PULUMI_VERSION") || die "cannot download $SDK_MOD@$PULUMI_VERSION:
$sdk_json"
pkg_json=$(modjson "$PKG_MOD@$PULUMI_VERSION") || die "cannot download $PKG_MOD@$PULUMI_VERSION from GOPROXY=$(go env GOPROXY):
$(printf '%s' "$pkg_json" | jfield Error 2>/dev/null || printf '%s' "$pkg_json")
The CLI's main package lives in this module; without it the pulumi CLI cannot be built."
SDK_DIR=$(printf '%s' "$sdk_json" | jfield Dir)

# 3b. The Python language host module has no tags: use a pseudo-version at the
#     commit of the release tag (recorded in the proxy's .info Origin).
if [ -n "${PULUMI_LANGHOST_VERSION:-}" ]; then
    langhost_query=$PULUMI_LANGHOST_VERSION
else
    commit=""
    for j in "$pkg_json" "$sdk_json"; do
        [ -n "$commit" ] || commit=$(printf '%s' "$j" | jfield Origin.Hash)
    done
    if [ -z "$commit" ]; then
        commit=$(go list -m -json "$PKG_MOD@$PULUMI_VERSION" 2>/dev/null | jfield Origin.Hash || true)
    fi
    [ -n "$commit" ] || die "cannot find the commit of tag $PULUMI_VERSION (no Origin in the proxy's .info); set PULUMI_LANGHOST_VERSION"
    langhost_query=$commit
fi
log "resolving $LANGHOST_MOD@$langhost_query"

go mod edit -replace "$CLIPBOARD_REPLACE"
if ! out=$(go get "$CLI_PKG@$PULUMI_VERSION" "$SDK_MOD@$PULUMI_VERSION" "$LANGHOST_MOD@$langhost_query" 2>&1); then
    die "go get failed:
$out"
fi
LANGHOST_VERSION=$(go list -m -f '{{.Version}}' "$LANGHOST_MOD")
for m in "$PKG_MOD" "$SDK_MOD"; do
    v=$(go list -m -f '{{.Version}}' "$m")
    [ "$v" = "$PULUMI_VERSION" ] || die "$m resolved to $v, expected $PULUMI_VERSION (MVS pulled it up?)"
done
log "pinned: $PKG_MOD $PULUMI_VERSION, $SDK_MOD $PULUMI_VERSION, $LANGHOST_MOD $LANGHOST_VERSION ($(elapsed))"

# 3c. Compile one binary at a time (2 cores; linking pulumi is the memory peak).
build() { # build <out> <package>
    local t=$(date +%s)
    go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR.tmp/$1" "$2"
    log "built $1 in $(( $(date +%s) - t ))s"
}
build pulumi "$CLI_PKG"
build pulumi-language-python "$LANGHOST_MOD"

# 3d. The two scripts from the sdk module zip (they are not in the PyPI wheel).
install -m 0755 "$SDK_DIR/python/cmd/pulumi-language-python-exec" "$BIN_DIR.tmp/pulumi-language-python-exec"
install -m 0755 "$SDK_DIR/python/dist/pulumi-resource-pulumi-python" "$BIN_DIR.tmp/pulumi-resource-pulumi-python"

is_complete "$BIN_DIR.tmp" || die "built binaries fail the self-check ($BIN_DIR.tmp/pulumi version: $("$BIN_DIR.tmp/pulumi" version 2>&1 || true))"
rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"
log "done: $BIN_DIR (total $(elapsed))"
echo "$BIN_DIR"
