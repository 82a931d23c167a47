#!/usr/bin/env bash
# What a release ships, checked as a user gets it: packs every published
# package from a clean build (prepack builds), lints each tarball (publint,
# and attw with the ESM-only profile), installs the tarballs with npm into a
# fresh app outside the workspace, typechecks and runs the README's
# embedding example there on the project's Node and on the oldest Node the
# packages declare (when the machine has it), and runs the Postgres driver
# fault check against the stock postgres.js.
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

echo "release: installing the tarballs into a fresh app with npm"
cp -r scripts/consumer "$work/app"
sed -n '/<!-- embedding-example -->/,$p' README.md | sed -n '/^```ts$/,/^```$/p' | sed '1d;$d' > "$work/app/example.ts"
(
  cd "$work/app"
  npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz \
    effect@4.1.0 postgres@3.4.9 ioredis@6.0.0 fast-check@4.10.2 vitest@5.1.1 typescript@5.9 @types/node@24 >/dev/null
  "$node24" node_modules/typescript/bin/tsc -p .
)

expected=$'queue: active\npaid 100000 KRW for seats 7, 8'
run_example() {
  local node="$1"
  local output
  output="$(cd "$work/app" && env -u BOXOFFICE_SECRET "$node" dist/example.js)"
  [ "$output" = "$expected" ] || { echo "release: the README example printed: $output"; exit 1; }
  echo "release: the README example ran a whole booking on Node $("$node" --version)"
}
run_example "$node24"
# The oldest runtime the packages declare is Node 20.19; the machine's node is used when it is one.
system_node="$(command -v node)"
if "$system_node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===20&&b>=19 ? 0 : 1)'; then
  run_example "$system_node"
else
  echo "release: the machine's node is $("$system_node" --version), not 20.19+ on line 20: the oldest runtime was not tried here"
fi

echo "release: the stock postgres.js still has the failure a client-side transaction meets"
if (cd "$work/app" && "$node24" driver-fault-control.mjs >"$work/control.log" 2>&1); then
  echo "release: the stock driver no longer crashes; the control is obsolete (see docs/postgres.md)"
elif grep -q "reading 'write'" "$work/control.log"; then
  echo "release: reproduced: the process died on a write to a dropped socket"
else
  cat "$work/control.log"; exit 1
fi
(cd "$work/app" && "$node24" dist/driver-fault.js)
