#!/usr/bin/env bash
# `make screenshots`: the README's pictures of the AERIS view, after days of the hourly DAG on hours
# that just ended (NASA's side: the emulator with the public record's publication delays).
#   scripts/timelapse.sh [--days N] [--out DIR]
# A stack of its own (its data under .aeris/timelapse, its own ports), started afresh on a shifted
# clock: libfaketime in every process, the offset in one file (scripts/timelapse/plan.py says why).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
days=3 out="$AERIS_ROOT/docs"
while [ $# -gt 0 ]; do
  case "$1" in
    --days) days="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) die "usage: $0 [--days N] [--out DIR]" ;;
  esac
done

# Never the user's services or Earthdata: the emulator and local servers this script starts and stops.
export AERIS_HARMONY_MODE=emulator AERIS_DATABASE_URL= REDIS_URL= AERIS_S3_ENDPOINT_URL=
export AERIS_DATA_DIR="$AERIS_ROOT/.aeris/timelapse"
export AERIS_PG_PORT=55532 AERIS_REDIS_PORT=56479 AERIS_S3_PORT=59100 \
  AERIS_HARMONY_PORT=58180 AERIS_HARMONY_FILES_PORT=58181 AERIS_HARMONY_DAAC_PORT=58182 AIRFLOW_API_PORT=8180
load_env
ensure_apt_packages
ensure_apt_packages faketime chromium
ensure_venv
activate_venv

# Afresh: the clock starts days back, behind whatever an earlier time-lapse stored.
"$AERIS_ROOT/scripts/stack.sh" stop >/dev/null 2>&1 || true
if [ -e "$AERIS_DATA_DIR" ]; then
  [ -L "$AERIS_DATA_DIR/pg" ] && rm -rf "$(readlink -f "$AERIS_DATA_DIR/pg")"
  rm -rf "$AERIS_DATA_DIR"
fi
mkdir -p "$AERIS_DATA_DIR"
chmod 755 "$AERIS_DATA_DIR"  # PostgreSQL's own user reads the clock file in it
clock="$AERIS_DATA_DIR/clock"
first_day="$(python -m scripts.timelapse clock --days "$days" --clock-file "$clock")"
log "time-lapse: $days day(s) from $first_day, the stack's clock set to $first_day 12:00 UTC"

trap '"$AERIS_ROOT/scripts/stack.sh" stop >/dev/null 2>&1 || true' EXIT
export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
export FAKETIME_TIMESTAMP_FILE="$clock" FAKETIME_NO_CACHE=1  # as scripts/timelapse/clock.py says
"$AERIS_ROOT/scripts/stack.sh" start
ensure_airflow
ensure_schema
# The driver keeps the real clock (its waits and timeouts); it gives the Airflow components the shifted one.
unset LD_PRELOAD FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE
cd "$AERIS_ROOT"
python -m scripts.timelapse run --first-day "$first_day" --days "$days" --clock-file "$clock" \
  --workdir "$AERIS_DATA_DIR/airflow" --out "$out"
