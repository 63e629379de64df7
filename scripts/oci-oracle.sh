#!/usr/bin/env bash
# The OCI Python SDK as a test oracle, in its own cached venv (it is ~575 MB installed, so it stays
# out of .venv and out of the package's extras). Idempotent; the second run only checks a stamp.
#
#   bash scripts/oci-oracle.sh      install if needed; the LAST stdout line is the venv's python
#
# Cache (venv): ${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/oracles/oci-venv
# Used by tests/unit/test_oci_signer.py, which runs tests/oracles/oci_oracle.py with that python.
set -euo pipefail

OCI_VERSION=2.189.0
# Resolved dependency set of oci==2.189.0 (all wheels, nothing compiles), so the oracle cannot drift.
OCI_CONSTRAINTS='
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiosignal==1.4.0
asn1crypto==1.5.1
attrs==26.1.0
certifi==2026.10.18
cffi==2.1.1
circuitbreaker==2.1.3
crc32c==2.8
cryptography==50.0.2
frozenlist==1.8.0
idna==3.20
multidict==7.2.1
propcache==0.5.4
pycparser==3.12
PyJWT==2.15.1
pyOpenSSL==26.4.0
python-dateutil==2.9.0.post0
python-pkcs11==0.9.4
pytz==2026.6
six==1.17.0
typing_extensions==4.16.0
urllib3==2.8.0
yarl==1.25.1
'

CACHE=${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}
VENV=$CACHE/oracles/oci-venv
STAMP=$VENV/.objectcopy-oci-stamp
WANT=$(printf '%s\n%s' "$OCI_VERSION" "$OCI_CONSTRAINTS" | sha256sum | cut -c1-16)

log() { printf '[oci-oracle.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

installed() {
    [[ -x $VENV/bin/python && $(cat "$STAMP" 2>/dev/null) == "$WANT" ]]
}

if ! installed; then
    mkdir -p "$CACHE/oracles"
    # Parallel test runs share the cache: one installs, the others wait and then find the stamp.
    exec 9>"$CACHE/oracles/.oci-install.lock"
    flock -w 900 9 || die "timed out waiting for another oci-oracle.sh install"
    if ! installed; then
        py=$(pick_python 9) || die "need python3 >= 3.9 with venv and ensurepip (apt-get install python3-venv)"
        start=$(date +%s)
        log "installing oci==$OCI_VERSION into $VENV (about 575 MB; once)"
        # The stamp is written last, so a half-finished venv is never taken as installed.
        rm -f "$STAMP"
        "$py" -m venv --clear "$VENV" >&2
        printf '%s\n' "$OCI_CONSTRAINTS" >"$VENV/constraints.txt"
        if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
                -c "$VENV/constraints.txt" "oci==$OCI_VERSION" >&2; then
            rm -rf "$VENV"; die "pip install oci==$OCI_VERSION failed"
        fi
        "$VENV/bin/python" -c 'import oci.signer' || { rm -rf "$VENV"; die "oci installed but does not import"; }
        echo "$WANT" >"$STAMP"
        log "installed in $(( $(date +%s) - start )) s"
    fi
    exec 9>&-
fi
echo "$VENV/bin/python"
