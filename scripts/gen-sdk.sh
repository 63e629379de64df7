#!/usr/bin/env bash
# scripts/gen-sdk.sh [OUT] - the provider plugin's SDKs, generated from its schema by Pulumi's own code generator
# (scripts/sdkgen, built by scripts/pulumi-cli.sh) and built:
#   OUT/schema.json                   the schema, as `pulumi package get-schema` reads it from the plugin
#   OUT/nodejs                        the npm package @objectcopy/pulumi, compiled with tsc into OUT/nodejs/bin
#   OUT/objectcopy-pulumi-VERSION.tgz that package, packed (what a TypeScript program installs)
#   OUT/go                            the Go SDK, compiled (`go build`), module github.com/objectcopy/pulumi-objectcopy/sdk
# C# is not generated: its generator lives in pulumi-dotnet's language host, which the Go module proxy refuses.
# OUT defaults to sdk/ (git-ignored). The plugin is the one in .venv (OBJECTCOPY_VENV to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '[gen-sdk] %s\n' "$*" >&2; }
OUT=$(realpath -m "${1:-sdk}")
VENV=$(realpath "${OBJECTCOPY_VENV:-.venv}")
BIN=$(bash scripts/pulumi-cli.sh | tail -1)
export PATH="$BIN:$VENV/bin:/usr/local/go/bin:$PATH" PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_HOME="${PULUMI_HOME:-$OUT/.pulumi-home}"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw -buildvcs=false"
command -v pulumi-sdkgen >/dev/null || { log "pulumi-sdkgen is not beside $BIN/pulumi: build it with" \
    "'cd scripts/sdkgen && go build -o $BIN/pulumi-sdkgen .' (scripts/pulumi-cli.sh does in its own bin dir)"; exit 1; }
plugin=$(command -v pulumi-resource-objectcopy) || { log "pulumi-resource-objectcopy is not in $VENV/bin"; exit 1; }
mkdir -p "$OUT"
start=$(date +%s)

pulumi package get-schema "$plugin" >"$OUT/schema.json"
version=$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$OUT/schema.json")
pulumi-sdkgen -schema "$OUT/schema.json" -out "$OUT" -lang nodejs,go >&2

# TypeScript: version in, compile, and pack what `pulumi package gen-sdk` users publish (bin/, with package.json:
# utilities.ts reads it at run time).
(
    cd "$OUT/nodejs"
    sed -i "s/\${VERSION}/$version/" package.json
    bash "$ROOT/scripts/npm-cached.sh" .
    node_modules/.bin/tsc
    cp package.json README.md bin/
    rm -f "$OUT"/objectcopy-pulumi-*.tgz
    npm pack ./bin --pack-destination "$OUT" --loglevel=error >/dev/null
)
log "nodejs: @objectcopy/pulumi $version built: $(ls "$OUT"/objectcopy-pulumi-*.tgz)"

# Go: a module at OUT holding OUT/go/objectcopy (the schema's importBasePath), compiled.
(
    cd "$OUT"
    rm -f go.mod go.sum
    go mod init github.com/objectcopy/pulumi-objectcopy/sdk >/dev/null 2>&1
    go get github.com/pulumi/pulumi/sdk/v3@v3.259.0 >/dev/null 2>&1
    go build -mod=mod ./go/...   # -mod=mod, not `go mod tidy`: tidy would fetch every dependency's test-only modules
    go vet -mod=mod ./go/...
)
log "go: github.com/objectcopy/pulumi-objectcopy/sdk/go/objectcopy compiled"
log "done in $(( $(date +%s) - start )) s: $OUT"
