"""aeris.tasks.reconcile: an hour CMR lists exactly as its published slice was loaded from needs no
Harmony job (the hourly DAG behind the event path), and the ledger says so; a new revision, another
bbox or `force_reload` asks Harmony again. With the scheduler: tests/e2e/test_events_dag.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from aeris.hooks import staging
from aeris.tasks.reconcile import unchanged_at_once

from aeris_lib.db.load import load_slice
from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from tests.support.db import forget_hours, ledger_rows
from tests.support.geotiff import write_geotiff

HOUR = datetime(2024, 9, 6, 20, tzinfo=UTC)
BBOX = (-100.0, 35.0, -98.0, 37.0)
GAS_HOUR = GasHour(DEFAULT_CATALOG["NO2"], HOUR, BBOX, "C1-LARC_CLOUD", "nrt", "TEMPO_NO2_L3_NRT", "V02")


def listing(revision: int) -> dict:
    return {"granules": [{"name": name, "start": HOUR.isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat(),
                          "revision": revision} for name in ("a.nc", "b.nc")], "complete": True}  # fmt: skip


@pytest.fixture
def published(db, tmp_path, monkeypatch):
    monkeypatch.delenv("AERIS_MAX_CELLS", raising=False)
    forget_hours(db, [HOUR], keep_capabilities=True)
    db.commit()
    path = str(write_geotiff(tmp_path / "no2.tif", np.linspace(1e15, 2e16, 100).reshape(10, 10)))
    load_slice(db, path, "NO2", HOUR, source_sha256="9" * 64, audit_bbox=BBOX, product_line="nrt",
               short_name="TEMPO_NO2_L3_NRT", version="V02", granule_revisions={"a.nc": 1, "b.nc": 1})  # fmt: skip
    staging.store().put(Path(path), staging.audit_key("NO2", HOUR))  # its audit copy, as the load makes
    yield db
    forget_hours(db, [HOUR], keep_capabilities=True)
    db.commit()


def test_the_same_listing_is_unchanged_at_once_and_the_ledger_says_why(published):
    reason = unchanged_at_once(GAS_HOUR, listing(1), params={})
    assert reason and "same 2 granule(s) at the same CMR revisions" in reason
    published.rollback()
    _, status, message, granules = ledger_rows(published, HOUR, "NO2")[-1]
    assert (status, granules) == ("unchanged", ["a.nc", "b.nc"]) and "no Harmony job" in message


def test_a_missing_audit_copy_asks_harmony_again_so_that_the_load_writes_it(published):
    staging.store().delete([staging.audit_key("NO2", HOUR)])
    assert unchanged_at_once(GAS_HOUR, listing(1), params={}) is None


def test_a_new_revision_another_bbox_or_force_reload_asks_harmony_again(published):
    assert unchanged_at_once(GAS_HOUR, listing(2), params={}) is None
    wider = GasHour(
        GAS_HOUR.entry, HOUR, (-101.0, 35.0, -98.0, 37.0), "C1-LARC_CLOUD", "nrt", "TEMPO_NO2_L3_NRT", "V02"
    )
    assert unchanged_at_once(wider, listing(1), params={}) is None
    assert unchanged_at_once(GAS_HOUR, listing(1), params={"force_reload": True}) is None
    published.rollback()
    assert [row[1] for row in ledger_rows(published, HOUR, "NO2")] == ["success"]  # nothing recorded
