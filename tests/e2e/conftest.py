"""Helpers for end-to-end runs of the hourly DAG against the local stack and the Harmony emulator."""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import datetime, timedelta

import psycopg2
import pytest

from aeris_lib.defaults import libpq_url

DAG_ID = "aeris_tempo_hourly"
# A 2° × 2° box (100 × 100 native cells per gas) keeps a five-gas run to seconds.
SMALL_BBOX = [-100.0, 35.0, -98.0, 37.0]


class Emulator:
    """Drives the running emulator's fault switches over its control API."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def _post(self, path: str, body: object) -> dict:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def faults(self, rules: list[dict]) -> None:
        self._post("/_emulator/faults", rules)

    def clear_faults(self) -> None:
        self._post("/_emulator/faults", [])
        self._post("/_emulator/publication", {"holds": []})
        self.capabilities(os.environ.get("AERIS_EMULATOR_CAPABILITIES") or "native")

    def capabilities(self, mode: str) -> None:
        """What the emulated Harmony offers for every TEMPO collection: native, netcdf or tiff."""
        self._post("/_emulator/capabilities", {"mode": mode})

    def hold(self, hour: datetime, available_in_s: float | None, collection: str | None = None) -> None:
        """Keep the granules overlapping [hour, hour + 1) out of CMR and Harmony for `available_in_s`
        seconds (None: for good), as TEMPO publishing late does."""
        hold = {"start": hour.isoformat(), "end": (hour + timedelta(hours=1)).isoformat(),
                "available_in_s": available_in_s, "collection": collection}  # fmt: skip
        self._post("/_emulator/publication", {"holds": [hold]})

    def finish_jobs(self) -> int:
        """Every running Harmony job completes now (those a long slow_job fault holds)."""
        return self._post("/_emulator/jobs/finish", {})["finished"]

    def release(self) -> None:
        """Publish every held hour now."""
        self._post("/_emulator/publication", {"holds": []})

    def stats(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/_emulator/stats", timeout=10) as response:
            return json.loads(response.read())


def airflow_db_url() -> str:
    """Airflow's metadata DB as a plain libpq URL (the SQLAlchemy one names the driver)."""
    return libpq_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])


def reset_circuit_breakers() -> None:
    """Every run of a test starts with closed circuit breakers (state: Variables aeris_circuit_<GAS>)."""
    with psycopg2.connect(airflow_db_url()) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM variable WHERE key LIKE 'aeris\\_circuit\\_%%'")
    conn.close()


@pytest.fixture
def emulator():
    if os.environ.get("AERIS_HARMONY_MODE") != "emulator":
        pytest.skip("end-to-end tests run against the Harmony emulator (make test forces it)")
    reset_circuit_breakers()
    emulator = Emulator(os.environ["HARMONY_BASE_URL"])
    emulator.clear_faults()
    yield emulator
    emulator.clear_faults()


@pytest.fixture
def db(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def test_route(db):
    """A saved route across the small bbox; removed afterwards with its exposure rows."""
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat)"
            " VALUES ('e2e test route', -99.5, 35.5, -98.5, 36.5) RETURNING id"
        )
        route_id = cur.fetchone()[0]
    yield route_id
    with db.cursor() as cur:
        cur.execute("DELETE FROM route_exposure WHERE route_id = %s", (route_id,))
        cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))


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
