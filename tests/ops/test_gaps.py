"""Gap report and refill: a hole made on purpose is found and only it is refilled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from aeris_lib.gaps import daytime_hours, find_gaps
from tests.support.dag_runs import SMALL_BBOX, run_dag
from tests.support.db import airflow_db_url

pytestmark = pytest.mark.integration

DAY = datetime(2024, 9, 14, tzinfo=UTC)
HOLE = DAY.replace(hour=15)


def _fill_ledger_except_hole(conn) -> None:
    with conn.cursor() as cur:
        # The day's scan hours, the one after midnight included (a summer day's last scan ends ~00:52).
        cur.execute("DELETE FROM ingest_log WHERE gas_type = 'NO2' AND obs_time >= %s AND obs_time < %s",
                    (DAY, DAY + timedelta(days=1, hours=1)))  # fmt: skip
        for hour in daytime_hours(DAY, DAY + timedelta(days=1, hours=1)):
            if hour != HOLE:
                cur.execute(
                    "INSERT INTO ingest_log (gas_type, obs_time, status, rows_written) VALUES ('NO2', %s, 'success', 1)",
                    (hour,),
                )
    conn.commit()


def test_gap_report_finds_the_hole_and_refills_only_it(conn, emulator):
    _fill_ledger_except_hole(conn)
    assert find_gaps(conn, ["NO2"], DAY + timedelta(days=1, hours=3), days=1) == {HOLE: ["NO2"]}
    # An hour TEMPO's last scan covers after sunset is loaded when CMR lists it: a failed try there is a
    # gap too, while a night hour nobody tried is not.
    night, quiet = DAY + timedelta(days=1, hours=1), DAY + timedelta(days=1, hours=2)
    assert daytime_hours(night, quiet + timedelta(hours=1)) == []
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE gas_type = 'NO2' AND obs_time IN (%s, %s)", (night, quiet))
        cur.execute(
            "INSERT INTO ingest_log (gas_type, obs_time, status) VALUES ('NO2', %s, 'harmony_failed')",
            (night,),
        )
    conn.commit()
    assert find_gaps(conn, ["NO2"], quiet + timedelta(hours=1), days=3 / 24) == {night: ["NO2"]}
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE gas_type = 'NO2' AND obs_time = %s", (night,))
    conn.commit()
    # A fraction of a day looks back exactly that many hours: the hole and the hour after, or not it.
    assert find_gaps(conn, ["NO2"], HOLE + timedelta(hours=2), days=2 / 24) == {HOLE: ["NO2"]}
    assert find_gaps(conn, ["NO2"], HOLE + timedelta(hours=2), days=1 / 24) == {}

    airflow_db = psycopg.connect(airflow_db_url())
    airflow_db.autocommit = True
    started = datetime.now(UTC)
    try:
        report = run_dag("2024-09-15T03:30:00+00:00", {"days": 1, "gases": ["NO2"], "refill": True},
                         dag_id="aeris_gap_report")  # fmt: skip
        assert report["state"] == "success", report["tis"]
        with airflow_db.cursor() as cur:
            cur.execute(
                "SELECT run_id, conf FROM dag_run WHERE dag_id = 'aeris_tempo_hourly' AND queued_at >= %s",
                (started,),
            )
            triggered = cur.fetchall()
        assert len(triggered) == 1, triggered
        conf = triggered[0][1] if isinstance(triggered[0][1], dict) else json.loads(triggered[0][1])
        assert (conf["hour"], conf["gases"]) == (HOLE.isoformat(), ["NO2"])

        # The refill run, executed as the scheduler would, closes the hole.
        refill = run_dag((HOLE + timedelta(hours=1)).isoformat(), {**conf, "bbox": SMALL_BBOX})
        assert refill["tis"]["gas.load_gas_hour[NO2]"]["state"] == "success", refill["tis"]
        assert find_gaps(conn, ["NO2"], DAY + timedelta(days=1, hours=3), days=1) == {}
    finally:
        with airflow_db.cursor() as cur:  # leave no queued run behind for a later scheduler
            cur.execute(
                "DELETE FROM dag_run WHERE dag_id = 'aeris_tempo_hourly' AND run_type = 'operator_triggered'"
                " AND state = 'queued' AND queued_at >= %s",
                (started,),
            )
        airflow_db.close()
