"""aeris.ui.data: what the AERIS view reads besides the ledger: circuit breakers and the catalog from
Airflow's metadata DB (the api-server's own session), and where each gas-hour's map lives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg
import pytest
from aeris.ui import data

from aeris_lib.gases import DEFAULT_CATALOG
from tests.support.db import airflow_db_url, reset_circuit_breakers

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)


def set_variable(key: str, value: str) -> None:
    with psycopg.connect(airflow_db_url()) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM variable WHERE key = %s", (key,))
        cur.execute("INSERT INTO variable (key, val, is_encrypted) VALUES (%s, %s, false)", (key, value))
    conn.close()


@pytest.mark.unit
def test_a_gas_hours_map_sits_beside_its_audit_copy():
    assert data.map_key("NO2", HOUR) == "audit/geotiff/2024-09-01/NO2_15.png"


def test_open_breakers_are_those_at_the_threshold():
    reset_circuit_breakers()
    set_variable("aeris_circuit_NO2", json.dumps({"failed_hours": ["h1", "h2", "h3"]}))
    set_variable("aeris_circuit_O3", json.dumps({"failed_hours": ["h1"]}))
    try:
        assert data.open_breakers(3) == {"NO2": "3 consecutive failed hour(s), last h3"}
        assert set(data.open_breakers(1)) == {"NO2", "O3"}
    finally:
        reset_circuit_breakers()


def test_the_catalog_override_decides_which_gases_are_shown_and_a_bad_one_falls_back():
    verified = [gas for gas, entry in DEFAULT_CATALOG.items() if entry.verified]
    try:
        set_variable("aeris_gas_catalog", "{not json")
        assert data.verified_gases() == verified
    finally:
        with psycopg.connect(airflow_db_url()) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM variable WHERE key = 'aeris_gas_catalog'")
        conn.close()
    assert data.verified_gases() == verified and "PM" not in verified
