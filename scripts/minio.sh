#!/usr/bin/env bash
# MinIO (single drive) on loopback for the test suite and CI.
#
#   scripts/minio.sh install   build the pinned MinIO from the Go module proxy (cached)
#   scripts/minio.sh start     install if needed, start (or reuse) and wait until ready
#   scripts/minio.sh stop      stop the server started by this script
#   scripts/minio.sh status    exit 0 if the server answers /minio/health/ready
#   scripts/minio.sh env       print the `export NAME=value` lines clients need
#
# Cache (binary):  ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/minio/<version>/minio
# Runtime state:   ${OBJECTCOPY_RUN:-$OBJECTCOPY_CACHE/run}/minio/{data,minio.log,minio.pid}
# Needs: go >= 1.24 (or network to the Go module proxy for GOTOOLCHAIN=auto), curl.
set -euo pipefail

# MinIO's release tags (RELEASE.2025-...) are not semver, so the Go module proxy
# only knows pseudo-versions.  Pinned from `go list -m -json github.com/minio/minio@latest`.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

HOST=127.0.0.1
PORT=19000
CONSOLE_PORT=19001
ROOT_USER=minioadmin
ROOT_PASSWORD=minioadmin
# A static test key for MinIO's built-in KMS, so SSE-S3 and SSE-KMS (key id objectcopy-test-key) can be tested.
KMS_KEY=objectcopy-test-key:$(printf 'objectcopy-test-kms-key-32bytes!' | base64)
REGION=us-east-1
READY_TIMEOUT=${OBJECTCOPY_READY_TIMEOUT:-60}

CACHE=${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}
RUN_ROOT=${OBJECTCOPY_RUN:-$CACHE/run}
RUN=$RUN_ROOT/minio
BIN_DIR=$CACHE/minio/$MINIO_VERSION
BIN=$BIN_DIR/minio
PIDFILE=$RUN/minio.pid
LOG=$RUN/minio.log
DATA=$RUN/data
ENDPOINT=http://$HOST:$PORT

