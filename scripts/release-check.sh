#!/usr/bin/env bash
# What a release ships, checked as a user gets it: packs every published
# package from a clean build (prepack builds), lints each tarball (publint,
# and attw with the ESM-only profile), installs the tarballs with npm into a
# fresh app outside the workspace together with the newest version of each
# peer that the packages' ranges allow (failing on any peer warning, then
# adding TypeScript as a second `npm install -D`, as a user would),
# typechecks the app with `skipLibCheck: false` on the newest TypeScript and
# on 5.9, runs each package README's install line and examples in an app of
# its own, and runs the root README's examples (embedded, then Postgres +
# Redis) and the Postgres driver fault check on the project's Node and on
# the oldest Node the packages declare (when the machine has it).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
PNPM="npx -y pnpm@10.34.8"
node24="$root/node_modules/.bin/node"
packages="core memory testing postgres redis http"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "release: packing from a clean build"
for pkg in $packages; do rm -rf "packages/$pkg/dist"; done
for pkg in $packages; do
  (cd "packages/$pkg" && $PNPM pack --pack-destination "$work/tarballs" >/dev/null 2>&1)
done
for tarball in "$work"/tarballs/*.tgz; do
  tar tzf "$tarball" >"$work/listing"
  grep -qx 'package/dist/index.js' "$work/listing" || { echo "release: $(basename "$tarball") has no dist/index.js"; exit 1; }
  grep -qx 'package/LICENSE' "$work/listing" || { echo "release: $(basename "$tarball") has no LICENSE"; exit 1; }
  $PNPM exec publint --strict "$tarball" >/dev/null || { $PNPM exec publint --strict "$tarball"; exit 1; }
  $PNPM exec attw "$tarball" --profile esm-only --format ascii >/dev/null || { $PNPM exec attw "$tarball" --profile esm-only; exit 1; }
done
echo "release: $(ls "$work"/tarballs | wc -l) tarballs pass publint and attw (esm-only)"

# Every peer the packed packages declare (other than each other), as the intersection of their ranges:
# npm installs the newest version inside it, which is what a user gets today.
peers="$(
  "$node24" -e '
    const { execFileSync } = require("node:child_process")
    const ranges = new Map()
    for (const tarball of process.argv.slice(1)) {
      const manifest = JSON.parse(execFileSync("tar", ["xzOf", tarball, "package/package.json"], { encoding: "utf8" }))
      for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
        if (name.startsWith("@boxoffice/")) continue
        ranges.set(name, [...new Set([...(ranges.get(name) ?? []), range])])
      }
    }
    console.log([...ranges].map(([name, list]) => `${name}@${list.join(" ")}`).join("\n"))
  ' "$work"/tarballs/*.tgz
)"
echo "release: peers, newest in range: $(echo "$peers" | tr '\n' ' ')"

# npm's output on stdout and stderr, failing on any warning about peers (an overridden or conflicting
# peer, ERESOLVE) and on any error.
npm_checked() {
  local log="$work/npm.log"
  if ! npm "$@" --no-audit --no-fund --loglevel=warn >"$log" 2>&1; then
    cat "$log"; echo "release: npm $1 failed"; exit 1
  fi
  if grep -iE "peer|ERESOLVE" "$log"; then echo "release: npm $* warned about peers"; exit 1; fi
}

echo "release: installing the tarballs into a fresh app with npm"
cp -r scripts/consumer "$work/app"
"$node24" scripts/readme-block.mjs README.md "<!-- embedding-example -->" >"$work/app/example.ts"
"$node24" scripts/readme-block.mjs README.md "<!-- production-example -->" >"$work/app/production.ts"
(
  cd "$work/app"
  mapfile -t peer_specs <<<"$peers"
  npm_checked install "$work"/tarballs/*.tgz "${peer_specs[@]}" @types/node@24
  # A user adds TypeScript afterwards; it must install beside the peers without a conflict.
  npm_checked install --save-dev typescript
  npm ls --all >"$work/tree" 2>&1 || { grep -E "invalid|missing|UNMET" "$work/tree"; echo "release: npm ls found a broken tree"; exit 1; }
  echo "release: installed $(npm ls --depth=0 --parseable 2>/dev/null | sed 's|.*/node_modules/||' | grep -vE '^/' | tr '\n' ' ')"
  # The public types compile with nothing skipped: no optional driver's types (drizzle's gel, mysql2, …) may be reached.
  "$node24" node_modules/typescript/bin/tsc -p . || { echo "release: the app does not compile with skipLibCheck: false"; exit 1; }
  echo "release: the app compiles with skipLibCheck: false on TypeScript $("$node24" node_modules/typescript/bin/tsc --version)"
  npm_checked install --no-save typescript5@npm:typescript@5.9
  "$node24" node_modules/typescript5/bin/tsc -p . --noEmit || { echo "release: the app does not compile on TypeScript 5.9"; exit 1; }
  echo "release: and on TypeScript $("$node24" node_modules/typescript5/bin/tsc --version)"
)

