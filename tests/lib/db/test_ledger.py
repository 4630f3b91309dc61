"""aeris_lib.db.ledger: one ingest_log row per attempt at a gas-hour, whatever its outcome, with no
credential in its reason."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from aeris_lib.db import ledger

HOUR = datetime(2031, 5, 6, 15, tzinfo=UTC)


def rows(conn, gas: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT status, error_message, product_line, short_name, version, rows_written"
                    " FROM ingest_log WHERE gas_type = %s AND obs_time = %s ORDER BY id", (gas, HOUR))  # fmt: skip
        found = cur.fetchall()
    conn.rollback()
    return found


@pytest.fixture
def clean(conn):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE obs_time = %s", (HOUR,))
    conn.commit()
    return conn


@pytest.mark.unit
def test_an_unknown_outcome_is_refused_before_anything_is_written():
    with pytest.raises(ValueError, match="unknown ledger outcome 'exploded'"):
        ledger.record_outcome(object(), "NO2", HOUR, "exploded", "why")


def test_an_outcome_is_one_row_with_its_product_and_a_redacted_reason(clean):
    reason = "download of https://s3.example/a.nc?X-Amz-Signature=secret failed"
    row_id = ledger.record_outcome(clean, "NO2", HOUR, ledger.HARMONY_FAILED, reason,
                                   product=ledger.Product("nrt", "TEMPO_NO2_L3_NRT", "V02"))  # fmt: skip
    assert isinstance(row_id, int)
    ((status, error, line, short_name, version, _),) = rows(clean, "NO2")
    assert (status, line, short_name, version) == ("harmony_failed", "nrt", "TEMPO_NO2_L3_NRT", "V02")
    assert "secret" not in error and "https://s3.example/a.nc?…" in error


def test_a_load_row_runs_then_finishes_and_a_failure_keeps_the_counts(clean):
    done = ledger.start_load(clean, "O3", HOUR, sha256="ab" * 32, job_id="j-1")
    with clean.cursor() as cur:
        ledger.finish_load(cur, done, "success", rows_written=10, cells_read=12, cells_skipped=2)
    clean.commit()
    failing = ledger.start_load(clean, "O3", HOUR)
    ledger.record_load_failure(clean, failing, RuntimeError("token Bearer abcdefgh12345678 expired"),
                               {"cells_read": 5})  # fmt: skip
    (first, second) = rows(clean, "O3")
    assert (first[0], first[5]) == ("success", 10)
    assert second[0] == "failed" and second[1].startswith("RuntimeError: token Bearer ***")


def test_a_lost_connection_does_not_hide_the_loads_own_error(clean, caplog):
    failing = ledger.start_load(clean, "AI", HOUR)
    clean.close()
    caplog.set_level(logging.WARNING, logger="aeris_lib.db.ledger")
    ledger.record_load_failure(clean, failing, RuntimeError("disk full"), {})
    assert "could not record the failed load in ingest_log" in caplog.text
