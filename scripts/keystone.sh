#!/usr/bin/env bash
# OpenStack Keystone (identity v3, sqlite, fernet tokens) on 127.0.0.1:15000, plus a second Swift proxy on
# 127.0.0.1:18081 that authenticates with Keystone (keystonemiddleware authtoken + swift keystoneauth) in front of
# the storage servers and rings of scripts/swift-aio.sh (which this script starts, or reuses, first).
#
#   scripts/keystone.sh install   pip-install the pinned Keystone into a cached venv, keystonemiddleware into
#                                 Swift's venv (and Swift itself, via swift-aio.sh install)
#   scripts/keystone.sh start     install if needed, start (or reuse) Keystone, provision it, start the Swift AIO and
#                                 the Keystone-backed proxy, and wait until a v3 login + account HEAD on 18081 works
#   scripts/keystone.sh stop      stop Keystone and the Keystone-backed proxy (the Swift AIO is left running)
#   scripts/keystone.sh status    exit 0 if healthy
#   scripts/keystone.sh env       print the `export NAME=value` lines a Keystone v3 client needs
#
# Cache (venv):   ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/keystone/venv-<version>
# Runtime state:  ${OBJECTCOPY_RUN:-$OBJECTCOPY_CACHE/run}/keystone/{etc,db,log,pid}
#
# Keystone is served by a small threaded wsgiref runner (Keystone >= 2024.2 no longer ships keystone-wsgi-public).
# What it holds, all in domain Default and region RegionOne:
#   admin / oc-admin-pass   admin on project admin and on the system (keystone-manage bootstrap)
#   swift / oc-swift-pass   service role on project service (the proxy's authtoken service user)
#   oc-user / oc-pass       member on project objectcopy (the test user)
#   object-store service `swift`, public endpoint http://127.0.0.1:18081/v1/AUTH_$(project_id)s
# The proxy does not cache token validations (token_cache_time = -1), so a revoked token is refused at once.
set -euo pipefail

KEYSTONE_VERSION=30.0.0
KEYSTONEMIDDLEWARE_VERSION=13.0.1
# Resolved dependency set of keystone==30.0.0 (which pulls keystonemiddleware 13.0.1); also the constraints for
# installing keystonemiddleware into Swift's venv (the versions they share with Swift's own set agree).
KEYSTONE_CONSTRAINTS='
alembic==1.20.1
amqp==5.4.2
aniso8601==10.0.1
attrs==26.1.0
bcrypt==5.0.0
blinker==1.9.0
cachetools==8.0.0
certifi==2026.10.18
cffi==2.1.1
charset-normalizer==3.5.2
click==8.5.1
cryptography==50.0.2
debtcollector==3.1.0
decorator==5.3.1
defusedxml==0.7.1
dnspython==2.9.2
dogpile.cache==1.5.0
elementpath==4.8.0
eventlet==0.41.3
fasteners==0.20
Flask==3.1.3
Flask-RESTful==0.3.10
futurist==3.5.0
greenlet==3.5.6
idna==3.20
iso8601==2.1.0
itsdangerous==2.2.0
Jinja2==3.1.6
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
keystoneauth1==5.18.1
keystonemiddleware==13.0.1
kombu==5.7.0
Mako==1.4.3
MarkupSafe==3.0.4
msgpack==1.2.4
netaddr==1.3.0
oauthlib==4.0.1
os-service-types==1.9.0
oslo.cache==4.3.0
oslo.concurrency==7.6.1
oslo.config==10.7.0
oslo.context==6.5.0
oslo.db==18.1.1
oslo.i18n==6.9.0
oslo.log==8.3.2
oslo.messaging==18.3.1
oslo.metrics==0.17.0
oslo.middleware==8.2.0
oslo.policy==6.0.1
oslo.serialization==5.11.0
oslo.service==4.8.0
oslo.upgradecheck==2.8.0
oslo.utils==10.2.0
osprofiler==4.4.0
packaging==26.3
Paste==3.10.1
PasteDeploy==3.1.0
pbr==7.1.3
prettytable==3.18.0
prometheus_client==0.26.0
psutil==7.2.2
pycadf==4.1.0
pycparser==3.12
PyJWT==2.15.1
pyOpenSSL==26.4.0
pyparsing==3.3.3
pysaml2==7.5.5
python-dateutil==4.0.0
python-keystoneclient==6.0.0
pytz==2026.6
PyYAML==6.0.3
referencing==0.37.0
repoze-lru==0.8
requests==2.34.2
rfc3986==2.0.0
Routes==2.5.1
rpds-py==2026.9.1
six==1.17.0
SQLAlchemy==2.1.9
statsd==4.0.1
stevedore==5.10.0
testresources==2.1.2
testscenarios==0.7.0
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
vine==5.1.0
wcwidth==0.9.4
WebOb==1.8.11
Werkzeug==3.1.9
wrapt==2.5.2
xmlschema==2.5.1
yappi==1.7.6
'