postgres_server="${BOXOFFICE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
redis_url="${BOXOFFICE_TEST_REDIS:-redis://127.0.0.1:6379}"
run_examples() {
  local node="$1"
  local output
  output="$(cd "$work/app" && env -u BOXOFFICE_SECRET "$node" dist/example.js)"
  [ "$output" = $'queue: active\npaid 100000 KRW for seats 7, 8' ] || { echo "release: the README example printed: $output"; exit 1; }
  # The Postgres + Redis variant, on a database of its own.
  local name="boxoffice_release_$$_${RANDOM}"
  psql_admin "create database $name"
  output="$(cd "$work/app" && env -u BOXOFFICE_SECRET DATABASE_URL="${postgres_server%/*}/$name" REDIS_URL="$redis_url" \
    BOXOFFICE_REDIS_PREFIX="boxoffice:release:$$:" "$node" dist/production.js)" || { psql_admin "drop database $name with (force)"; exit 1; }
  psql_admin "drop database $name with (force)"
  [ "$output" = $'queue: active\npaid 100000 KRW for seats 7, 8' ] || { echo "release: the Postgres + Redis example printed: $output"; exit 1; }
  echo "release: the README examples ran a whole booking, embedded and on Postgres + Redis, on Node $("$node" --version)"
  (cd "$work/app" && "$node" dist/driver-fault.js)
}
# A statement on the server's admin database, through the installed driver (no psql needed).
psql_admin() {
  (cd "$work/app" && "$node24" --input-type=module -e '
    const postgres = (await import("postgres")).default
    const sql = postgres(process.argv[1], { max: 1, onnotice: () => {} })
    try { await sql.unsafe(process.argv[2]) } finally { await sql.end({ timeout: 1 }) }
  ' "$postgres_server" "$1")
}

# Each package's README as a new user on the project's Node follows it: its own `npm install` line (npm
# run by Node 24, whose engines it then matches), in a fresh app, with the tarballs for boxoffice's
# packages (a line that forgets a package the examples import fails here), then its examples, run by
# Node 24 as TypeScript (the testing package's under vitest).
readme_app() {
  local pkg="$1"
  local readme="packages/$pkg/README.md"
  local dir="$work/readme-$pkg"
  mkdir -p "$dir"
  echo '{ "name": "readme-check", "private": true, "type": "module" }' >"$dir/package.json"
  local line
  line="$(sed -n '/^```sh$/,/^```$/p' "$readme" | grep '^npm install')" || { echo "release: $readme has no npm install line"; return 1; }
  local args=()
  for word in ${line#npm install }; do
    case "$word" in
      @boxoffice/*) args+=("$(ls "$work"/tarballs/boxoffice-"${word#@boxoffice/}"-*.tgz)") ;;
      *) args+=("$word") ;;
    esac
  done
  (cd "$dir" && PATH="$root/node_modules/.bin:$PATH" npm_checked install "${args[@]}") || return 1
  local marker port
  for marker in $(grep -o '<!-- example[^>]*-->' "$readme" | tr ' ' '~'); do
    marker="${marker//\~/ }"
    if [ "$marker" = "<!-- example: vitest -->" ]; then
      "$node24" scripts/readme-block.mjs "$readme" "$marker" >"$dir/example.test.ts" || return 1
      (cd "$dir" && BOXOFFICE_PROPERTY_RUNS=20 "$node24" node_modules/vitest/vitest.mjs run >"$dir/vitest.log" 2>&1) ||
        { cat "$dir/vitest.log"; echo "release: $readme's example failed under vitest"; return 1; }
    else
      "$node24" scripts/readme-block.mjs "$readme" "$marker" >"$dir/example.ts" || return 1
      port="$("$node24" -e 'const s=require("node:net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')"
      (cd "$dir" && env -u BOXOFFICE_SECRET DATABASE_URL="$readme_database" REDIS_URL="$redis_url" PORT="$port" \
        BOXOFFICE_REDIS_PREFIX="boxoffice:release:$$:$pkg:" "$node24" example.ts >"$dir/example.log" 2>&1) ||
        { cat "$dir/example.log"; echo "release: $readme's example ($marker) failed"; return 1; }
    fi
  done
  echo "release: $readme: its install line, then its examples ($(grep -c '<!-- example' "$readme")), in a fresh app"
}
readme_database="${postgres_server%/*}/boxoffice_release_readme_$$"
psql_admin "create database boxoffice_release_readme_$$"
for pkg in $packages; do
  readme_app "$pkg" || { psql_admin "drop database boxoffice_release_readme_$$ with (force)"; exit 1; }
done
psql_admin "drop database boxoffice_release_readme_$$ with (force)"

run_examples "$node24"
# The oldest runtime the packages declare is Node 20.19; the machine's node is used when it is one.
system_node="$(command -v node)"
if "$system_node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===20&&b>=19 ? 0 : 1)'; then
  run_examples "$system_node"
else
  echo "release: the machine's node is $("$system_node" --version), not 20.19+ on line 20: the oldest runtime was not tried here"
fi
