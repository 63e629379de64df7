#!/usr/bin/env bash
# Fetch the peer tools the benchmark compares against: rclone and s5cmd.
#
#   bench/peers.sh            install (cached, idempotent); last stdout line = the bin dir
#
# Cache: ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/bench/bin/{rclone,s5cmd}
#        plus bench/bin/PEERS (one line per tool: name, version, how it was obtained).
# Timing and progress go to stderr so callers can `BIN=$(bench/peers.sh | tail -n1)`.
#
# rclone: Debian's package is used only if it is at least RCLONE_MIN (bookworm ships
# 1.60.1, from 2022, which predates the copy-cutoff/concurrency behaviour the spec
# describes), otherwise the pinned module is built from the Go module proxy.
# s5cmd:  Debian has no package; built from the proxy.
#
# Pins were chosen as the newest each proxy would serve (checked 2026, see README):
#   rclone: /@v/list served; newest v1.75.1.
#   s5cmd:  /@v/list and /@latest answer 403 "This module version is not available" here,
#           so the newest version could not be listed; v2.3.0 (the newest known release
#           tag, 2024-12-16) is served and is pinned.  Override with S5CMD_VERSION=...
set -euo pipefail

RCLONE_MODULE=github.com/rclone/rclone
RCLONE_VERSION=${RCLONE_VERSION:-v1.75.1}
RCLONE_MIN=${RCLONE_MIN:-1.70.0}
# Older fallbacks if the proxy refuses the pinned version (403): tried in order.
RCLONE_FALLBACKS=${RCLONE_FALLBACKS:-"v1.75.0 v1.74.4"}
S5CMD_MODULE=github.com/peak/s5cmd/v2
S5CMD_VERSION=${S5CMD_VERSION:-v2.3.0}
S5CMD_FALLBACKS=${S5CMD_FALLBACKS:-"v2.2.2"}

CACHE=${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}
BIN_DIR=$CACHE/bench/bin
PEERS=$BIN_DIR/PEERS

