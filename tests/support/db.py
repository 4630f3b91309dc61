"""Reading and resetting what the tests wrote in the real PostGIS and in Airflow's metadata DB."""

from __future__ import annotations

import json
import os
from datetime import datetime

import psycopg

from aeris_lib.defaults import libpq_url


def airflow_db_url() -> str:
    """Airflow's metadata DB as a plain libpq URL (the SQLAlchemy one names the driver)."""
    return libpq_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])


def asset_events(asset_name: str, run_id: str) -> list[dict]:
    """The extras of the events Airflow stored for `asset_name` from the run `run_id`, oldest first."""
    with psycopg.connect(airflow_db_url()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id"
            " WHERE a.name = %s AND e.source_run_id = %s ORDER BY e.id",
            (asset_name, run_id),
        )
        extras = [row[0] for row in cur.fetchall()]
    conn.close()
    return [extra if isinstance(extra, dict) else json.loads(extra) for extra in extras]


def reset_circuit_breakers() -> None:
    """Every run of a test starts with closed circuit breakers (state: Variables aeris_circuit_<GAS>)."""
    with psycopg.connect(airflow_db_url()) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM variable WHERE key LIKE 'aeris\\_circuit\\_%%'")
    conn.close()


def slice_rows(conn, gas: str, hour) -> list[tuple]:
    """(xmin, ymin, xmax, ymax, npoints, value, severity) of a slice, north-west first."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom), ST_NPoints(geom),"
            "       pollution_value, severity_level"
            " FROM pollution_grid WHERE gas_type = %s AND timestamp = %s"
            " ORDER BY ST_YMax(geom) DESC, ST_XMin(geom)",
            (gas, hour),
        )
        rows = cur.fetchall()
    conn.rollback()
    return rows


def ledger(conn, gas: str, hour) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT status, rows_written, cells_read, cells_skipped, coalesce(error_message, '')"
            " FROM ingest_log WHERE gas_type = %s AND obs_time = %s ORDER BY id",
            (gas, hour),
        )
        rows = cur.fetchall()
    conn.rollback()
    return rows


def forget_hours(db, hours: list[datetime], keep_capabilities: bool = False) -> None:
    """Drop every gas's slice, rejected slices, ledger rows and remembered Harmony jobs of `hours`, and
    the cached Harmony capabilities, so a test sees only what its own runs do (the local stack keeps
    earlier runs' data between sessions, and tests switch what the emulator offers)."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM obs_partition WHERE obs_time = ANY(%s)"
            " UNION ALL SELECT table_name FROM rejected_slice WHERE obs_time = ANY(%s)",
            (hours, hours),
        )
        for (table,) in cur.fetchall():
            cur.execute(f'DROP TABLE IF EXISTS "{table}"')
        for table in ("obs_partition", "rejected_slice", "ingest_log", "harmony_job"):
            cur.execute(f"DELETE FROM {table} WHERE obs_time = ANY(%s)", (hours,))
    if not keep_capabilities:
        forget_capabilities(db)


def forget_capabilities(db) -> None:
    """Forget every cached Harmony capabilities document (the next submit asks Harmony again)."""
    with db.cursor() as cur:
        cur.execute("DELETE FROM harmony_capability")


def forget_jobs(db, hours: list[datetime]) -> None:
    """Forget the Harmony jobs of `hours`, so the next run submits new ones (e.g. to get a bad file)."""
    with db.cursor() as cur:
        cur.execute("DELETE FROM harmony_job WHERE obs_time = ANY(%s)", (hours,))


def ledger_rows(db, hour: datetime, gas: str | None = None) -> list[tuple]:
    """(gas, status, error_message, granules) of `hour`'s ledger rows, oldest first."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT gas_type, status, coalesce(error_message, ''), granules FROM ingest_log"
            " WHERE obs_time = %s AND (%s::text IS NULL OR gas_type = %s) ORDER BY id",
            (hour, gas, gas),
        )
        return cur.fetchall()


def slice_snapshot(db, hour: datetime) -> dict:
    """Everything a rerun must reproduce for `hour`: rows per gas and a digest of their content."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT gas_type, count(*), count(DISTINCT ST_AsBinary(geom)),"
            "       md5(string_agg(ST_AsText(geom) || ':' || pollution_value || ':' || severity_level, ','"
            "                      ORDER BY ST_XMin(geom), ST_YMin(geom)))"
            " FROM pollution_grid WHERE timestamp = %s GROUP BY gas_type ORDER BY gas_type",
            (hour,),
        )
        return {gas: (rows, distinct, digest) for gas, rows, distinct, digest in cur.fetchall()}


def saved_route(
    conn, origin: tuple[float, float], dest: tuple[float, float], name: str = "test route"
) -> int:
    """A saved route from `origin` to `dest` ((lon, lat) each), inserted in `conn`'s transaction; its id."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (name, *(float(v) for v in (*origin, *dest))),
        )
        return cur.fetchone()[0]
