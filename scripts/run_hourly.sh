#!/usr/bin/env bash
# Command 1: run the hourly DAG once, end to end, on the local stack, then print a summary.
#   scripts/run_hourly.sh [HOUR]    HOUR: logical date, e.g. 2024-09-01T17:00:00+00:00 (ingests 16:00-17:00)
# Uses the Harmony emulator unless Earthdata credentials are set in .env.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
ensure_airflow
ensure_schema
if [ "$AERIS_HARMONY_MODE" = emulator ]; then
  # The emulator's data are synthetic: default to a daytime hour TEMPO scans (16:00 UTC), two days
  # back, when its standard products (O3, AI: no near-real-time product) are out too.
  logical_date="${1:-$(date -u -d '2 days ago' +%Y-%m-%dT17:00:00+00:00)}"
else
  # TEMPO publishes 1-3 h after an hour ends (README, "Timing"): ask for one that should be out.
  logical_date="${1:-$(date -u -d '2 hours ago' +%Y-%m-%dT%H:00:00+00:00)}"
fi
log "running aeris_tempo_hourly for logical date $logical_date (Harmony: $AERIS_HARMONY_MODE, $HARMONY_BASE_URL)"
run_log="$AERIS_DATA_DIR/logs/run-hourly.log"
set +e
airflow dags test aeris_tempo_hourly "$logical_date" >"$run_log" 2>&1
status=$?
set -e
python "$(dirname "${BASH_SOURCE[0]}")/run_summary.py" --logical-date "$logical_date" --log "$run_log" || exit $?
if [ "$status" -ne 0 ] && ! grep -q "DagRun Finished" "$run_log"; then
  tail -n 30 "$run_log" >&2
  exit "$status"
fi