HOST=127.0.0.1
KEYSTONE_PORT=15000
PROXY_PORT=18081
MEMCACHED_PORT=21211          # the Swift AIO's memcached (swift-aio.sh)
REGION=RegionOne
ADMIN_PASSWORD=oc-admin-pass
SERVICE_USER=swift
SERVICE_PASSWORD=oc-swift-pass
TEST_PROJECT=objectcopy
TEST_USER=oc-user
TEST_PASSWORD=oc-pass
READY_TIMEOUT=${OBJECTCOPY_READY_TIMEOUT:-60}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SWIFT_AIO=$HERE/swift-aio.sh
CACHE=${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}
RUN_ROOT=${OBJECTCOPY_RUN:-$CACHE/run}
B=$RUN_ROOT/keystone
VENV=$CACHE/keystone/venv-$KEYSTONE_VERSION
ETC=$B/etc
DB=$B/db
LOGDIR=$B/log
PIDDIR=$B/pid
KEYSTONE=http://$HOST:$KEYSTONE_PORT
AUTH_URL=$KEYSTONE/v3
PROXY=http://$HOST:$PROXY_PORT
# Swift's install and runtime state, as swift-aio.sh lays them out.
SWIFT_VERSION=$(sed -n 's/^SWIFT_VERSION=//p' "$SWIFT_AIO")
SWIFT_VENV=$CACHE/swift/venv-$SWIFT_VERSION
SWIFT_ETC=$RUN_ROOT/swift/etc
KSM_STAMP=.objectcopy-keystonemiddleware-version
CHANGED=()   # config files write_configs replaced, so their running server restarts

log() { printf '[keystone.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

swift_route() { cat "$CACHE/swift/route" 2>/dev/null || echo none; }

swift_bin() {
    case $(swift_route) in
        pip) echo "$SWIFT_VENV/bin" ;;
        apt) echo /usr/bin ;;
        *) return 1 ;;
    esac
}

keystone_ok() {
    [[ -x $VENV/bin/keystone-manage && $(cat "$VENV/.objectcopy-keystone-version" 2>/dev/null) == "$KEYSTONE_VERSION" ]]
}

ksm_ok() {
    case $(swift_route) in
        pip) [[ $(cat "$SWIFT_VENV/$KSM_STAMP" 2>/dev/null) == "$KEYSTONEMIDDLEWARE_VERSION" ]] ;;
        apt) /usr/bin/python3 -c 'import keystonemiddleware.auth_token' 2>/dev/null ;;
        *) return 1 ;;
    esac
}

install_keystone() {
    local py
    if ! py=$(pick_python 10); then
        log "no python3 (>= 3.10) with venv+ensurepip found; installing python3-venv (apt)"
        apt_install python3 python3-venv
        py=$(pick_python 10) || die "still no python3 >= 3.10 with venv+ensurepip"
    fi
    mkdir -p "$CACHE/keystone"
    # The version stamp is written last, so a half-finished venv is never taken as installed.
    rm -f "$VENV/.objectcopy-keystone-version"
    "$py" -m venv --clear "$VENV"
    printf '%s\n' "$KEYSTONE_CONSTRAINTS" >"$VENV/constraints.txt"
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
            -c "$VENV/constraints.txt" "keystone==$KEYSTONE_VERSION" >&2; then
        rm -rf "$VENV"; die "pip install keystone==$KEYSTONE_VERSION failed"
    fi
    echo "$KEYSTONE_VERSION" >"$VENV/.objectcopy-keystone-version"
}

