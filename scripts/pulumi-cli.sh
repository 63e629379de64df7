#!/usr/bin/env bash
# scripts/pulumi-cli.sh - provide the pulumi CLI v3.259.0 (plus what `pulumi up` of a Python
# program with dynamic providers needs) on a machine that reaches the Go module proxy but not
# get.pulumi.com / github.com.  Background: /work/shared/specs/engine.md s.1 and s.5.
#
# Usage:  PATH="$(scripts/pulumi-cli.sh | tail -1):$PATH"
#         scripts/pulumi-cli.sh [install]   # same thing; the bin dir is the last stdout line
#
# Why v3.259.0 and why our own language host:
#   The Go module proxy reachable here answers 403 "This module version is not available" for
#   github.com/pulumi/pulumi/pkg/v3 above v3.259.0 (the module holding the CLI's main package) and
#   for EVERY version of the Python language host module
#   github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3.  pkg/v3 and sdk/v3 v3.259.0
#   are served in full, so the CLI is built at v3.259.0 (keep the PyPI `pulumi` in .venv at the same
#   release) and the Go language host is replaced by scripts/pulumi-language-python, a small Python
#   gRPC server implementing pulumirpc.LanguageRuntime with the stubs from the pulumi wheel.
#
# Bin dir contents: pulumi (built), pulumi-language-python (ours, re-copied whenever it changes),
# pulumi-language-python-exec and pulumi-resource-pulumi-python (scripts from the sdk/v3 module zip;
# they are not in the PyPI wheel). For the provider plugin's YAML and TypeScript programs and its SDKs
# (frontends.md s.2), also:
#   pulumi-language-yaml    built from the Go module proxy: pulumi-yaml v1.25.0 against its own pkg/sdk
#                           v3.206.0 (it does not compile against v3.259.0; the proxy serves no other
#                           version that does), works with CLI v3.259.0
#   pulumi-language-nodejs  ours (scripts/pulumi-language-nodejs): the Go host is refused by the proxy at
#                           every version; runs the program's own @pulumi/pulumi runner, with grpc and stubs
#                           from @pulumi/pulumi@3.259.0 installed from npm into ../nodejs-host
#   pulumi-sdkgen           scripts/sdkgen: Pulumi's own code generator (pkg/codegen v3.259.0) for the
#                           nodejs and go SDKs, since `pulumi package gen-sdk` needs the hosts' generators
#   pulumi-sdkgen-dotnet    scripts/sdkgen-dotnet: the C# generator of pkg/codegen v3.163.0 (it has since moved
#                           into the .NET host's module, which the proxy refuses)
#
# Environment for an offline `pulumi up` (local file backend, dynamic providers only):
#   PATH=<bin dir printed by this script>:$PATH
#   PULUMI_CONFIG_PASSPHRASE=...                      (or _FILE) required: `__provider` is a secret
#   PULUMI_SKIP_UPDATE_CHECK=true                     otherwise the CLI tries to reach Pulumi Cloud
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true  never try to download plugins
#   PULUMI_HOME=<dir>                                 optional; keeps ~/.pulumi private
#   `pulumi login file://<dir>` (or PULUMI_BACKEND_URL=file://<dir>)
#   Pulumi.yaml: runtime: {name: python, options: {virtualenv: /work/main/.venv}}
#   (the language host itself needs grpc+pulumi: it re-execs with $PULUMI_PYTHON_CMD, else the
#   `virtualenv` of the nearest Pulumi.yaml, else python3)
#
# Knobs: OBJECTCOPY_CACHE (cache root, default ~/.cache/objectcopy); GOPROXY, GOMODCACHE, GOCACHE,
# GOFLAGS as usual.  Needs Go >= 1.25.11 (pkg/v3's go.mod); /usr/local/go/bin is used if go is not on PATH.
set -euo pipefail

PULUMI_VERSION=v3.259.0
PKG_MOD=github.com/pulumi/pulumi/pkg/v3
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
CLI_PKG=$PKG_MOD/cmd/pulumi
# Same replace as pkg/go.mod (replaces in a dependency's go.mod do not apply to our wrapper module).
CLIPBOARD_REPLACE="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

export HOME="${HOME:-/root}"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LANGHOST_SRC="$SCRIPT_DIR/pulumi-language-python"
NODEHOST_SRC="$SCRIPT_DIR/pulumi-language-nodejs"
SDKGEN_SRC="$SCRIPT_DIR/sdkgen"
SDKGEN_DOTNET_SRC="$SCRIPT_DIR/sdkgen-dotnet"
YAML_MOD=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
YAML_VERSION=v1.25.0
CACHE_ROOT="${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}"
PREFIX="$CACHE_ROOT/pulumi-$PULUMI_VERSION"
BIN_DIR="$PREFIX/bin"
WORK_DIR="$PREFIX/build"

