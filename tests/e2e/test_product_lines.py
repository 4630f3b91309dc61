"""Product lines end to end: the hourly run loads TEMPO's near-real-time product; `aeris_tempo_reprocess`
upgrades exactly the hours whose standard product CMR now lists, once; a near-real-time rerun of an
upgraded hour leaves the standard slice. The emulator publishes NRT and standard granules, with
different values, under TEMPO's real short names and versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.catalog_ids import concept_id
from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import forget_hours, slice_snapshot

pytestmark = pytest.mark.integration

H1 = datetime(2024, 9, 4, 15, tzinfo=UTC)
H2 = H1 + timedelta(hours=3)  # not adjacent: a held scan that straddles two hours must not touch H1
HOURLY = {"bbox": SMALL_BBOX, "gases": ["NO2"]}
REPROCESS = {"bbox": SMALL_BBOX, "gases": ["NO2"], "days": 5000}


def _logical(hour: datetime) -> str:
    return (hour + timedelta(hours=1)).isoformat()


def _line(db, hour: datetime) -> str:
    with db.cursor() as cur:
        cur.execute(
            "SELECT product_line FROM obs_partition WHERE gas_type = 'NO2' AND obs_time = %s", (hour,)
        )
        return cur.fetchone()[0]


def _ledger(db, hour: datetime) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("SELECT status, product_line, upgraded_from, granules[1] FROM ingest_log"
                    " WHERE gas_type = 'NO2' AND obs_time = %s ORDER BY id", (hour,))  # fmt: skip
        return cur.fetchall()


def test_nrt_hourly_then_a_reprocess_upgrade_once_then_an_nrt_rerun_keeps_standard(db, emulator, tmp_path):
    forget_hours(db, [H1, H2])
    for hour in (H1, H2):
        result = run_dag(_logical(hour), HOURLY)
        assert result["state"] == "success", result["log"][-30:]
        assert _line(db, hour) == "nrt"
        [(status, line, upgraded_from, granule)] = _ledger(db, hour)
        assert (status, line, upgraded_from) == ("success", "nrt", None) and "_NRT_V02_" in granule
    nrt = slice_snapshot(db, H1)["NO2"]

    # The standard product covers H1 but not yet H2 (TEMPO reprocesses later).
    emulator.hold(H2, None, collection=concept_id("NO2", "standard"))
    result = run_dag("2024-09-10T06:30:00+00:00", REPROCESS, dag_id="aeris_tempo_reprocess")
    assert result["state"] == "success", result["log"][-30:]
    assert list(ti_states(result, "upgrade.load_gas_hour").values()) == ["success"]
    assert (_line(db, H1), _line(db, H2)) == ("standard", "nrt")
    assert (
        _ledger(db, H1)[-1][:3] == ("success", "standard", "nrt")
        and "TEMPO_NO2_L3_V04_" in _ledger(db, H1)[-1][3]
    )
    standard = slice_snapshot(db, H1)["NO2"]
    assert standard[0] == nrt[0] and standard[2] != nrt[2]  # the same cells, the standard product's values

    # Once: nothing left to upgrade while H2's standard granules are held back.
    again = run_dag("2024-09-11T06:30:00+00:00", REPROCESS, dag_id="aeris_tempo_reprocess")
    assert again["state"] == "success"
    assert ti_states(again, "upgrade.load_gas_hour") == {} and len(_ledger(db, H1)) == 2

    # A rerun that insists on the near-real-time product leaves the standard slice ...
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"NO2": {"line": "nrt"}}))
    rerun = run_dag(_logical(H1), HOURLY, AERIS_GAS_CATALOG_FILE=str(catalog))
    assert rerun["state"] == "success"
    assert _ledger(db, H1)[-1][:2] == ("kept_standard", "nrt") and slice_snapshot(db, H1)["NO2"] == standard
    # ... and a plain rerun asks the standard product again: the same file, nothing written.
    plain = run_dag(_logical(H1), HOURLY)
    assert plain["state"] == "success"
    assert _ledger(db, H1)[-1][:2] == ("unchanged", "standard") and slice_snapshot(db, H1)["NO2"] == standard
