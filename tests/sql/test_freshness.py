"""pollution_freshness (read contract) against a ledger written by hand: each gas's newest published
hour, its product, when CMR listed it and when it was published, and the lags computed here by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from aeris_lib.db.migrate import apply_migrations

H = datetime(2026, 12, 1, 14, tzinfo=UTC)


@pytest.fixture(scope="module")
def ledger(scratch_url):
    conn = psycopg.connect(scratch_url)
    apply_migrations(conn)
    partitions = [  # gas, hour, table, rows, line, short name, version
        ("NO2", H - timedelta(hours=1), "pobs_no2_2026120113_00000001", 10, "nrt", "TEMPO_NO2_L3_NRT", "V02"),
        ("NO2", H, "pobs_no2_2026120114_00000002", 10, "nrt", "TEMPO_NO2_L3_NRT", "V02"),
        ("NO2", H + timedelta(hours=1), "pobs_no2_2026120115_00000003", 0, "nrt", "TEMPO_NO2_L3_NRT", "V02"),
        ("O3", H - timedelta(days=1), "pobs_o3_2026113014_00000004", 10, "standard", "TEMPO_O3TOT_L3", "V04"),
    ]
    ledger_rows = [  # gas, hour, status, listed_at, published_at
        ("NO2", H, "success", H + timedelta(minutes=95), H + timedelta(minutes=130)),  # an earlier load
        ("NO2", H, "failed", None, None),
        ("NO2", H, "success", H + timedelta(minutes=100), H + timedelta(minutes=125)),  # the one published
        ("O3", H - timedelta(days=1), "success", H - timedelta(hours=20), H - timedelta(hours=19)),
    ]
    with conn.cursor() as cur:
        for row in partitions:
            cur.execute("INSERT INTO obs_partition (gas_type, obs_time, table_name, row_count, product_line,"
                        " short_name, version) VALUES (%s, %s, %s, %s, %s, %s, %s)", row)  # fmt: skip
        for gas, hour, status, listed, published in ledger_rows:
            cur.execute("INSERT INTO ingest_log (gas_type, obs_time, status, listed_at, published_at)"
                        " VALUES (%s, %s, %s, %s, %s)", (gas, hour, status, listed, published))  # fmt: skip
    conn.commit()
    yield conn
    conn.close()


def test_each_gas_has_its_newest_published_hour_and_its_lags(ledger):
    with ledger.cursor() as cur:
        cur.execute("SELECT gas_type, latest_hour, product_line, short_name, version, listed_at, published_at,"
                    " publication_lag, behind, now() FROM pollution_freshness ORDER BY gas_type")  # fmt: skip
        no2, o3 = cur.fetchall()
    # NO2: 15:00 has no rows (row_count 0), so 14:00 is the newest; its last successful load published it.
    assert no2[:7] == ("NO2", H, "nrt", "TEMPO_NO2_L3_NRT", "V02", H + timedelta(minutes=100),
                       H + timedelta(minutes=125))  # fmt: skip
    assert no2[7] == timedelta(minutes=125 - 60)  # published 65 min after the hour ended at 15:00
    assert no2[8] == no2[9] - (H + timedelta(hours=1))
    assert o3[1:3] == (H - timedelta(days=1), "standard") and o3[7] == timedelta(hours=4)


def test_the_app_reads_it_as_it_reads_the_grid(ledger):
    with ledger.cursor() as cur:
        cur.execute("SELECT gas_type, latest_hour FROM pollution_freshness EXCEPT"
                    ' SELECT gas_type, "timestamp" FROM pollution_latest')  # fmt: skip
        assert cur.fetchall() == []
