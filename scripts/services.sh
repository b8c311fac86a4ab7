#!/usr/bin/env bash
# Installs (from Debian's packages) and starts what the test suite needs: PostgreSQL, Chromium and mkdocs.
# Prints KEY=VALUE lines on stdout for the caller's environment; everything else goes to stderr.
#
#   FORGE_TEST_POSTGRES_URL=postgresql://user:pass@host:port   use this server instead of a local one
#   FORGE_TEST_POSTGRES_VERSION=15                             its major version (default: detected)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'services: %s\n' "$*" >&2; }

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

missing=()
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[[ -n "${FORGE_TEST_POSTGRES_URL:-}" || -n "$(pg_bin)" ]] || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v mkdocs >/dev/null || missing+=(mkdocs mkdocs-material)
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]} from Debian's packages"
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2; then
    say "could not install ${missing[*]}: run as root or with passwordless sudo, or install them yourself"
    exit 1
  fi
fi
echo "FORGE_CHROMIUM=$(command -v chromium)"

if [[ -n "${FORGE_TEST_POSTGRES_URL:-}" ]]; then
  version="${FORGE_TEST_POSTGRES_VERSION:-15}"
  echo "BACKSTAGE_TEST_DATABASE_POSTGRES${version}_CONNECTION_STRING=$FORGE_TEST_POSTGRES_URL"
  exit 0
fi

bin="$(pg_bin)"
PG_MAX_CONNECTIONS=500
version="$(basename "$(dirname "$bin")")"
if [[ "$(id -u)" -eq 0 ]]; then
  # Root: use the distribution's cluster (initdb refuses to run as root).
  pg_lsclusters -h 2>/dev/null | grep -q "^$version main" || pg_createcluster "$version" main >&2
  pg_ctlcluster "$version" main start 2>/dev/null || true
  port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
  for _ in $(seq 1 30); do
    su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  su postgres -c "psql -p $port -qc \"ALTER USER postgres PASSWORD 'forge-test'\"" >/dev/null
  # The suite runs whole backends on PostgreSQL side by side (the permission matrix, three replicas), each plugin
  # with its own pool: the default 100 connections run out ('sorry, too many clients already').
  if [[ "$(su postgres -c "psql -p $port -qtAc 'show max_connections'")" -lt $PG_MAX_CONNECTIONS ]]; then
    su postgres -c "psql -p $port -qc 'ALTER SYSTEM SET max_connections = $PG_MAX_CONNECTIONS'" >/dev/null
    pg_ctlcluster "$version" main restart >&2
    for _ in $(seq 1 30); do
      su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
      sleep 1
    done
  fi
  # A test cluster holds nothing worth keeping: without fsync, each CREATE/DROP DATABASE the store tests make costs
  # ~0.2 s instead of ~2.4 s under load, and TestDatabases drops a suite's databases in one afterAll limited to 60 s
  # (the run at 42f342a failed there for chain.test.ts and router.test.ts, with nothing wrong in what they check).
  su postgres -c "psql -p $port -q -c 'ALTER SYSTEM SET fsync = off' -c 'ALTER SYSTEM SET synchronous_commit = off' -c 'ALTER SYSTEM SET full_page_writes = off' -c 'SELECT pg_reload_conf()'" >/dev/null
  url="postgresql://postgres:forge-test@localhost:$port"
else
  # Anyone else: a private cluster under .data/ on its own port.
  data="$ROOT/.data/test-postgres"
  port=54329
  PG_THROWAWAY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" # see above: a test cluster only
  if [[ ! -f "$data/PG_VERSION" ]]; then
    mkdir -p "$data"
    "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  "$bin/pg_ctl" -D "$data" -o "-p $port -k /tmp -c max_connections=$PG_MAX_CONNECTIONS $PG_THROWAWAY" -l "$data/server.log" -w status >/dev/null 2>&1 ||
    "$bin/pg_ctl" -D "$data" -o "-p $port -k /tmp -c max_connections=$PG_MAX_CONNECTIONS $PG_THROWAWAY" -l "$data/server.log" -w start >/dev/null
  url="postgresql://postgres@localhost:$port"
fi
say "PostgreSQL $version ready on port $port"
echo "BACKSTAGE_TEST_DATABASE_POSTGRES${version}_CONNECTION_STRING=$url"
