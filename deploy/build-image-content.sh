#!/usr/bin/env bash
# The image's file system without a container engine: runs the stages of packages/backend/Dockerfile on the host into
# a folder (default: a new temporary one) and starts the result with the production configuration against the
# PostgreSQL scripts/services.sh runs, then checks Backstage's health endpoints and stops it.
#   deploy/build-image-content.sh [folder]        (about 4 minutes on 2 cores; uses ports 7126 and the forge_image_ prefix)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$(mktemp -d)}"
# The project's Node and Yarn (./forge env), and Node's headers for building better-sqlite3.
eval "$("$ROOT/forge" env)"
npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
export npm_config_nodedir
say() { printf 'image-content: %s\n' "$*" >&2; }

say "stage build: yarn workspace backend build (the portal is built into the bundle)"
(cd "$ROOT" && flock /tmp/forge-build.lock ./forge yarn workspace backend build >/dev/null)

say "stage production-deps: skeleton + root package.json + lockfile, yarn workspaces focus --all --production into $OUT"
mkdir -p "$OUT/.yarn"
cp -r "$ROOT/.yarn/releases" "$OUT/.yarn/"
cp "$ROOT/package.json" "$ROOT/.yarnrc.yml" "$ROOT/yarn.lock" "$OUT/"
tar xzf "$ROOT/packages/backend/dist/skeleton.tar.gz" -C "$OUT"
(cd "$OUT" && node .yarn/releases/yarn-*.cjs workspaces focus --all --production >/dev/null)

say "final stage: bundle and run-time files"
tar xzf "$ROOT/packages/backend/dist/bundle.tar.gz" -C "$OUT"
cp "$ROOT"/{app-config.yaml,app-config.production.yaml,catalog-info.yaml,mkdocs.yml} "$OUT/"
cp -r "$ROOT"/{policies,catalog,templates,docs} "$OUT/"
du -sh "$OUT" >&2

url="$(cd "$ROOT" && scripts/services.sh 2>/dev/null | sed -n 's/^BACKSTAGE_TEST_DATABASE_POSTGRES[0-9]*_CONNECTION_STRING=//p')"
data="$OUT/.var-lib-forge"
mkdir -p "$data/scaffolder-work" "$data/techdocs"
cat >"$OUT/app-config.check.yaml" <<YAML
backend:
  listen: ':7126'
  database: { prefix: forge_image_ }
  workingDirectory: $data/scaffolder-work
forge: { dataDir: $data }
techdocs: { publisher: { local: { publishDirectory: $data/techdocs } } }
YAML
user="$(node -e 'const u=new URL(process.argv[1]);console.log(decodeURIComponent(u.username))' "$url")"
pass="$(node -e 'const u=new URL(process.argv[1]);console.log(decodeURIComponent(u.password))' "$url")"
port="$(node -e 'const u=new URL(process.argv[1]);console.log(u.port||5432)' "$url")"
say "starting: node packages/backend --config app-config.yaml --config app-config.production.yaml"
(cd "$OUT" && env NODE_ENV=production NODE_OPTIONS=--no-node-snapshot FORGE_BASE_URL=http://localhost:7126 \
  POSTGRES_HOST=localhost POSTGRES_PORT="$port" POSTGRES_USER="$user" POSTGRES_PASSWORD="$pass" \
  BACKEND_SECRET=check-only-backend-secret-0123456789 FORGE_CI_TOKEN=check-only-ci-token \
  FORGE_HISTORY_KEY=check-only-history-key-0123456789abcdef \
  AUTH_SESSION_SECRET=check-only-session-secret AUTH_MICROSOFT_CLIENT_ID=check AUTH_MICROSOFT_CLIENT_SECRET=check \
  AUTH_MICROSOFT_TENANT_ID=check FORGE_SCM_HOST=github.com FORGE_SCM_ORGANIZATION=check FORGE_GITOPS_ORGANIZATION=check \
  node packages/backend --config app-config.yaml --config app-config.production.yaml \
  --config app-config.check.yaml >"$OUT/backend.log" 2>&1 &
  echo $! >"$OUT/backend.pid")
status=1
for _ in $(seq 1 100); do
  sleep 3
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' http://localhost:7126/.backstage/health/v1/readiness)" == 200 ]]; then
    status=0
    break
  fi
done
live="$(curl -s -o /dev/null -w '%{http_code}' http://localhost:7126/.backstage/health/v1/liveness)"
kill -TERM "$(cat "$OUT/backend.pid")" 2>/dev/null || true
sleep 5
PGPASSWORD="$pass" psql -h localhost -p "$port" -U "$user" -Atc "select datname from pg_database where datname like 'forge_image_%'" |
  while read -r db; do PGPASSWORD="$pass" psql -h localhost -p "$port" -U "$user" -qc "drop database \"$db\" with (force)"; done
if [[ $status -ne 0 ]]; then
  say "the backend did not become ready; see $OUT/backend.log"
  exit 1
fi
say "ready and live ($live) on the production configuration; image content in $OUT"
