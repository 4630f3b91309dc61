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


BBOX = (-100.0, 30.0, -98.0, 32.0)
SOURCE = {"line": "standard", "short_name": "TEMPO_NO2_L3", "version": "V03", "max_cells": None, "bbox": BBOX}


@pytest.mark.unit
def test_the_same_source_is_the_same_granules_revisions_product_cap_and_bbox():
    last = ledger.LastLoad(
        1, "success", {"a.nc": 1, "b.nc": 2}, "standard", "TEMPO_NO2_L3", "V03", None, BBOX
    )
    assert last.same_source({"a.nc": 1, "b.nc": 2}, **SOURCE)
    assert last.same_source({"a.nc": 1, "b.nc": 2}, **(SOURCE | {"bbox": [-100.0000001, 30, -98, 32]}))
    different = [
        ({"a.nc": 1, "b.nc": 3}, {}),  # republished
        ({"a.nc": 1}, {}),  # a granule fewer
        ({"a.nc": 1, "b.nc": 2, "c.nc": 1}, {}),  # a granule more
        ({"a.nc": 1, "b.nc": 2}, {"line": "nrt"}),
        ({"a.nc": 1, "b.nc": 2}, {"version": "V04"}),
        ({"a.nc": 1, "b.nc": 2}, {"max_cells": 1000}),
        ({"a.nc": 1, "b.nc": 2}, {"bbox": (-101.0, 30.0, -98.0, 32.0)}),
    ]
    for revisions, changed in different:
        assert not last.same_source(revisions, **(SOURCE | changed)), (revisions, changed)
    # What was not recorded (revision 0, no bbox) never counts as the same.
    assert not ledger.LastLoad(
        1, "success", {"a.nc": 0}, "standard", "TEMPO_NO2_L3", "V03", None, BBOX
    ).same_source({"a.nc": 0}, **SOURCE)
    assert not ledger.LastLoad(
        1, "success", {"a.nc": 1}, "standard", "TEMPO_NO2_L3", "V03", None, None
    ).same_source({"a.nc": 1}, **SOURCE)


@pytest.mark.integration
def test_last_load_is_the_load_the_published_slice_came_from(clean, tmp_path):
    import numpy as np

    from aeris_lib.db.load import load_slice
    from tests.support.db import forget_hours
    from tests.support.geotiff import NORTH, STEP, WEST, write_geotiff

    forget_hours(clean, [HOUR], keep_capabilities=True)
    clean.commit()
    assert ledger.last_load(clean, "CH2O", HOUR) is None
    path = str(write_geotiff(tmp_path / "hcho.tif", np.linspace(1e15, 2e16, 100).reshape(10, 10)))
    first = load_slice(clean, path, "CH2O", HOUR, source_sha256="c" * 64, audit_bbox=None, granules=["a.nc"],
                       granule_revisions={"a.nc": 3}, short_name="TEMPO_HCHO_L3", version="V03")  # fmt: skip
    assert first.status == "success"
    # The reconcile's own row (no file read) is not a load: the slice still came from the first.
    ledger.record_outcome(clean, "CH2O", HOUR, ledger.UNCHANGED, "already published", granules=["a.nc"])
    last = ledger.last_load(clean, "CH2O", HOUR)
    assert last is not None and (last.status, last.revisions, last.version, last.bbox) == (
        "success", {"a.nc": 3}, "V03", None,
    )  # fmt: skip
    # A load over a bbox records it; its rerun of the same file (`unchanged`) is the last load then.
    bbox = (WEST, NORTH - 10 * STEP, WEST + 10 * STEP, NORTH)
    for sha in ("d", "d"):
        load_slice(clean, path, "CH2O", HOUR, source_sha256=sha * 64, audit_bbox=bbox, granules=["a.nc"],
                   granule_revisions={"a.nc": 4}, short_name="TEMPO_HCHO_L3", version="V03")  # fmt: skip
    last = ledger.last_load(clean, "CH2O", HOUR)
    assert (last.status, last.revisions, last.bbox) == ("unchanged", {"a.nc": 4}, pytest.approx(bbox))
    assert last.same_source({"a.nc": 4}, line="standard", short_name="TEMPO_HCHO_L3", version="V03",
                            max_cells=None, bbox=bbox)  # fmt: skip
