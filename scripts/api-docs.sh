#!/usr/bin/env bash
# The API reference in docs/api/, generated from the JSDoc of each package's
# built declarations (run `pnpm build` first). TypeDoc reads declarations
# through the TypeScript 5.9 compiler API, which the workspace's TypeScript 7
# does not offer, so it runs from its own folder, installed with npm at
# pinned versions. Any warning fails. With --check, it generates into a
# temporary folder and fails if docs/api/ differs: the reference cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
node24="$root/node_modules/.bin/node"
tools="$root/node_modules/.cache/api-docs"
if [ ! -x "$tools/node_modules/typedoc/bin/typedoc" ]; then
  mkdir -p "$tools"
  echo '{"private":true}' > "$tools/package.json"
  (cd "$tools" && npm install --no-audit --no-fund --loglevel=error \
    typedoc@0.28.20 typescript@5.9.3 typedoc-plugin-markdown@4.14.1 >/dev/null)
fi
packages="core memory testing postgres redis http"
entries=()
files=""
for pkg in $packages; do
  entries+=(--entryPoints "$root/packages/$pkg/dist/index.d.ts")
  files="$files\"$root/packages/$pkg/dist/index.d.ts\","
done
cat > "$tools/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "lib": ["ES2024", "DOM"], "strict": true, "skipLibCheck": true, "types": []
  },
  "files": [${files%,}]
}
JSON
out="$root/docs/api"
[ "${1:-}" = "--check" ] && out="$(mktemp -d)/api"
rm -rf "$out"
(cd "$tools" && "$node24" node_modules/typedoc/bin/typedoc --tsconfig tsconfig.json \
  --plugin typedoc-plugin-markdown --out "$out" --entryPointStrategy resolve "${entries[@]}" \
  --name "boxoffice API" --readme none --excludeExternals --excludeInternal --disableSources \
  --treatWarningsAsErrors --logLevel Warn)
if [ "${1:-}" = "--check" ]; then
  diff -r "$root/docs/api" "$out" >/dev/null || {
    echo "api-docs: docs/api is out of date; run bash scripts/api-docs.sh"
    diff -r "$root/docs/api" "$out" | head -20
    exit 1
  }
  echo "api-docs: docs/api is current, with no warnings"
fi
