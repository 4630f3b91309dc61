#!/usr/bin/env bash
# The Airflow UI and the components behind it, with this project's DAGs, plugins and connections:
#   scripts/ui.sh start|stop|status
# Starts api-server, scheduler, dag-processor and triggerer as separate background processes
# (LocalExecutor, metadata DB on the local PostgreSQL); logs in .aeris/logs/airflow-*.log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COMPONENTS=(api-server scheduler dag-processor triggerer)

component_pid() { echo "$AERIS_DATA_DIR/run/airflow-$1.pid"; }
alive() { [ -f "$(component_pid "$1")" ] && kill -0 "$(cat "$(component_pid "$1")")" 2>/dev/null; }

start() {
  bootstrap
  ensure_airflow
  ensure_schema
  mkdir -p "$AERIS_DATA_DIR/run" "$AERIS_DATA_DIR/logs"
  for component in "${COMPONENTS[@]}"; do
    alive "$component" && continue
    setsid nohup airflow "$component" >"$AERIS_DATA_DIR/logs/airflow-$component.log" 2>&1 </dev/null &
    echo $! >"$(component_pid "$component")"
  done
  local tries=180  # counted in tries, not by a wall clock that may jump
  until curl -fsS "http://127.0.0.1:$AIRFLOW_API_PORT/api/v2/monitor/health" >/dev/null 2>&1; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die "api-server did not answer in 180 s (log: $AERIS_DATA_DIR/logs/airflow-api-server.log)"
    sleep 1
  done
  cat <<MSG
[aeris] Airflow UI: http://127.0.0.1:$AIRFLOW_API_PORT   login: admin / $AIRFLOW_ADMIN_PASSWORD
[aeris] components: ${COMPONENTS[*]} (logs: $AERIS_DATA_DIR/logs/airflow-*.log); stop with: make ui-stop
MSG
}

stop() {
  load_env
  for component in "${COMPONENTS[@]}"; do
    if alive "$component"; then
      kill -- "-$(cat "$(component_pid "$component")")" 2>/dev/null || true
      log "airflow $component: stopped"
    fi
    rm -f "$(component_pid "$component")"
  done
}

status() {
  load_env
  for component in "${COMPONENTS[@]}"; do
    if alive "$component"; then printf 'airflow %-14s running\n' "$component"
    else printf 'airflow %-14s stopped\n' "$component"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
