"""The app's role `aeris_reader` reads the contract and cannot write anything."""

from __future__ import annotations

import psycopg
import pytest


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat) VALUES ('x', 0, 0, 1, 1)",
        "DELETE FROM route_exposure",
        "DELETE FROM pollution_obs_no2",
        "UPDATE saved_routes SET last_computed_score = 0",
        "DROP TABLE ingest_log",
        "SELECT count(*) FROM ingest_log",  # the ledger is the pipeline's, not the read contract
    ],
)
def test_the_reader_cannot_write(conn, admin_conn, statement):
    conn = admin_conn  # SET ROLE needs membership: the superuser has it, the pipeline does not
    with conn.cursor() as cur:
        cur.execute("SET ROLE aeris_reader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute(statement)
    conn.rollback()


def test_the_reader_reads_the_contract(conn, admin_conn):
    conn = admin_conn
    with conn.cursor() as cur:
        cur.execute("SET ROLE aeris_reader")
        cur.execute("SELECT count(*) FROM (SELECT * FROM pollution_grid LIMIT 10) g")
        cur.execute("SELECT count(*) FROM route_exposure")
        cur.execute("SELECT id, last_computed_score, score_hour FROM saved_routes LIMIT 1")
        cur.execute("SELECT * FROM pollution_latest")
        cur.execute("SELECT * FROM pollution_at(-100, 36)")
        cur.execute("SELECT * FROM route_exposure_now(1)")
        cur.execute("SELECT has_table_privilege('aeris_reader', 'pollution_obs_no2', 'INSERT')")
        assert cur.fetchone() == (False,)
    conn.rollback()