log() { printf '[peers.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Record "name version how" in PEERS, replacing any older line for the tool.
record() {
    local name=$1; shift
    touch "$PEERS"
    grep -v "^$name " "$PEERS" >"$PEERS.tmp" || true
    printf '%s %s\n' "$name" "$*" >>"$PEERS.tmp"
    mv -f "$PEERS.tmp" "$PEERS"
}

# Build MODULE@VERSION, move the binary NAME into BIN_DIR. Returns 1 (without dying) so the caller can fall
# back to another version. `go install m@v` is tried first; it also reads the module's /@v/list (to warn about a
# deprecated module), and this proxy answers 403 there for some modules (s5cmd), which fails the install although
# the version itself is served. Then the module is built inside a throwaway main module (`go get m@v` + `go build`),
# which never asks for the list; the dependency versions are the same (MVS over the module's own go.mod).
go_build() {
    local module=$1 version=$2 name=$3 ldx=${4:-} tmp t0 how
    command -v go >/dev/null || die "go is not installed (needed to build $name)"
    rm -rf "$CACHE"/bench/.build.*  # failed builds of earlier runs
    tmp=$(mktemp -d "$CACHE/bench/.build.XXXXXX")
    t0=$(now)
    log "building $module@$version with $(go version | awk '{print $3}') (cold build: minutes)"
    # Release-like static build outside any workspace, as scripts/minio.sh does.
    local -a goenv=(env GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="-mod=mod -buildvcs=false")
    local ldflags="-s -w${ldx:+ $ldx$version}"
    how=go-install
    if ! (cd "$tmp" && "${goenv[@]}" go install -trimpath -ldflags "$ldflags" "$module@$version") \
            >"$tmp/build.log" 2>&1; then
        if grep -q '403 Forbidden' "$tmp/build.log"; then
            log "go install was refused by the proxy ($(grep -m1 -o 'reading [^ ]*: 403 Forbidden' "$tmp/build.log"));" \
                "building in a throwaway module instead"
            how=go-get+build
            if ! (cd "$tmp" && "${goenv[@]}" go mod init benchpeer && "${goenv[@]}" go get "$module@$version" \
                    && "${goenv[@]}" go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "$module") \
                    >>"$tmp/build.log" 2>&1; then
                tail -n 15 "$tmp/build.log" >&2
                log "build of $module@$version failed after $(elapsed "$t0") s (log: $tmp/build.log)"
                return 1
            fi
        else
            tail -n 15 "$tmp/build.log" >&2
            log "build of $module@$version failed after $(elapsed "$t0") s (log: $tmp/build.log)"
            return 1
        fi
    fi
    [[ -x $tmp/$name ]] || { log "build produced no $name in $tmp"; return 1; }
    mv -f "$tmp/$name" "$BIN_DIR/$name.tmp.$$"
    mv -f "$BIN_DIR/$name.tmp.$$" "$BIN_DIR/$name"
    rm -rf "$tmp"
    log "built $name $version ($how) in $(elapsed "$t0") s -> $BIN_DIR/$name"
    record "$name" "$version go-proxy:$how build_s=$(elapsed "$t0")"
}

# Is the cached binary the version we want?  (Idempotence without rebuilding.)
have() {
    local name=$1 version=$2
    [[ -x $BIN_DIR/$name && -f $PEERS ]] && grep -q "^$name $version " "$PEERS"
}

version_ge() {  # version_ge A B: A >= B (dotted numbers)
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

install_rclone() {
    if have rclone "$RCLONE_VERSION" || { [[ -x $BIN_DIR/rclone ]] && grep -q '^rclone .* debian' "$PEERS" 2>/dev/null; }; then
        log "rclone cached: $(grep '^rclone ' "$PEERS")"
        return 0
    fi
    # Debian first, if new enough; the candidate is read without installing.
    local deb
    deb=$(apt-cache policy rclone 2>/dev/null | awk '/Candidate:/ {print $2}' | sed 's/[+~-].*//')
    if [[ -n $deb && $deb != "(none)" ]] && version_ge "$deb" "$RCLONE_MIN"; then
        local t0; t0=$(now)
        log "Debian rclone $deb >= $RCLONE_MIN: installing with apt-get"
        apt-get install -y -q rclone >&2
        ln -sf "$(command -v rclone)" "$BIN_DIR/rclone"
        record rclone "v$deb debian-apt install_s=$(elapsed "$t0")"
        return 0
    fi
    log "Debian rclone candidate ${deb:-none} < $RCLONE_MIN: building from the Go module proxy"
    local v
    for v in "$RCLONE_VERSION" $RCLONE_FALLBACKS; do
        # -X stamps the release version (a plain build reports vX.Y.Z-DEV).
        if go_build "$RCLONE_MODULE" "$v" rclone "-X=github.com/rclone/rclone/fs.Version="; then
            [[ $v == "$RCLONE_VERSION" ]] || log "NOTE: fell back from $RCLONE_VERSION to $v"
            return 0
        fi
    done
    die "could not build rclone ($RCLONE_VERSION $RCLONE_FALLBACKS)"
}

install_s5cmd() {
    if have s5cmd "$S5CMD_VERSION"; then
        log "s5cmd cached: $(grep '^s5cmd ' "$PEERS")"
        return 0
    fi
    local v
    for v in "$S5CMD_VERSION" $S5CMD_FALLBACKS; do
        # -X stamps the version `s5cmd version` prints (a plain build says v0.0.0-dev).
        if go_build "$S5CMD_MODULE" "$v" s5cmd "-X=github.com/peak/s5cmd/v2/version.Version="; then
            [[ $v == "$S5CMD_VERSION" ]] || log "NOTE: fell back from $S5CMD_VERSION to $v"
            return 0
        fi
    done
    die "could not build s5cmd ($S5CMD_VERSION $S5CMD_FALLBACKS)"
}

# The AWS CLI from PyPI (v1: v2 is not published there), in a venv of its own so its botocore never meets the
# project's; `aws` is linked into BIN_DIR.
install_awscli() {
    local venv=$CACHE/bench/awscli-venv t0
    if [[ -x $venv/bin/aws && -L $BIN_DIR/aws ]] && grep -q '^aws ' "$PEERS" 2>/dev/null; then
        log "aws cached: $(grep '^aws ' "$PEERS")"
        return 0
    fi
    t0=$(now)
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q "awscli${AWSCLI_VERSION:+==$AWSCLI_VERSION}" >&2 || die "pip install awscli failed"
    ln -sf "$venv/bin/aws" "$BIN_DIR/aws"
    record aws "v$("$venv/bin/aws" --version 2>&1 | awk '{print $1}' | cut -d/ -f2) pypi install_s=$(elapsed "$t0")"
}

main() {
    mkdir -p "$BIN_DIR"
    # One installer at a time (a second caller waits, then finds the cache warm).
    exec 8>"$CACHE/bench/.peers.lock"
    flock -w 3600 8 || die "timed out waiting for another peers.sh"
    local t0; t0=$(now)
    install_rclone
    install_s5cmd
    install_awscli
    log "aws:    $("$BIN_DIR/aws" --version 2>&1)"
    log "rclone: $("$BIN_DIR/rclone" version 2>/dev/null | head -n1)"
    log "s5cmd:  $("$BIN_DIR/s5cmd" version 2>/dev/null | head -n1)"
    log "peers ready in $(elapsed "$t0") s"
    exec 8>&-
    echo "$BIN_DIR"
}

main "$@"
