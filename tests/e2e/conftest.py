"""Helpers for end-to-end runs of the hourly DAG against the local stack and the Harmony emulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import sys
import urllib.request
from datetime import datetime
from pathlib import Path

import psycopg2
import pytest

DAG_ID = "aeris_tempo_hourly"
# A 2° × 2° box (100 × 100 native cells per gas) keeps a five-gas run to seconds.
SMALL_BBOX = [-100.0, 35.0, -98.0, 37.0]
RUNNER = Path(__file__).with_name("dag_test_runner.py")


def run_dag(logical_date: str, conf: dict | None = None, dag_id: str = DAG_ID, **env: str) -> dict:
    """`dag.test()` in a child process; returns {"state", "run_id", "tis": {name: {"state", ...}}}."""
    child_env = {**os.environ, "AERIS_RETRY_DELAY_SECONDS": "1", **env}
    proc = subprocess.run(
        [sys.executable, str(RUNNER), dag_id, logical_date, json.dumps(conf or {})],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=600,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("DAG_TEST_RESULT "):
            return json.loads(line.removeprefix("DAG_TEST_RESULT "))
    raise AssertionError(f"dag.test() gave no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def ti_states(result: dict, task_id: str) -> dict[str, str]:
    """{gas: state} of a mapped task, e.g. ti_states(result, "gas.load_gas_hour")."""
    prefix = task_id + "["
    return {
        name[len(prefix) : -1]: ti["state"] for name, ti in result["tis"].items() if name.startswith(prefix)
    }


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
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local emulator
            return json.loads(response.read())

    def faults(self, rules: list[dict]) -> None:
        self._post("/_emulator/faults", rules)

    def clear_faults(self) -> None:
        self._post("/_emulator/faults", [])


def reset_circuit_breakers() -> None:
    """Every run of a test starts with closed circuit breakers (state: Variables aeris_circuit_<GAS>)."""
    url = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "", 1)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
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


class StatsdListener:
    """A real UDP socket collecting the StatsD lines a run sends (`env` points Airflow's metrics at it)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self.lines.extend(self.sock.recv(65535).decode().splitlines())
            except TimeoutError:
                continue

    @property
    def env(self) -> dict[str, str]:
        return {
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(self.sock.getsockname()[1]),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        }

    @property
    def names(self) -> set[str]:
        return {line.split(":", 1)[0] for line in self.lines}

    def __enter__(self) -> StatsdListener:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
