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
