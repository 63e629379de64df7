# Shell helpers the server and oracle scripts share. Sourced, not run: each script defines its own log() and
# die() (with its own prefix) before calling these.

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@";
    elif command -v sudo >/dev/null; then sudo "$@";
    else die "need root (or sudo) to run: $*"; fi
}

# A python3 with venv and ensurepip, at least 3.<minor>: the one named by OBJECTCOPY_PYTHON, else the first found.
pick_python() {
    local minor=$1 p
    for p in "${OBJECTCOPY_PYTHON:-}" python3 /usr/bin/python3; do
        [[ -n $p ]] || continue
        command -v "$p" >/dev/null || continue
        if "$p" -c "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, $minor))" 2>/dev/null; then
            command -v "$p"; return 0
        fi
    done
    return 1
}

# The pid of a component started by this script, from $PIDDIR/<name>.pid, only while that process is still the one
# the script started (its command line holds `comp_match <name>`, which each script defines).
comp_pid() {
    local f=$PIDDIR/$1.pid pid
    [[ -f $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$(comp_match "$1")" || return 1
    echo "$pid"
}

# apt-get install, running `apt-get update` once if a package is not known yet.
apt_install() {
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0)
    if ! as_root "${apt[@]}" install --no-install-recommends "$@" >&2; then
        log "apt-get install $* failed; running apt-get update once and retrying"
        as_root "${apt[@]}" update >&2
        as_root "${apt[@]}" install --no-install-recommends "$@" >&2
    fi
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Start component $1 as the command that follows, detached, its pid in $PIDDIR/$1.pid and its output in
# $LOGDIR/$1.log. The scripts' lock descriptors (7-9) are closed, so a server never holds a script's lock.
launch() {
    local c=$1 pidf=$PIDDIR/$1.pid
    shift
    rm -f "$pidf"
    setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidf" "$@" \
        </dev/null >>"$LOGDIR/$c.log" 2>&1 7>&- 8>&- 9>&- &
}

# The end of a Swift proxy config that both proxies share (tempauth's and Keystone's): memcache, versioning, and
# the middlewares that take no settings.
swift_proxy_common_filters() {
    cat <<EOF

[filter:cache]
use = egg:swift#memcache
memcache_servers = $HOST:$MEMCACHED_PORT

[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
EOF
    local n
    for n in catch_errors gatekeeper healthcheck listing_formats bulk copy slo dlo symlink; do
        printf '\n[filter:%s]\nuse = egg:swift#%s\n' "$n" "$n"
    done
    printf '\n[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n'
}
