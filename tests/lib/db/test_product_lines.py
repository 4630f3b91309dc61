"""Product lines at the store: each slice says which line it came from, a standard load replaces a
near-real-time slice (the upgrade, in the ledger), and a near-real-time load never replaces a standard one."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from aeris_lib.db.load import load_slice
from tests.support.geotiff import write_geotiff

HOUR = datetime(2017, 8, 21, 18, tzinfo=UTC)


def _state(db) -> tuple:
    with db.cursor() as cur:
        cur.execute(
            "SELECT product_line, row_count FROM obs_partition WHERE gas_type = 'NO2' AND obs_time = %s",
            (HOUR,),
        )
        line = cur.fetchone()
        cur.execute(
            "SELECT min(pollution_value) FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %s",
            (HOUR,),
        )
        value = float(np.float32(cur.fetchone()[0]))  # stored as the product's float32
        cur.execute("SELECT status, product_line, upgraded_from FROM ingest_log WHERE gas_type = 'NO2'"
                    " AND obs_time = %s ORDER BY id", (HOUR,))  # fmt: skip
        ledger = cur.fetchall()
    db.rollback()
    return line, value, ledger


@pytest.fixture
def clean(conn):
    def forget():
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM obs_partition WHERE obs_time = %s", (HOUR,))
            for (table,) in cur.fetchall():
                cur.execute(f"DROP TABLE {table}")
            cur.execute("DELETE FROM obs_partition WHERE obs_time = %s", (HOUR,))
            cur.execute("DELETE FROM ingest_log WHERE obs_time = %s", (HOUR,))
        conn.commit()

    forget()
    yield conn
    forget()


def test_nrt_then_standard_upgrade_then_nrt_again_keeps_standard(clean, tmp_path):
    def tif(name: str, value: float):
        return str(write_geotiff(tmp_path / name, np.full((3, 4), value, dtype=np.float32)))

    first = load_slice(clean, tif("nrt.tif", 1e15), "NO2", HOUR, product_line="nrt")
    assert first.status == "success"
    assert _state(clean)[:2] == (("nrt", 12), float(np.float32(1e15)))

    upgrade = load_slice(
        clean, tif("std.tif", 2e15), "NO2", HOUR, product_line="standard", upgraded_from="nrt"
    )
    assert upgrade.status == "success"
    assert _state(clean)[:2] == (("standard", 12), float(np.float32(2e15)))

    again = load_slice(clean, tif("nrt2.tif", 3e15), "NO2", HOUR, product_line="nrt", source_sha256="f" * 64)
    assert (again.status, again.rows_written, again.rows_in_slice) == ("kept_standard", 0, 12)
    line, value, ledger = _state(clean)
    assert (line, value) == (("standard", 12), float(np.float32(2e15)))
    assert ledger == [
        ("success", "nrt", None),
        ("success", "standard", "nrt"),
        ("kept_standard", "nrt", None),
    ]


def test_a_standard_reload_replaces_a_standard_slice(clean, tmp_path):
    for value in (4e15, 5e15):
        path = write_geotiff(tmp_path / f"{value}.tif", np.full((2, 2), value, dtype=np.float32))
        assert load_slice(clean, str(path), "NO2", HOUR, product_line="standard").status == "success"
    assert _state(clean)[:2] == (("standard", 4), float(np.float32(5e15)))


def test_an_unknown_line_is_refused(clean, tmp_path):
    path = write_geotiff(tmp_path / "x.tif", np.full((2, 2), 1e15, dtype=np.float32))
    with pytest.raises(ValueError, match="product_line must be nrt or standard, got 'fast'"):
        load_slice(clean, str(path), "NO2", HOUR, product_line="fast")