# keystonemiddleware into Swift's own environment, under swift-aio.sh's install lock (it may recreate that venv).
install_ksm() {
    exec 7>"$CACHE/.swift-install.lock"
    flock -w 900 7 || die "timed out waiting for the Swift install lock"
    if ! ksm_ok; then
        case $(swift_route) in
            pip)
                log "installing keystonemiddleware==$KEYSTONEMIDDLEWARE_VERSION into $SWIFT_VENV"
                rm -f "$SWIFT_VENV/$KSM_STAMP"
                printf '%s\n' "$KEYSTONE_CONSTRAINTS" >"$SWIFT_VENV/keystone-constraints.txt"
                # Swift's own pins first, so nothing Swift runs on moves.
                "$SWIFT_VENV/bin/python" -m pip install -q --disable-pip-version-check \
                    -c "$SWIFT_VENV/constraints.txt" -c "$SWIFT_VENV/keystone-constraints.txt" \
                    "keystonemiddleware==$KEYSTONEMIDDLEWARE_VERSION" >&2 ||
                    die "pip install keystonemiddleware into $SWIFT_VENV failed"
                echo "$KEYSTONEMIDDLEWARE_VERSION" >"$SWIFT_VENV/$KSM_STAMP" ;;
            apt)
                log "installing Debian's python3-keystonemiddleware (Swift came from apt)"
                apt_install python3-keystonemiddleware ;;
            *) die "Swift is not installed (swift-aio.sh install did not record a route)" ;;
        esac
    fi
    exec 7>&-
}

do_install() {
    mkdir -p "$CACHE/keystone"
    bash "$SWIFT_AIO" install 8>&- 9>&-
    keystone_ok && ksm_ok && return 0
    exec 8>"$CACHE/.keystone-install.lock"
    flock -w 900 8 || die "timed out waiting for another install to finish"
    local t0
    t0=$(now)
    if ! keystone_ok; then
        log "installing keystone==$KEYSTONE_VERSION from PyPI into $VENV"
        install_keystone
    fi
    ksm_ok || install_ksm
    keystone_ok && ksm_ok || die "install finished but keystone/keystonemiddleware are not usable"
    exec 8>&-
    log "install took $(elapsed "$t0") s"
}

# --- configuration ----------------------------------------------------------------------------------------------
write_configs() {
    local tmp n
    mkdir -p "$ETC" "$DB" "$LOGDIR" "$PIDDIR"
    tmp=$(mktemp -d "$B/.cfg.XXXXXX")
    cat >"$tmp/keystone.conf" <<EOF
[DEFAULT]
public_endpoint = $KEYSTONE
debug = false

[database]
connection = sqlite:///$DB/keystone.db

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $ETC/fernet-keys

[fernet_receipts]
key_repository = $ETC/fernet-keys

[credential]
key_repository = $ETC/credential-keys

[identity]
# bcrypt's minimum cost: a login costs ~1 ms instead of ~250 ms (test server only)
password_hash_rounds = 4
EOF
    cat >"$tmp/keystone-serve.py" <<'EOF'
"""Serve Keystone's public WSGI app with the standard library: a thread per connection, HTTP/1.0."""
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

host, port, confdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.environ["OS_KEYSTONE_CONFIG_DIR"] = confdir
del sys.argv[1:]  # Keystone parses the command line with oslo.config

class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

class Handler(WSGIRequestHandler):
    def address_string(self):
        return self.client_address[0]

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
        sys.stderr.flush()

from keystone.server import wsgi  # noqa: E402  (after OS_KEYSTONE_CONFIG_DIR is set)

application = wsgi.initialize_public_application()
make_server(host, port, application, server_class=Server, handler_class=Handler).serve_forever()
EOF
    cat >"$tmp/proxy-server-keystone.conf" <<EOF
[DEFAULT]
bind_ip = $HOST
bind_port = $PROXY_PORT
swift_dir = $SWIFT_ETC
user = $(id -un)
workers = 0
log_name = proxy-server-keystone

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk authtoken keystoneauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $AUTH_URL
auth_url = $KEYSTONE
auth_type = password
username = $SERVICE_USER
password = $SERVICE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = $REGION
interface = public
delay_auth_decision = true
include_service_catalog = false
service_token_roles_required = true
# validate every token with Keystone: a revoked token is refused at once
token_cache_time = -1

[filter:keystoneauth]
use = egg:swift#keystoneauth
reseller_prefix = AUTH_
operator_roles = admin, member
reseller_admin_role = ResellerAdmin
EOF
    swift_proxy_common_filters >>"$tmp/proxy-server-keystone.conf"
    CHANGED=()
    for n in keystone.conf keystone-serve.py proxy-server-keystone.conf; do
        # only touch files that changed, so a running server's config is stable
        cmp -s "$tmp/$n" "$ETC/$n" 2>/dev/null || { mv -f "$tmp/$n" "$ETC/$n"; CHANGED+=("$n"); }
    done
    rm -rf "$tmp"
}

