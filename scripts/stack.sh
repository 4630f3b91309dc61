#!/usr/bin/env bash
# Local stack: PostgreSQL+PostGIS, Redis, an S3 endpoint (moto server) and the Harmony emulator.
#   scripts/stack.sh start|stop|status
# Idempotent: `start` on a running stack only checks it. State lives under $AERIS_DATA_DIR (.aeris/).
# A service whose URL is set in .env (AERIS_DATABASE_URL, REDIS_URL, AERIS_S3_ENDPOINT_URL) is used
# as it is and never started or stopped here.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env
[ -x "$AERIS_ROOT/.venv/bin/python" ] && activate_venv

RUN_DIR="$AERIS_DATA_DIR/run"
LOG_DIR="$AERIS_DATA_DIR/logs"
PG_DIR="$AERIS_DATA_DIR/pg"
mkdir -p "$RUN_DIR" "$LOG_DIR"

wait_for_port() { # host port seconds name
  # Counted in tries, not by the clock: a wall clock that jumps must not end the wait early.
  local tries=$(($3 * 5))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die "$4 did not open port $2 within $3 s (log: $LOG_DIR)"
    sleep 0.2
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- PostgreSQL + PostGIS
pg_bindir() {
  # A cluster made earlier runs on the major that made it, even once a newer one is installed.
  local major
  if [ -f "$PG_DIR/data/PG_VERSION" ]; then major="$(cat "$PG_DIR/data/PG_VERSION")"; else major="$(pg_major)"; fi
  [ -x "$PG_LIB_ROOT/$major/bin/initdb" ] || die "PostgreSQL $major server not found (apt-get install $(apt_packages))"
  echo "$PG_LIB_ROOT/$major/bin"
}

# PostgreSQL refuses to run as root; as root we run it as the `postgres` system user, which must be
# able to reach the data directory. A project under /root is not reachable, so its data then lives in
# /var/lib/aeris/<hash> with a symlink at .aeris/pg.
pg_run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_prepare_dir() {
  [ -e "$PG_DIR" ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$PG_DIR"
    chown postgres:postgres "$PG_DIR"
    if ! runuser -u postgres -- test -w "$PG_DIR"; then
      rmdir "$PG_DIR"
      local target="/var/lib/aeris/$(echo -n "$AERIS_DATA_DIR" | sha256sum | cut -c1-12)"
      mkdir -p "$target" && chown postgres:postgres "$target"
      ln -s "$target" "$PG_DIR"
    fi
  else
    mkdir -p "$PG_DIR"
  fi
}

pg_start() {
  [ "$AERIS_LOCAL_PG" = 1 ] || { log "postgres: using AERIS_DATABASE_URL (not started here)"; return; }
  local bin; bin="$(pg_bindir)"
  pg_prepare_dir
  local data="$PG_DIR/data"
  if ! pg_run test -f "$data/PG_VERSION"; then
    log "postgres: initialising cluster in $PG_DIR"
    local pwfile; pwfile="$(pg_run mktemp)"
    pg_run sh -c "echo '$AERIS_LOCAL_PG_PASSWORD' > '$pwfile'"
    pg_run "$bin/initdb" -D "$data" -U aeris --pwfile="$pwfile" --auth-local=scram-sha-256 \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    pg_run rm -f "$pwfile"
  fi
  # Password auth on the socket too (clusters made before this trusted every local user), and a
  # socket only the postgres user can open.
  pg_run sed -i -E 's/^(local[[:space:]].*[[:space:]])trust[[:space:]]*$/\1scram-sha-256/' "$data/pg_hba.conf"
  pg_run chmod 700 "$PG_DIR"
  if ! pg_run "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_run "$bin/pg_ctl" -D "$data" -l "$PG_DIR/postgres.log" -w -t 60 start \
      -o "-p $AERIS_PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c unix_socket_permissions=0700 \
          -c max_connections=200 \
          -c shared_buffers=256MB -c maintenance_work_mem=256MB -c max_wal_size=4GB \
          -c synchronous_commit=off" >/dev/null
    log "postgres: started on 127.0.0.1:$AERIS_PG_PORT"
  else
    pg_run "$bin/pg_ctl" -D "$data" reload >/dev/null  # picks up the pg_hba.conf fix above
  fi
  local psql=(env PGPASSWORD="$AERIS_LOCAL_PG_PASSWORD" "$bin/psql" -h "$PG_DIR" -p "$AERIS_PG_PORT" -U aeris
    -d postgres -qtA -v ON_ERROR_STOP=1)
  # A cluster made with the old password: move it to the current one (once).
  if ! pg_run "${psql[@]}" -c "SELECT 1" >/dev/null 2>&1; then
    pg_run env PGPASSWORD="$AERIS_OLD_LOCAL_PG_PASSWORD" "$bin/psql" -h "$PG_DIR" -p "$AERIS_PG_PORT" -U aeris \
      -d postgres -qtA -v ON_ERROR_STOP=1 -c "ALTER ROLE aeris PASSWORD '$AERIS_LOCAL_PG_PASSWORD'" >/dev/null \
      && log "postgres: local password changed to the current one"
  fi
  # The roles every process runs as (none a superuser), their databases, PostGIS, and the hand-over
  # of databases made before the roles existed (aeris_lib.db.roles).
  python -m aeris_lib.db.roles >"$LOG_DIR/db-roles.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/db-roles.log" >&2; die "postgres: setting up the roles failed (log: $LOG_DIR/db-roles.log)"; }
}

pg_stop() {
  [ "$AERIS_LOCAL_PG" = 1 ] && [ -e "$PG_DIR/data" ] || return 0
  pg_run "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 && log "postgres: stopped" || true
}

pg_status() {
  if [ "$AERIS_LOCAL_PG" != 1 ]; then echo "postgres  external  (AERIS_DATABASE_URL)"; return; fi
  if [ -e "$PG_DIR/data" ] && pg_run "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    echo "postgres  running   127.0.0.1:$AERIS_PG_PORT"
  else echo "postgres  stopped"; fi
}

# ---------------------------------------------------------------- Redis
redis_start() {
  [ "$AERIS_LOCAL_REDIS" = 1 ] || { log "redis: using REDIS_URL (not started here)"; return; }
  pid_alive "$RUN_DIR/redis.pid" && return 0
  mkdir -p "$AERIS_DATA_DIR/redis"
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  # On the real clock even under `make screenshots`' libfaketime: with it preloaded Redis hangs at start
  # (its allocator and libfaketime call each other); its key lifetimes are relative anyway.
  env -u LD_PRELOAD redis-server --port "$AERIS_REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir "$AERIS_DATA_DIR/redis" --pidfile "$RUN_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" >/dev/null
  wait_for_port 127.0.0.1 "$AERIS_REDIS_PORT" 20 redis
  log "redis: started on 127.0.0.1:$AERIS_REDIS_PORT"
}

# ---------------------------------------------------------------- background Python servers
daemon_start() { # name port command...
  local name=$1 port=$2; shift 2
  pid_alive "$RUN_DIR/$name.pid" && return 0
  setsid nohup "$@" >"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
  wait_for_port 127.0.0.1 "$port" 60 "$name"
  log "$name: started on 127.0.0.1:$port"
}

daemon_stop() {
  local pidfile="$RUN_DIR/$1.pid"
  if pid_alive "$pidfile"; then
    kill -- "-$(cat "$pidfile")" 2>/dev/null || kill "$(cat "$pidfile")" 2>/dev/null || true
    log "$1: stopped"
  fi
  rm -f "$pidfile"
}

daemon_status() { # name port
  if pid_alive "$RUN_DIR/$1.pid"; then printf '%-9s running   127.0.0.1:%s\n' "$1" "$2"
  else printf '%-9s stopped\n' "$1"; fi
}

s3_start() {
  [ "$AERIS_LOCAL_S3" = 1 ] || { log "s3: using AERIS_S3_ENDPOINT_URL (not started here)"; return; }
  daemon_start s3 "$AERIS_S3_PORT" moto_server -H 127.0.0.1 -p "$AERIS_S3_PORT"
}

harmony_start() {
  [ "$AERIS_HARMONY_MODE" = emulator ] || return 0
  # A slow job (fault `slow_job`) runs 5 s here: long enough to be seen waiting in the triggerer.
  # Capabilities: native-only by default, as public records suggest TEMPO L3 is in production.
  # CMR's subscription messages go to SQS on the local moto server (never to an external endpoint).
  local events=()
  [ "$AERIS_LOCAL_S3" = 1 ] && events=(--sqs-endpoint "$AERIS_S3_ENDPOINT_URL")
  daemon_start harmony "$AERIS_HARMONY_PORT" python -m harmony_emulator.server \
    --port "$AERIS_HARMONY_PORT" --files-port "$AERIS_HARMONY_FILES_PORT" \
    --daac-port "$AERIS_HARMONY_DAAC_PORT" --capabilities "${AERIS_EMULATOR_CAPABILITIES:-native}" \
    --slow-job-seconds 5 --job-seconds "${AERIS_EMULATOR_JOB_SECONDS:-1.5}" \
    --nrt-window-days "${AERIS_EMULATOR_NRT_WINDOW_DAYS:-14}" "${events[@]}"
}

# The audit bucket, on whichever S3 endpoint is configured.
ensure_bucket() {
  python - <<'EOF'
import os, boto3, botocore
s3 = boto3.client("s3", endpoint_url=os.environ["AERIS_S3_ENDPOINT_URL"])
bucket = os.environ["AERIS_S3_BUCKET"]
try:
    s3.head_bucket(Bucket=bucket)
except botocore.exceptions.ClientError:
    s3.create_bucket(Bucket=bucket)
    print(f"[aeris] s3: created bucket {bucket}")
EOF
}

case "${1:-}" in
  start)
    [ -x "$AERIS_ROOT/.venv/bin/python" ] || die "no .venv yet: run 'make setup' first"
    pg_start; redis_start; s3_start; ensure_bucket; harmony_start ;;
  stop)
    daemon_stop harmony; daemon_stop s3
    if [ "$AERIS_LOCAL_REDIS" = 1 ] && pid_alive "$RUN_DIR/redis.pid"; then
      kill "$(cat "$RUN_DIR/redis.pid")"; log "redis: stopped"
    fi
    pg_stop ;;
  status)
    pg_status
    if [ "$AERIS_LOCAL_REDIS" = 1 ]; then daemon_status redis "$AERIS_REDIS_PORT"; else echo "redis     external  (REDIS_URL)"; fi
    if [ "$AERIS_LOCAL_S3" = 1 ]; then daemon_status s3 "$AERIS_S3_PORT"; else echo "s3        external  (AERIS_S3_ENDPOINT_URL)"; fi
    if [ "$AERIS_HARMONY_MODE" = emulator ]; then daemon_status harmony "$AERIS_HARMONY_PORT"; else echo "harmony   production $HARMONY_BASE_URL"; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
