"""aeris.sensors.publication: GasPublicationSensor decides before it waits (no verified product, an open
breaker) and records every skip and a wrong product version in the ledger. CMR is the test's own
emulator over HTTP; the ledger is the real PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aeris.sensors.publication import GasPublicationSensor
from aeris.tasks.breaker import RecordedFailure
from airflow.sdk.exceptions import AirflowSkipException

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from harmony_emulator.scans import V03_LAST_DAY

BBOX = (-100.0, 35.0, -98.0, 37.0)
V03_NO2 = "C2930763263-LARC_CLOUD"


def sensor(gas: str, hour: datetime, collection: str, version: str = "V04") -> GasPublicationSensor:
    entry = DEFAULT_CATALOG[gas]
    product = GasHour(entry, hour, BBOX, collection, "standard", entry.short_name, version).to_xcom()
    return GasPublicationSensor(task_id="wait_for_publication", product=product, poll_interval=0.5)


def ledger(conn, gas: str, hour: datetime) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT status, error_message FROM ingest_log WHERE gas_type = %s AND obs_time = %s"
                    " ORDER BY id", (gas, hour))  # fmt: skip
        rows = cur.fetchall()
    conn.rollback()
    return rows


def forget(conn, gas: str, hour: datetime) -> None:
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE gas_type = %s AND obs_time = %s", (gas, hour))
    conn.commit()


def test_a_gas_without_a_verified_product_is_skipped_and_recorded(conn, cmr):
    hour = datetime(2031, 6, 1, 16, tzinfo=UTC)
    forget(conn, "PM", hour)
    with pytest.raises(AirflowSkipException, match="no verified TEMPO product for PM"):
        sensor("PM", hour, "C0-NONE").execute({})
    assert [status for status, _ in ledger(conn, "PM", hour)] == ["no_product"]


def test_a_night_hour_is_skipped_at_once_and_recorded_as_no_scan(conn, cmr):
    hour = datetime(2024, 9, 2, 5, tzinfo=UTC)
    forget(conn, "NO2", hour)
    with pytest.raises(AirflowSkipException, match="outside TEMPO's scan window"):
        sensor("NO2", hour, "C3685896708-LARC_CLOUD").execute({})
    assert [status for status, _ in ledger(conn, "NO2", hour)] == ["no_scan"]


def test_a_version_that_stopped_fails_naming_the_one_that_lists_the_hour(conn, cmr):
    hour = datetime.combine(V03_LAST_DAY + timedelta(days=30), datetime.min.time(), UTC).replace(hour=17)
    forget(conn, "NO2", hour)
    with pytest.raises(RecordedFailure, match="TEMPO_NO2_L3 V04"):
        sensor("NO2", hour, V03_NO2, version="V03").execute({})
    ((status, reason),) = ledger(conn, "NO2", hour)
    assert status == "wrong_version" and "lists no granule around" in reason
