#!/usr/bin/env bash
# OpenStack Swift all-in-one (proxy + account/container/object + memcached) on
# loopback, with s3api, tempauth, copy, slo, dlo, versioned_writes and symlink.
#
#   scripts/swift-aio.sh install   pip-install the pinned Swift into a cached venv, apt-install memcached
#   scripts/swift-aio.sh start     install if needed, start (or reuse) and wait until ready
#   scripts/swift-aio.sh stop      stop the processes started by this script
#   scripts/swift-aio.sh status    exit 0 if healthy (healthchecks + tempauth login + account HEAD)
#   scripts/swift-aio.sh env       print the `export NAME=value` lines clients need
#
# Cache (venv):   ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/swift/venv-<version>
# Runtime state:  ${OBJECTCOPY_RUN:-$OBJECTCOPY_CACHE/run}/swift/{etc,srv,log,pid}
# Install route:  OBJECTCOPY_SWIFT_FROM=pip (default; falls back to apt if pip fails) or apt.
set -euo pipefail

SWIFT_VERSION=2.38.3
# Resolved dependency set of swift==2.38.3 (pyeclib ships a manylinux wheel, so nothing compiles).
SWIFT_CONSTRAINTS='
certifi==2026.10.18
cffi==2.1.1
charset-normalizer==3.5.2
cryptography==50.0.2
dnspython==2.9.2
eventlet==0.41.3
greenlet==3.5.6
idna==3.20
lxml==6.1.3
PasteDeploy==3.1.0
pycparser==3.12
pyeclib==1.8.0
requests==2.34.2
urllib3==2.8.0
xattr==1.3.0
'

HOST=127.0.0.1
PROXY_PORT=18080
OBJECT_PORT=16010
CONTAINER_PORT=16011
ACCOUNT_PORT=16012
MEMCACHED_PORT=21211
REGION=us-east-1
READY_TIMEOUT=${OBJECTCOPY_READY_TIMEOUT:-60}

CACHE=${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}
RUN_ROOT=${OBJECTCOPY_RUN:-$CACHE/run}
B=$RUN_ROOT/swift
VENV=$CACHE/swift/venv-$SWIFT_VERSION
ROUTE_FILE=$CACHE/swift/route
ETC=$B/etc
SRV=$B/srv
LOGDIR=$B/log
PIDDIR=$B/pid
PROXY=http://$HOST:$PROXY_PORT
AUTH_URL=$PROXY/auth/v1.0

log() { printf '[swift-aio.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

route() { if [[ -f $ROUTE_FILE ]]; then cat "$ROUTE_FILE"; else echo none; fi; }

# Directory holding swift-*-server and swift-ring-builder for the installed route.
swift_bin() {
    case $(route) in
        pip) echo "$VENV/bin" ;;
        apt) echo /usr/bin ;;
        *) return 1 ;;
    esac
}

swift_python() {
    case $(route) in
        pip) echo "$VENV/bin/python" ;;
        *) echo /usr/bin/python3 ;;
    esac
}

pip_ok() {
    [[ -x $VENV/bin/swift-proxy-server && $(cat "$VENV/.objectcopy-swift-version" 2>/dev/null) == "$SWIFT_VERSION" ]]
}

apt_ok() { [[ -x /usr/bin/swift-proxy-server ]] && /usr/bin/python3 -c 'import swift' 2>/dev/null; }

installed() {
    command -v memcached >/dev/null || return 1
    case $(route) in
        pip) pip_ok && [[ ${OBJECTCOPY_SWIFT_FROM:-pip} == pip ]] ;;
        apt) apt_ok && [[ ${OBJECTCOPY_SWIFT_FROM:-apt} == apt ]] ;;
        *) return 1 ;;
    esac
}

install_pip() {
    local py
    if ! py=$(pick_python 8); then
        log "no python3 with venv+ensurepip found; installing python3-venv (apt)"
        apt_install python3 python3-venv || return 1
        py=$(pick_python 8) || { log "still no python3 with venv+ensurepip"; return 1; }
    fi
    mkdir -p "$CACHE/swift"
    # The version stamp is written last, so a half-finished venv is never taken as installed.
    rm -f "$VENV/.objectcopy-swift-version"
    "$py" -m venv --clear "$VENV" || return 1
    printf '%s\n' "$SWIFT_CONSTRAINTS" >"$VENV/constraints.txt"
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
            -c "$VENV/constraints.txt" "swift==$SWIFT_VERSION" >&2; then
        rm -rf "$VENV"; return 1
    fi
    echo "$SWIFT_VERSION" >"$VENV/.objectcopy-swift-version"
    echo pip >"$ROUTE_FILE"
}