manage() {
    "$VENV/bin/keystone-manage" --config-file "$ETC/keystone.conf" "$@" >>"$LOGDIR/keystone-manage.log" 2>&1 ||
        { tail -n 30 "$LOGDIR/keystone-manage.log" >&2; die "keystone-manage $1 failed (log: $LOGDIR)"; }
}

# db_sync, key repositories and bootstrap; each is idempotent, and the stamp skips them all on later starts.
bootstrap() {
    local stamp=$DB/.bootstrapped-$KEYSTONE_VERSION t0
    mkdir -p "$ETC/fernet-keys" "$ETC/credential-keys"
    chmod 700 "$ETC/fernet-keys" "$ETC/credential-keys"   # Keystone warns about world-readable keys
    [[ -f $stamp && -s $DB/keystone.db ]] && return 0
    t0=$(now)
    manage db_sync
    manage fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
    manage credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
    manage bootstrap --bootstrap-username admin --bootstrap-password "$ADMIN_PASSWORD" \
        --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
        --bootstrap-admin-url "$AUTH_URL" --bootstrap-public-url "$AUTH_URL" \
        --bootstrap-internal-url "$AUTH_URL" --bootstrap-region-id "$REGION"
    touch "$stamp"
    log "db_sync + fernet/credential setup + bootstrap took $(elapsed "$t0") s"
}

provision_failed() { tail -n 20 "$LOGDIR/provision.log" >&2; die "provisioning Keystone failed (log: $LOGDIR)"; }

# Projects, users, roles and the object-store endpoint, through the v3 API as the bootstrap admin (idempotent).
provision() {
    KS_URL=$AUTH_URL KS_ADMIN_PASSWORD=$ADMIN_PASSWORD KS_REGION=$REGION \
    KS_SERVICE_USER=$SERVICE_USER KS_SERVICE_PASSWORD=$SERVICE_PASSWORD \
    KS_TEST_PROJECT=$TEST_PROJECT KS_TEST_USER=$TEST_USER KS_TEST_PASSWORD=$TEST_PASSWORD \
    KS_SWIFT_URL="$PROXY/v1/AUTH_\$(project_id)s" \
    "$VENV/bin/python" - <<'EOF' >>"$LOGDIR/provision.log" 2>&1 || provision_failed
import json
import os
import urllib.error
import urllib.request

E = os.environ
BASE = E["KS_URL"]

def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
            return resp.status, resp.headers, (json.loads(data) if data else {})
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, e.headers, {}
        raise SystemExit(f"{method} {path}: {e.code} {e.read()[:300]!r}")

def login(user, password, scope):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": password, "domain": {"id": "default"}}}}}}
    if scope:
        body["auth"]["scope"] = scope
    try:
        return call("POST", "/auth/tokens", body, ok=())[1]["X-Subject-Token"]
    except SystemExit:
        return None

T = login("admin", E["KS_ADMIN_PASSWORD"], {"system": {"all": True}})
assert T, "admin login failed"

def find(kind, **query):
    qs = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in query.items())
    return call("GET", f"/{kind}?{qs}", token=T)[2][kind]

def ensure(kind, one, attrs, **query):
    found = find(kind, **query)
    if found:
        return found[0]["id"]
    print("creating", one, attrs)
    return call("POST", f"/{kind}", {one: attrs}, token=T)[2][one]["id"]