T0=$(date +%s)
log() { printf '[pulumi-cli] %s\n' "$*" >&2; }
die() { printf '[pulumi-cli] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# A bin dir is complete when pulumi reports the pinned version and the three helpers sit next to it
# (the CLI finds the bundled language host and pulumi-python provider next to itself or on PATH; our
# language host finds pulumi-language-python-exec next to itself).
is_complete() {
    local d=$1 f v
    for f in pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
        [ -x "$d/$f" ] || return 1
    done
    v=$(PULUMI_SKIP_UPDATE_CHECK=true "$d/pulumi" version 2>/dev/null) || return 1
    [ "$v" = "$PULUMI_VERSION" ]
}
langhost_current() { cmp -s "$LANGHOST_SRC" "$1/pulumi-language-python"; }
install_langhost() { # install_langhost <dir>: atomic replace so a running `pulumi` never sees half a file
    install -m 0755 "$LANGHOST_SRC" "$1/.pulumi-language-python.tmp"
    mv -f "$1/.pulumi-language-python.tmp" "$1/pulumi-language-python"
}

# The extras beside the CLI (header): each current, or rebuilt/re-copied. A code generator's build is current
# while its sources are unchanged (generator_stamp <source dir>).
generator_stamp() { cat "$1"/main.go "$1"/go.mod "$1"/go.sum | sha256sum | cut -c1-16; }
generator_current() { # generator_current <bin dir> <name> <source dir>
    [ -x "$1/$2" ] && [ "$(cat "$1/.$2-stamp" 2>/dev/null)" = "$(generator_stamp "$3")" ]
}
nodehost_modules_ok() {
    grep -q "\"version\": \"${PULUMI_VERSION#v}\"" "$PREFIX/nodejs-host/node_modules/@pulumi/pulumi/package.json" 2>/dev/null
}
extras_current() {
    local d=$1
    [ -x "$d/pulumi-language-yaml" ] && cmp -s "$NODEHOST_SRC" "$d/pulumi-language-nodejs" && nodehost_modules_ok &&
        generator_current "$d" pulumi-sdkgen "$SDKGEN_SRC" &&
        generator_current "$d" pulumi-sdkgen-dotnet "$SDKGEN_DOTNET_SRC"
}
use_go() {
    if ! command -v go >/dev/null 2>&1; then
        [ -x /usr/local/go/bin/go ] || die "no Go toolchain found (need go >= 1.25.11; install to /usr/local/go)"
        export PATH="/usr/local/go/bin:$PATH"
    fi
    case " ${GOFLAGS:-} " in *" -modcacherw "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw -buildvcs=false" ;; esac
}
build_generator() { # build_generator <bin dir> <name> <source dir>: go build, unless current
    local d=$1 name=$2 src=$3 t
    generator_current "$d" "$name" "$src" && return 0
    use_go
    t=$(date +%s)
    (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$d/.$name.tmp" .) || die "building $src failed"
    mv -f "$d/.$name.tmp" "$d/$name"
    generator_stamp "$src" >"$d/.$name-stamp"
    log "built $name in $(( $(date +%s) - t ))s"
}
install_extras() { # install_extras <bin dir>
    local d=$1 t
    if [ ! -x "$d/pulumi-language-yaml" ]; then
        use_go
        t=$(date +%s)
        rm -rf "$PREFIX/yaml.tmp"
        GOBIN="$PREFIX/yaml.tmp" go install -trimpath -ldflags "-s -w" "$YAML_MOD@$YAML_VERSION" ||
            die "building pulumi-language-yaml $YAML_VERSION failed"
        mv -f "$PREFIX/yaml.tmp/pulumi-language-yaml" "$d/pulumi-language-yaml"
        rm -rf "$PREFIX/yaml.tmp"
        log "built pulumi-language-yaml $YAML_VERSION in $(( $(date +%s) - t ))s"
    fi
    if ! nodehost_modules_ok; then
        command -v npm >/dev/null 2>&1 || die "npm not found: the Node.js language host needs node and npm"
        t=$(date +%s)
        mkdir -p "$PREFIX/nodejs-host"
        echo '{"private": true}' >"$PREFIX/nodejs-host/package.json"
        npm install --prefix "$PREFIX/nodejs-host" --no-audit --no-fund --ignore-scripts --loglevel=error \
            "@pulumi/pulumi@${PULUMI_VERSION#v}" >&2 || die "npm install @pulumi/pulumi@${PULUMI_VERSION#v} failed"
        log "installed @pulumi/pulumi ${PULUMI_VERSION#v} for the Node.js language host in $(( $(date +%s) - t ))s"
    fi
    if ! cmp -s "$NODEHOST_SRC" "$d/pulumi-language-nodejs"; then
        install -m 0755 "$NODEHOST_SRC" "$d/.pulumi-language-nodejs.tmp"
        mv -f "$d/.pulumi-language-nodejs.tmp" "$d/pulumi-language-nodejs"
    fi
    build_generator "$d" pulumi-sdkgen "$SDKGEN_SRC"
    build_generator "$d" pulumi-sdkgen-dotnet "$SDKGEN_DOTNET_SRC"
}

case "${1:-install}" in
    install) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown argument: $1 (expected: install)" ;;
esac
[ -f "$LANGHOST_SRC" ] || die "missing $LANGHOST_SRC"

# 1. A pulumi on PATH that already fits (not our cache dir: that one is handled below so that
#    edits to the language host get copied in).
if existing=$(command -v pulumi 2>/dev/null); then
    existing_dir=$(cd "$(dirname "$(readlink -f "$existing")")" && pwd)
    if [ "$existing_dir" != "$BIN_DIR" ] && is_complete "$existing_dir"; then
        log "using pulumi $PULUMI_VERSION already on PATH in $existing_dir ($(elapsed))"
        echo "$existing_dir"
        exit 0
    fi
fi

# 2. A previous build in the cache (fast path, no lock).
if is_complete "$BIN_DIR" && langhost_current "$BIN_DIR" && extras_current "$BIN_DIR"; then
    log "cached build is complete ($(elapsed))"
    echo "$BIN_DIR"
    exit 0
fi

mkdir -p "$PREFIX"
# Serialise concurrent runs; re-check once we hold the lock.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$PREFIX/.lock"
    flock 9
fi
if is_complete "$BIN_DIR"; then
    if ! langhost_current "$BIN_DIR"; then
        install_langhost "$BIN_DIR"
        log "updated $BIN_DIR/pulumi-language-python from $LANGHOST_SRC"
    fi
    install_extras "$BIN_DIR"
    log "cached build is complete ($(elapsed))"
    echo "$BIN_DIR"
    exit 0
fi

# 3. Build from the Go module proxy in a throw-away wrapper module (pkg/go.mod has
#    `replace sdk/v3 => ../sdk`, which blocks a plain `go install pkg/v3/cmd/pulumi@v3.259.0`).
use_go
log "building pulumi $PULUMI_VERSION with $(go version | cut -d' ' -f3) in $WORK_DIR"
rm -rf "$WORK_DIR" "$BIN_DIR.tmp"
mkdir -p "$WORK_DIR" "$BIN_DIR.tmp"
cd "$WORK_DIR"
# (use_go: -modcacherw keeps the module cache deletable with plain rm -rf.)

cat > go.mod <<EOF
module local/pulumi-build

go 1.25.11
EOF
go mod edit -replace "$CLIPBOARD_REPLACE"

t=$(date +%s)
if ! out=$(go get "$CLI_PKG@$PULUMI_VERSION" "$SDK_MOD@$PULUMI_VERSION" 2>&1); then
    die "go get failed (GOPROXY=$(go env GOPROXY)):
$out"
fi
for m in "$PKG_MOD" "$SDK_MOD"; do
    v=$(go list -m -f '{{.Version}}' "$m")
    [ "$v" = "$PULUMI_VERSION" ] || die "$m resolved to $v, expected $PULUMI_VERSION (MVS pulled it up?)"
done
SDK_DIR=$(go list -m -f '{{.Dir}}' "$SDK_MOD")
[ -n "$SDK_DIR" ] && [ -d "$SDK_DIR/python" ] || die "sdk module source not found (go list -m -f {{.Dir}} $SDK_MOD: '$SDK_DIR')"
log "modules resolved in $(( $(date +%s) - t ))s"

# One link at a time: on 2 cores linking the CLI is the memory peak (~1.8 GB).
t=$(date +%s)
go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR.tmp/pulumi" "$CLI_PKG"
log "built pulumi in $(( $(date +%s) - t ))s"

install -m 0755 "$SDK_DIR/python/cmd/pulumi-language-python-exec" "$BIN_DIR.tmp/pulumi-language-python-exec"
install -m 0755 "$SDK_DIR/python/dist/pulumi-resource-pulumi-python" "$BIN_DIR.tmp/pulumi-resource-pulumi-python"
install -m 0755 "$LANGHOST_SRC" "$BIN_DIR.tmp/pulumi-language-python"

is_complete "$BIN_DIR.tmp" || die "self-check failed ($BIN_DIR.tmp/pulumi version: $("$BIN_DIR.tmp/pulumi" version 2>&1 || true))"
rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"
cd "$PREFIX" && rm -rf "$WORK_DIR"
install_extras "$BIN_DIR"
log "done: $BIN_DIR (total $(elapsed))"
echo "$BIN_DIR"