log() { printf '[minio.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

healthy() {
    curl -fsS -o /dev/null --max-time 2 "$ENDPOINT/minio/health/ready" 2>/dev/null
}

# PID from the pid file, only if that process is still our MinIO.
our_pid() {
    local pid
    [[ -f $PIDFILE ]] || return 1
    pid=$(<"$PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$BIN server $DATA " || return 1
    echo "$pid"
}

do_install() {
    mkdir -p "$CACHE"
    if [[ -x $BIN ]]; then
        return 0
    fi
    exec 8>"$CACHE/.minio-install.lock"
    flock -w 1800 8 || die "timed out waiting for another install to finish"
    if [[ -x $BIN ]]; then   # built by a concurrent install while we waited
        exec 8>&-
        return 0
    fi
    command -v go >/dev/null || die "go is not installed (need Go >= 1.24 to build MinIO)"
    local t0 tmp
    t0=$(now)
    log "building $MINIO_MODULE@$MINIO_VERSION with $(go version | awk '{print $3}') (cold build takes minutes)"
    mkdir -p "$CACHE/minio"
    tmp=$(mktemp -d "$CACHE/minio/.build.XXXXXX")
    # Build outside any module/workspace; release-like flags (static, no cgo).
    if ! (cd "$tmp" && env GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOBIN="$tmp" \
            GOFLAGS="-mod=mod -buildvcs=false" \
            go install -trimpath -ldflags "-s -w" "$MINIO_MODULE@$MINIO_VERSION") >"$tmp/build.log" 2>&1; then
        tail -n 40 "$tmp/build.log" >&2
        die "go install $MINIO_MODULE@$MINIO_VERSION failed (log: $tmp/build.log)"
    fi
    [[ -x $tmp/minio ]] || die "build produced no binary in $tmp"
    mkdir -p "$BIN_DIR"
    mv -f "$tmp/minio" "$BIN.tmp.$$"
    mv -f "$BIN.tmp.$$" "$BIN"
    rm -rf "$tmp"
    exec 8>&-
    log "install (cold build) took $(elapsed "$t0") s -> $BIN"
}

do_start() {
    do_install
    mkdir -p "$RUN"
    exec 9>"$RUN/.lock"
    flock -w 120 9 || die "timed out waiting for the start/stop lock"
    if healthy; then
        log "already running and healthy on $ENDPOINT"
        return 0
    fi
    local pid t0
    if ! pid=$(our_pid); then
        if port_in_use "$PORT"; then
            die "port $PORT is in use by a process that is not healthy MinIO; not starting"
        fi
        if port_in_use "$CONSOLE_PORT"; then
            die "console port $CONSOLE_PORT is already in use; not starting"
        fi
        mkdir -p "$DATA"
        t0=$(now)
        : >"$LOG"
        # The sanitized env keeps deprecated/foreign MINIO_* client variables
        # (for example from `minio.sh env`) from overriding the root credentials.
        setsid nohup env -u MINIO_ACCESS_KEY -u MINIO_SECRET_KEY -u MINIO_REGION \
            MINIO_ROOT_USER="$ROOT_USER" MINIO_ROOT_PASSWORD="$ROOT_PASSWORD" \
            MINIO_SITE_REGION="$REGION" MINIO_UPDATE=off MINIO_BROWSER=on \
            MINIO_KMS_SECRET_KEY="$KMS_KEY" MINIO_API_DELETE_CLEANUP_INTERVAL=10s \
            bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
            "$BIN" server "$DATA" --address "$HOST:$PORT" --console-address "$HOST:$CONSOLE_PORT" \
            </dev/null >>"$LOG" 2>&1 8>&- 9>&- &
        # wait for the pid file (written by the child before exec)
        local i
        for i in $(seq 1 50); do
            pid=$(our_pid) && break
            sleep 0.1
        done
        [[ -n ${pid:-} ]] || { tail -n 40 "$LOG" >&2; die "MinIO did not start"; }
    else
        t0=$(now)
        log "MinIO (pid $pid) is running but not ready yet; waiting"
    fi
    local deadline
    deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until healthy; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 40 "$LOG" >&2
            die "MinIO (pid $pid) exited before becoming ready (log: $LOG)"
        fi
        if (( $(date +%s) >= deadline )); then
            tail -n 40 "$LOG" >&2
            die "MinIO not ready after ${READY_TIMEOUT}s (log: $LOG)"
        fi
        sleep 0.2
    done
    log "MinIO ready on $ENDPOINT (pid $pid); start-to-ready $(elapsed "$t0") s"
}

do_stop() {
    local pid i
    mkdir -p "$RUN"
    exec 9>"$RUN/.lock"
    flock -w 120 9 || die "timed out waiting for the start/stop lock"
    if ! pid=$(our_pid); then
        rm -f "$PIDFILE"
        if healthy; then
            log "a MinIO not started by this script answers on $ENDPOINT; leaving it alone"
        else
            log "not running"
        fi
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "MinIO (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$PIDFILE"
    log "stopped (pid $pid)"
}

do_status() {
    if healthy; then
        local pid
        pid=$(our_pid) || pid="not ours"
        log "healthy on $ENDPOINT (pid $pid)"
        return 0
    fi
    log "not healthy on $ENDPOINT"
    return 1
}

do_env() {
    cat <<EOF
export MINIO_ENDPOINT=$ENDPOINT
export MINIO_ACCESS_KEY=$ROOT_USER
export MINIO_SECRET_KEY=$ROOT_PASSWORD
export MINIO_REGION=$REGION
export MINIO_CONSOLE=http://$HOST:$CONSOLE_PORT
EOF
}

case ${1:-} in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    restart) do_stop; do_start ;;
    status) do_status ;;
    env) do_env ;;
    *) echo "usage: $0 {install|start|stop|status|env}" >&2; exit 2 ;;
esac