def ensure_user(name, password, project_id):
    uid = ensure("users", "user", {"name": name, "password": password, "domain_id": "default",
                                   "default_project_id": project_id, "enabled": True},
                 name=name, domain_id="default")
    if not login(name, password, None):  # only reset a wrong password: a change revokes the user's tokens
        print("resetting the password of", name)
        call("PATCH", f"/users/{uid}", {"user": {"password": password, "enabled": True}}, token=T)
    return uid

roles = {r: ensure("roles", "role", {"name": r}, name=r) for r in ("admin", "member", "reader", "service")}
service_project = ensure("projects", "project", {"name": "service", "domain_id": "default"},
                         name="service", domain_id="default")
test_project = ensure("projects", "project", {"name": E["KS_TEST_PROJECT"], "domain_id": "default"},
                      name=E["KS_TEST_PROJECT"], domain_id="default")
swift_user = ensure_user(E["KS_SERVICE_USER"], E["KS_SERVICE_PASSWORD"], service_project)
test_user = ensure_user(E["KS_TEST_USER"], E["KS_TEST_PASSWORD"], test_project)
call("PUT", f"/projects/{service_project}/users/{swift_user}/roles/{roles['service']}", token=T)
call("PUT", f"/projects/{test_project}/users/{test_user}/roles/{roles['member']}", token=T)

svc = ensure("services", "service", {"type": "object-store", "name": "swift",
                                     "description": "Swift (objectcopy tests)"}, type="object-store")
url = E["KS_SWIFT_URL"]
eps = find("endpoints", service_id=svc, interface="public", region_id=E["KS_REGION"])
if not eps:
    print("creating the object-store endpoint", url)
    call("POST", "/endpoints", {"endpoint": {"service_id": svc, "interface": "public",
                                             "region_id": E["KS_REGION"], "url": url}}, token=T)
elif eps[0]["url"] != url:
    print("updating the object-store endpoint", eps[0]["url"], "->", url)
    call("PATCH", f"/endpoints/{eps[0]['id']}", {"endpoint": {"url": url}}, token=T)
print("provisioned")
EOF
}

# --- processes --------------------------------------------------------------------------------------------------
comp_match() {
    case $1 in
        keystone) echo "$ETC/keystone-serve.py" ;;
        proxy) echo "$ETC/proxy-server-keystone.conf" ;;
    esac
}

comp_port() { case $1 in keystone) echo $KEYSTONE_PORT ;; proxy) echo $PROXY_PORT ;; esac; }

comp_configs() {
    case $1 in keystone) echo "keystone.conf keystone-serve.py" ;; proxy) echo proxy-server-keystone.conf ;; esac
}

stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
}

start_comp() {
    local c=$1 pid f
    if pid=$(comp_pid "$c"); then
        for f in $(comp_configs "$c"); do
            if [[ " ${CHANGED[*]} " == *" $f "* ]]; then
                log "restarting $c (pid $pid): $f changed"
                stop_pid "$pid"
                break
            fi
        done
        comp_pid "$c" >/dev/null && return 0   # already running (possibly still starting up)
    fi
    port_in_use "$(comp_port "$c")" &&
        die "port $(comp_port "$c") ($c) is in use by a process this script did not start; stop it first"
    case $c in
        keystone) launch keystone "$VENV/bin/python" "$ETC/keystone-serve.py" "$HOST" "$KEYSTONE_PORT" "$ETC" ;;
        proxy) launch proxy "$(swift_bin)/swift-proxy-server" "$ETC/proxy-server-keystone.conf" -v ;;
    esac
}

# Wait until "$2" succeeds, failing early if component $1 dies.
wait_for() {
    local c=$1 check=$2 deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until $check; do
        if ! comp_pid "$c" >/dev/null; then
            sleep 0.3
            comp_pid "$c" >/dev/null || { tail_log "$c"; die "$c exited before it became ready (logs: $LOGDIR)"; }
        fi
        if (( $(date +%s) >= deadline )); then
            tail_log "$c"
            die "$c not ready after ${READY_TIMEOUT}s (logs: $LOGDIR)"
        fi
        sleep 0.2
    done
}

tail_log() {
    [[ -s $LOGDIR/$1.log ]] || return 0
    printf -- '--- %s ---\n' "$LOGDIR/$1.log" >&2
    tail -n 30 "$LOGDIR/$1.log" >&2
}

