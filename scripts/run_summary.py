"""Prints the short summary of README command 1: what each gas did, rows, routes updated, audit files.

Reads the run's task states from Airflow's metadata database and the load ledger from the AERIS
database (plain SQL: this module must not import Airflow)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aeris_lib import config
from aeris_lib.defaults import libpq_url

GAS_TASKS = (  # in order; stage_geotiff only where it runs apart (AERIS_STAGE_QUEUE != AERIS_LOAD_QUEUE)
    "gas.harmony_job",
    "gas.stage_geotiff",
    "gas.load_gas_hour",
)


def _airflow_dsn() -> str:
    return libpq_url(config.Databases.from_env().airflow)


def run_states(dag_id: str, logical_date: datetime) -> tuple[str | None, dict[str, tuple[str, str]]]:
    """(run state, {gas: (the gas's furthest task, its state)}) of the latest run for `logical_date`."""
    with psycopg.connect(_airflow_dsn()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = %s AND logical_date = %s ORDER BY id DESC LIMIT 1",
            (dag_id, logical_date),
        )
        row = cur.fetchone()
        if row is None:
            return None, {}
        run_id, state = row
        cur.execute(
            "SELECT task_id, rendered_map_index, state FROM task_instance"
            " WHERE dag_id = %s AND run_id = %s AND task_id = ANY(%s) AND map_index >= 0",
            (dag_id, run_id, list(GAS_TASKS)),
        )
        gases: dict[str, tuple[str, str]] = {}
        for task_id, gas, ti_state in sorted(cur.fetchall(), key=lambda r: GAS_TASKS.index(r[0])):
            if gas and ti_state and (gas not in gases or ti_state not in ("upstream_failed", "skipped")):
                gases[gas] = (task_id.split(".", 1)[1], ti_state)
        return state, gases


def task_durations(dag_id: str, logical_date: datetime) -> list[tuple[str, int, float]]:
    """(task id, instances, longest duration in s) of the latest run for `logical_date`, in run order."""
    with psycopg.connect(_airflow_dsn()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ti.task_id, count(*), max(ti.duration) FROM task_instance ti"
            " JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id"
            " WHERE r.id = (SELECT max(id) FROM dag_run WHERE dag_id = %s AND logical_date = %s)"
            "   AND ti.duration IS NOT NULL"
            " GROUP BY ti.task_id ORDER BY min(ti.start_date)",
            (dag_id, logical_date),
        )
        return [(task, count, float(seconds)) for task, count, seconds in cur.fetchall()]


def _error_from_log(log_path: str, gas: str) -> str:
    """The last exception line naming `gas` in the run log (the task's own message)."""
    try:
        lines = Path(log_path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    hits = [line.split("Exception: ", 1)[1] for line in lines if f"Exception: {gas}" in line]
    return hits[-1] if hits else ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logical-date", required=True, help="the run's logical date (end of its hour)")
    parser.add_argument("--log", required=True)
    parser.add_argument("--dag-id", default="aeris_tempo_hourly")
    args = parser.parse_args()
    logical_date = datetime.fromisoformat(args.logical_date)
    hour = logical_date - timedelta(hours=1)
    state, tasks = run_states(args.dag_id, logical_date)
    with psycopg.connect(config.Databases.from_env().aeris) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT ON (l.gas_type) l.gas_type, l.status, coalesce(p.row_count, 0),"
            "       coalesce(l.error_message, ''),"
            "       coalesce(p.product_line || ' ' || concat_ws(' ', p.short_name, p.version) || ': ' || l.granules[1], '')"
            " FROM ingest_log l LEFT JOIN obs_partition p ON p.gas_type = l.gas_type AND p.obs_time = l.obs_time"
            " WHERE l.obs_time = %s ORDER BY l.gas_type, l.started_at DESC",
            (hour,),
        )
        ledger = {gas: (status, rows, error, source) for gas, status, rows, error, source in cur.fetchall()}
        cur.execute("SELECT count(*) FROM saved_routes WHERE last_updated_at > now() - interval '1 hour'")
        routes = cur.fetchone()[0]
    print(
        f"\nAERIS hourly run for {hour:%Y-%m-%d %H}:00-{hour + timedelta(hours=1):%H}:00 UTC: {state or 'not found'}"
    )
    for gas in sorted(set(tasks) | set(ledger)):
        task, ti_state = tasks.get(gas, ("load_gas_hour", "?"))
        status, rows, error, source = ledger.get(gas, (None, None, "", ""))
        if ti_state in ("success", "skipped") and status == "unchanged":
            why = (
                "same source file as the last load: nothing written"
                if ti_state == "success"
                else "published from the same granules at the same revisions: no Harmony job"
            )
            print(f"  {gas:5} unchanged {rows or 0:>9,} rows ({why})")
        elif ti_state == "success":
            print(f"  {gas:5} loaded   {rows or 0:>10,} rows  ({source or '?'}…)")
        elif ti_state == "skipped":
            print(f"  {gas:5} skipped  ({status or 'skipped'}: {error or 'see the log'})")
        else:
            reason = error or _error_from_log(args.log, gas)
            print(f"  {gas:5} {ti_state:8} at {task}: {reason[:160]}")
    if not tasks and not ledger:
        print("  no gas ran (see the log)")
    print(f"  saved routes updated: {routes}")
    storage = config.Storage.from_env()
    if storage.staging == "local":
        where = f"{storage.staging_dir}/audit/geotiff/{hour:%Y-%m-%d}/<gas>_{hour:%H}.tif"
    else:
        where = (
            f"s3://{storage.bucket}/audit/geotiff/{hour:%Y-%m-%d}/<gas>_{hour:%H}.tif (connection aeris_s3)"
        )
    print(f"  audit files: {where} (COG), with .png map and .json STAC item beside each")
    durations = task_durations(args.dag_id, logical_date)
    if durations:
        timings = [
            f"{task} {seconds:.1f} s" + (f" (x{count})" if count > 1 else "")
            for task, count, seconds in durations
        ]
        print("  task durations (longest instance): " + ", ".join(timings))
    print(f"  full Airflow log: {args.log}")
    failed = sorted(gas for gas, (_, s) in tasks.items() if s not in ("success", "skipped"))
    if state == "success" or state is None:
        return 0 if state else 1
    print(f"  failed: {', '.join(failed) or 'see the log'}: the task logs say why")
    return 1


if __name__ == "__main__":
    sys.exit(main())
