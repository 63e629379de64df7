#!/usr/bin/env bash
# scripts/npm-cached.sh DIR - DIR/node_modules, installed from the npm registry once per distinct DIR/package.json
# (and per content of the `file:` tarballs it names) and kept in ${OBJECTCOPY_CACHE:-~/.cache/objectcopy}/npm;
# DIR/node_modules becomes a link to it. An npm install costs about a minute here, mostly the registry's latency;
# the SDK build and every TypeScript program the tests run would pay it each time.
set -euo pipefail
log() { printf '[npm-cached] %s\n' "$*" >&2; }
dir=$(realpath "$1")
[ -f "$dir/package.json" ] || { log "no package.json in $dir"; exit 1; }
cache_root="${OBJECTCOPY_CACHE:-$HOME/.cache/objectcopy}/npm"
# package.json with `file:` dependencies made absolute, and the digest of what they point at.
manifest=$(cd "$dir" && node -e '
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8")), hash = crypto.createHash("sha256");
    for (const field of ["dependencies", "devDependencies"]) {
        for (const [name, spec] of Object.entries(pkg[field] || {})) {
            if (!spec.startsWith("file:")) continue;
            const target = path.resolve(spec.slice(5));
            if (fs.statSync(target).isFile()) hash.update(fs.readFileSync(target));
            pkg[field][name] = "file:" + target;
        }
    }
    delete pkg.name; delete pkg.version; delete pkg.main;
    const text = JSON.stringify(pkg, null, 2);
    process.stdout.write(crypto.createHash("sha256").update(text).update(hash.digest()).digest("hex").slice(0, 16)
        + "\n" + text);')
key=${manifest%%$'\n'*}
target="$cache_root/$key"
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [ ! -f "$target/.complete" ]; then
    rm -rf "$target" && mkdir -p "$target"
    printf '%s\n' "${manifest#*$'\n'}" >"$target/package.json"
    t=$(date +%s)
    (cd "$target" && npm install --no-audit --no-fund --loglevel=error --prefer-offline >&2) ||
        { rm -rf "$target"; log "npm install failed for $dir/package.json"; exit 1; }
    touch "$target/.complete"
    log "installed $dir/package.json into $target in $(( $(date +%s) - t )) s"
fi
rm -rf "$dir/node_modules"
ln -s "$target/node_modules" "$dir/node_modules"