# --- health -----------------------------------------------------------------------------------------------------
keystone_up() { curl -fsS -o /dev/null --max-time 2 "$AUTH_URL" 2>/dev/null; }

# A v3 password login as the test user; prints "<token> <object-store public URL>".
test_login() {
    local body out token url
    body=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{%s}}},"scope":{"project":{%s}}}}' \
        "\"name\":\"$TEST_USER\",\"password\":\"$TEST_PASSWORD\",\"domain\":{\"name\":\"Default\"}" \
        "\"name\":\"$TEST_PROJECT\",\"domain\":{\"name\":\"Default\"}")
    out=$(curl -fsS -D - --max-time 5 -H 'Content-Type: application/json' -d "$body" "$AUTH_URL/auth/tokens" \
        2>/dev/null) || return 1
    token=$(printf '%s' "$out" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token" {print $2}')
    url=$(printf '%s' "$out" | grep -o "http://$HOST:$PROXY_PORT/v1/AUTH_[0-9a-f]*" | head -n 1)
    [[ -n $token && -n $url ]] || return 1
    echo "$token $url"
}

proxy_ok() {
    local tu
    curl -fsS -o /dev/null --max-time 2 "$PROXY/healthcheck" 2>/dev/null || return 1
    tu=$(test_login) || return 1
    curl -fsS -o /dev/null -I --max-time 5 -H "X-Auth-Token: ${tu%% *}" "${tu#* }" 2>/dev/null
}

healthy() { keystone_up && proxy_ok; }

# --- commands ---------------------------------------------------------------------------------------------------
do_start() {
    do_install
    mkdir -p "$B"
    exec 9>"$B/.lock"
    flock -w 120 9 || die "timed out waiting for the start/stop lock"
    if healthy; then
        log "already running and healthy: Keystone $AUTH_URL, Swift (Keystone auth) $PROXY"
        return 0
    fi
    local t0 t1
    t0=$(now)
    write_configs
    bootstrap
    t1=$(now)
    start_comp keystone
    wait_for keystone keystone_up
    log "Keystone ready on $AUTH_URL; start-to-ready $(elapsed "$t1") s"
    provision
    bash "$SWIFT_AIO" start 9>&-
    t1=$(now)
    start_comp proxy
    wait_for proxy proxy_ok
    log "Swift proxy with Keystone auth ready on $PROXY; start-to-ready $(elapsed "$t1") s (all: $(elapsed "$t0") s)"
}

do_stop() {
    local c pid pids=() i alive
    mkdir -p "$B"
    exec 9>"$B/.lock"
    flock -w 120 9 || die "timed out waiting for the start/stop lock"
    for c in proxy keystone; do
        if pid=$(comp_pid "$c"); then
            kill "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for i in $(seq 1 100); do
        alive=0
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
    rm -f "$PIDDIR"/*.pid 2>/dev/null || true
    if (( ${#pids[@]} )); then log "stopped ${#pids[@]} processes (${pids[*]})"; else log "not running"; fi
}

do_status() {
    if healthy; then
        log "healthy: Keystone $AUTH_URL, Swift (Keystone auth) $PROXY"
        return 0
    fi
    log "not healthy (Keystone $AUTH_URL, Swift proxy $PROXY)"
    return 1
}

do_env() {
    cat <<EOF
unset ST_AUTH ST_USER ST_KEY
export OS_AUTH_URL=$AUTH_URL
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=$TEST_USER
export OS_PASSWORD=$TEST_PASSWORD
export OS_PROJECT_NAME=$TEST_PROJECT
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$REGION
export OS_INTERFACE=public
export KEYSTONE_ADMIN_USER=admin
export KEYSTONE_ADMIN_PASSWORD=$ADMIN_PASSWORD
export SWIFT_KEYSTONE_PROXY=$PROXY
EOF
}

case ${1:-} in
    install) do_install ;;
    start) do_start ;;
    stop) do_stop ;;
    restart) do_stop; do_start ;;
    status) do_status ;;
    env) do_env ;;
    *) echo "usage: $0 {install|start|stop|restart|status|env}" >&2; exit 2 ;;
esac
