# Shared helpers for the project's scripts; source it, do not run it.
# Everything here is idempotent: running a step twice does no harm and skips work already done.

set -euo pipefail

AERIS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where Debian/Ubuntu install PostgreSQL server majors (overridable for the scripts' own tests).
PG_LIB_ROOT="${AERIS_PG_LIB_ROOT:-/usr/lib/postgresql}"

log() { printf '[aeris] %s\n' "$*" >&2; }
die() { printf '[aeris] error: %s\n' "$*" >&2; exit 1; }

# Export the project's environment (.env + defaults, validated) into this shell.
load_env() {
  # Resolve once per process tree: derived values (service URLs) must not read as user-provided.
  [ "${AERIS_ENV_LOADED:-}" = 1 ] && return 0
  local exports
  exports="$(python3 "$AERIS_ROOT/scripts/stack_env.py")" || exit 2
  eval "$exports"
  export AERIS_ENV_LOADED=1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root for: $* (install the packages by hand: $(apt_packages))"
  fi
}

# The PostgreSQL major the local stack runs: the newest one installed with its server and PostGIS 3,
# else the distribution's own (what its `postgresql` package depends on: 15 on Debian 12, 16 on
# Ubuntu 24.04, 17 on Debian 13).
pg_major() {
  local dir major
  for dir in $(ls -d "$PG_LIB_ROOT"/*/ 2>/dev/null | sort -V -r); do
    major="$(basename "$dir")"
    if [ -x "$dir/bin/initdb" ] && [ -e "$dir/lib/postgis-3.so" ]; then echo "$major"; return 0; fi
  done
  major="$(apt-cache depends postgresql 2>/dev/null | sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1 || true)"
  [ -n "$major" ] || die "no PostgreSQL server with PostGIS 3 under $PG_LIB_ROOT, and apt knows no 'postgresql' package to pick a version from"
  echo "$major"
}

# Debian/Ubuntu packages for the local stack: the distribution's PostgreSQL with PostGIS 3, and Redis.
apt_packages() {
  local major; major="$(pg_major)"
  echo "postgresql-$major postgresql-$major-postgis-3 redis-server"
}

# Install packages (default: apt_packages); skipped when present or when the user points .env at
# their own services.
ensure_apt_packages() {
  local missing=() wanted=("$@")
  # shellcheck disable=SC2207
  [ ${#wanted[@]} -eq 0 ] && wanted=($(apt_packages))
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand or set service URLs in .env"
  log "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system-wide cluster and redis on install; this project runs its own on other ports.
}

# Docker Compose v2 (the `docker compose` CLI plugin) validates docker-compose.yaml; no engine is needed.
# Debian bookworm packages only compose v1. Trixie's docker-compose package is v2 and its one binary
# needs only glibc >= 2.34, so take that file from Debian's archive, checked against a pinned SHA-256,
# and install it for this user (no root): docker finds it in $DOCKER_CONFIG/cli-plugins.
COMPOSE_DEB_VERSION=2.26.1-4
declare -A COMPOSE_DEB_SHA256=(
  [amd64]=47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea
  [arm64]=bbafaa666f3e7fa00ad36f2a8bab889f1c791ca8743d674e7267a3d07203869c
)
compose_plugin_path() { echo "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose"; }

ensure_compose_cli() {
  docker compose version >/dev/null 2>&1 && return 0
  local plugin; plugin="$(compose_plugin_path)"
  [ -x "$plugin" ] && return 0
  local arch; arch="$(dpkg --print-architecture 2>/dev/null || echo unknown)"
  local sha="${COMPOSE_DEB_SHA256[$arch]:-}"
  [ -n "$sha" ] || { log "no pinned Docker Compose v2 for $arch: install the compose plugin by hand"; return 0; }
  local mirror="${AERIS_DEBIAN_MIRROR:-http://deb.debian.org/debian}" tmp
  local url="$mirror/pool/main/d/docker-compose/docker-compose_${COMPOSE_DEB_VERSION}_${arch}.deb"
  log "installing Docker Compose v2 ${COMPOSE_DEB_VERSION} into $(dirname "$plugin") (validates docker-compose.yaml)"
  tmp="$(mktemp -d)"
  if curl -fsSL --retry 3 -o "$tmp/compose.deb" "$url" \
    && echo "$sha  $tmp/compose.deb" | sha256sum -c --quiet - \
    && dpkg-deb -x "$tmp/compose.deb" "$tmp/x"; then
    install -D -m 0755 "$tmp/x/usr/libexec/docker/cli-plugins/docker-compose" "$plugin"
  else
    log "could not fetch or verify $url: the compose validation test will fail"
  fi
  rm -rf "$tmp"
}

# Project-local virtualenv with the pinned requirements: the runtime pins (requirements.txt, what the
# image ships) plus the tests' and tools' (requirements-dev.txt includes both). Reinstalls only when
# either file changes.
ensure_venv() {
  local venv="$AERIS_ROOT/.venv" stamp="$AERIS_ROOT/.venv/.requirements.sha256" want
  want="$(cat "$AERIS_ROOT/requirements.txt" "$AERIS_ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  command -v uv >/dev/null || python3 -m pip install -q --disable-pip-version-check uv==0.13.8
  local uv; uv="$(command -v uv || echo "python3 -m uv")"
  log "installing Python dependencies into .venv (pinned: requirements-dev.txt, the runtime's pins included)"
  [ -x "$venv/bin/python" ] || $uv venv -q --python 3.11 "$venv"
  VIRTUAL_ENV="$venv" $uv pip sync -q "$AERIS_ROOT/requirements-dev.txt"  # exactly the pins, nothing else
  echo "$want" > "$stamp"
}

# Python reads .pyc files even where PYTHONDONTWRITEBYTECODE forbids writing them: compile the venv's
# packages once, so no process (an Airflow component, a task, a test worker) compiles them again.
ensure_bytecode() {
  local stamp="$AERIS_ROOT/.venv/.bytecode.sha256" want
  want="$(cat "$AERIS_ROOT/.venv/.requirements.sha256")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "compiling the virtualenv's packages to bytecode (once)"
  python -m compileall -q -j 0 "$AERIS_ROOT/.venv/lib" >/dev/null 2>&1 || true
  echo "$want" > "$stamp"
}

activate_venv() {
  # shellcheck disable=SC1091
  . "$AERIS_ROOT/.venv/bin/activate"
}

# Everything commands 1, 2 and the UI need before they do their own work.
bootstrap() {
  load_env
  if [ "$AERIS_LOCAL_PG$AERIS_LOCAL_REDIS" != "00" ]; then ensure_apt_packages; fi
  ensure_venv
  activate_venv
  "$AERIS_ROOT/scripts/stack.sh" start
}

# Airflow's metadata DB (the `airflow` database on the same PostgreSQL) and the pool the DAG uses.
ensure_airflow() {
  mkdir -p "$AIRFLOW_HOME" "$AERIS_DATA_DIR/logs"
  # The simple auth manager reads logins from this file; the password is AIRFLOW_ADMIN_PASSWORD.
  printf '{"admin": "%s"}\n' "$AIRFLOW_ADMIN_PASSWORD" > "$AIRFLOW_HOME/passwords.json"
  local status=0 init=(python "$AERIS_ROOT/scripts/airflow_init.py" "$AERIS_DATA_DIR/airflow-db.json")
  local init_log="$AERIS_DATA_DIR/logs/airflow-init.log"
  "${init[@]}" >"$init_log" 2>&1 || status=$?
  [ "$status" -eq 0 ] && return 0
  [ "$status" -eq 3 ] || die "Airflow's metadata DB check failed (log: $init_log)"
  log "migrating Airflow's metadata DB"
  if ! airflow db migrate >"$AERIS_DATA_DIR/logs/airflow-db-migrate.log" 2>&1; then
    tail -n 20 "$AERIS_DATA_DIR/logs/airflow-db-migrate.log" >&2
    die "airflow db migrate failed (full log: $AERIS_DATA_DIR/logs/airflow-db-migrate.log)"
  fi
  "${init[@]}" >>"$init_log" 2>&1 || die "Airflow's metadata DB is not at head after migrating (log: $init_log)"
}

# The AERIS schema (include/sql/migrations), versioned and idempotent.
ensure_schema() {
  python -m aeris_lib.db.migrate
}