install_apt() {
    apt_install swift swift-proxy swift-account swift-container swift-object
    echo apt >"$ROUTE_FILE"
}

do_install() {
    mkdir -p "$CACHE/swift"
    installed && return 0
    exec 8>"$CACHE/.swift-install.lock"
    flock -w 900 8 || die "timed out waiting for another install to finish"
    if installed; then exec 8>&-; return 0; fi
    local t0 want
    t0=$(now)
    want=${OBJECTCOPY_SWIFT_FROM:-pip}
    if ! command -v memcached >/dev/null; then
        log "installing memcached (apt)"
        apt_install memcached
    fi
    case $want in
        pip)
            if pip_ok; then
                echo pip >"$ROUTE_FILE"
            else
                log "installing swift==$SWIFT_VERSION from PyPI into $VENV"
                if ! install_pip; then
                    log "pip install of swift failed; falling back to Debian's swift packages"
                    install_apt
                fi
            fi ;;
        apt)
            if apt_ok; then
                echo apt >"$ROUTE_FILE"
            else
                log "installing Debian's swift packages"
                install_apt
            fi ;;
        *) die "OBJECTCOPY_SWIFT_FROM must be pip or apt" ;;
    esac
    installed || die "install finished but swift/memcached are not usable"
    exec 8>&-
    log "install ($(route)) took $(elapsed "$t0") s"
}

check_xattr() {
    "$(swift_python)" - "$1" <<'EOF' || die "$1 does not support user xattrs, which Swift needs (set OBJECTCOPY_RUN to a directory on ext4/xfs/btrfs)"
import os, sys
p = os.path.join(sys.argv[1], ".xattr-check")
with open(p, "w") as f:
    f.write("x")
try:
    os.setxattr(p, "user.swift.metadata", b"x" * 512)
    assert os.getxattr(p, "user.swift.metadata") == b"x" * 512
finally:
    os.unlink(p)
EOF
}

write_configs() {
    local user n port tmp
    user=$(id -un)
    mkdir -p "$ETC" "$SRV/d1" "$LOGDIR" "$PIDDIR"
    tmp=$(mktemp -d "$B/.cfg.XXXXXX")
    cat >"$tmp/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = aio-test-suffix
swift_hash_path_prefix = aio-test-prefix

[storage-policy:0]
name = Policy-0
default = yes
EOF
    for n in object container account; do
        case $n in object) port=$OBJECT_PORT ;; container) port=$CONTAINER_PORT ;; account) port=$ACCOUNT_PORT ;; esac
        cat >"$tmp/$n-server.conf" <<EOF
[DEFAULT]
bind_ip = $HOST
bind_port = $port
devices = $SRV
mount_check = false
swift_dir = $ETC
user = $user
workers = 0
log_name = $n-server

[pipeline:main]
pipeline = healthcheck $n-server

[app:$n-server]
use = egg:swift#$n

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
    done
    cat >"$tmp/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $HOST
bind_port = $PROXY_PORT
swift_dir = $ETC
user = $user
workers = 0
log_name = proxy-server

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin

[filter:s3api]
use = egg:swift#s3api
location = $REGION
min_segment_size = 1
EOF
    swift_proxy_common_filters >>"$tmp/proxy-server.conf"
    for n in swift.conf object-server.conf container-server.conf account-server.conf proxy-server.conf; do
        # only touch files that changed, so a running server's config is stable
        cmp -s "$tmp/$n" "$ETC/$n" 2>/dev/null || mv -f "$tmp/$n" "$ETC/$n"
    done
    rm -rf "$tmp"
}

build_rings() {
    local n port rb
    rb="$(swift_bin)/swift-ring-builder"
    for n in object container account; do
        [[ -s $ETC/$n.ring.gz ]] && continue
        case $n in object) port=$OBJECT_PORT ;; container) port=$CONTAINER_PORT ;; account) port=$ACCOUNT_PORT ;; esac
        rm -f "$ETC/$n.builder"
        (cd "$ETC" &&
            "$rb" "$n.builder" create 8 1 1 &&
            "$rb" "$n.builder" add "r1z1-$HOST:$port/d1" 100 &&
            "$rb" "$n.builder" rebalance) >"$LOGDIR/ring-$n.log" 2>&1 ||
            { cat "$LOGDIR/ring-$n.log" >&2; die "swift-ring-builder failed for $n"; }
    done
}

# PID of component $1 from its pid file, if that process is still alive and ours.

comp_match() {
    case $1 in
        memcached) echo "-p $MEMCACHED_PORT" ;;
        *) echo "$ETC/$1-server.conf" ;;
    esac
}

comp_port() {
    case $1 in
        memcached) echo $MEMCACHED_PORT ;;
        object) echo $OBJECT_PORT ;;
        container) echo $CONTAINER_PORT ;;
        account) echo $ACCOUNT_PORT ;;
        proxy) echo $PROXY_PORT ;;
    esac
}

healthcheck_ok() {
    local p
    for p in $OBJECT_PORT $CONTAINER_PORT $ACCOUNT_PORT $PROXY_PORT; do
        curl -fsS -o /dev/null --max-time 2 "http://$HOST:$p/healthcheck" 2>/dev/null || return 1
    done
}

# Real tempauth login, then HEAD of the returned storage URL.
login_ok() {
    local hdrs token url
    hdrs=$(curl -fsS -o /dev/null -D - --max-time 5 \
        -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' "$AUTH_URL" 2>/dev/null) || return 1
    token=$(printf '%s' "$hdrs" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-auth-token" {print $2}')
    url=$(printf '%s' "$hdrs" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-storage-url" {print $2}')
    [[ -n $token && -n $url ]] || return 1
    curl -fsS -o /dev/null -I --max-time 5 -H "X-Auth-Token: $token" "$url" 2>/dev/null
}

healthy() { healthcheck_ok && login_ok; }

tail_logs() {
    local c
    for c in memcached account container object proxy; do
        [[ -s $LOGDIR/$c.log ]] || continue
        printf -- '--- %s ---\n' "$LOGDIR/$c.log" >&2
        tail -n 20 "$LOGDIR/$c.log" >&2
    done
}

do_start() {
    do_install
    mkdir -p "$B"
    exec 9>"$B/.lock"
    flock -w 120 9 || die "timed out waiting for the start/stop lock"
    if healthy; then
        log "already running and healthy on $PROXY"
        return 0
    fi
    local t0 c bin
    t0=$(now)
    bin=$(swift_bin)
    write_configs
    check_xattr "$SRV/d1"
    build_rings
    local todo=()
    for c in memcached account container object proxy; do
        if comp_pid "$c" >/dev/null; then
            continue   # already running (possibly still starting up)
        fi
        if port_in_use "$(comp_port "$c")"; then
            die "port $(comp_port "$c") ($c) is in use by a process this script did not start; stop it first"
        fi
        todo+=("$c")
    done
    for c in "${todo[@]}"; do
        case $c in
            memcached) launch memcached memcached -l "$HOST" -p "$MEMCACHED_PORT" -U 0 -m 32 -u "$(id -un)" ;;
            *) launch "$c" "$bin/swift-$c-server" "$ETC/$c-server.conf" -v ;;
        esac
    done
    local deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until healthy; do
        for c in memcached account container object proxy; do
            if ! comp_pid "$c" >/dev/null; then
                # give the child a moment to write its pid file before declaring it dead
                sleep 0.3
                comp_pid "$c" >/dev/null || { tail_logs; die "$c exited before Swift became ready (logs: $LOGDIR)"; }
            fi
        done
        if (( $(date +%s) >= deadline )); then
            tail_logs
            die "Swift not ready after ${READY_TIMEOUT}s (logs: $LOGDIR)"
        fi
        sleep 0.2
    done
    log "Swift ready on $PROXY (route $(route), $(swift_bin)); config + start-to-ready $(elapsed "$t0") s"
}

do_stop() {
    local c pid pids=() i
    mkdir -p "$B"
    exec 9>"$B/.lock"
    flock -w 120 9 || die "timed out waiting for the start/stop lock"
    for c in proxy object container account memcached; do
        if pid=$(comp_pid "$c"); then
            kill "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for i in $(seq 1 100); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${pids[@]}"; do
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -f "$PIDDIR"/*.pid 2>/dev/null || true
    if (( ${#pids[@]} )); then log "stopped ${#pids[@]} processes (${pids[*]})"; else log "not running"; fi
}

do_status() {
    if healthy; then
        log "healthy on $PROXY"
        return 0
    fi
    log "not healthy on $PROXY"
    return 1
}

do_env() {
    cat <<EOF
export ST_AUTH=$AUTH_URL
export ST_USER=test:tester
export ST_KEY=testing
export SWIFT_USER2=test2:tester2
export SWIFT_KEY2=testing2
export SWIFT_S3_ENDPOINT=$PROXY
export SWIFT_S3_ACCESS_KEY=test:tester
export SWIFT_S3_SECRET_KEY=testing
export SWIFT_S3_REGION=$REGION
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
