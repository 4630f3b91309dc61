"""Product lines end to end: the hourly run loads TEMPO's near-real-time product; `aeris_tempo_reprocess`
upgrades exactly the hours whose standard product CMR now lists, once; a near-real-time rerun of an
upgraded hour leaves the standard slice. The emulator publishes NRT and standard granules, with
different values, under TEMPO's real short names and versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from aeris.hooks.cmr import CmrHook

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


def _lines_and_reasons(db, hour: datetime) -> dict[str, tuple]:
    """{gas: (status, product_line, line_reason, short name)} of each gas's last ledger row of the hour."""
    with db.cursor() as cur:
        cur.execute("SELECT DISTINCT ON (gas_type) gas_type, status, product_line, line_reason, short_name"
                    " FROM ingest_log WHERE obs_time = %s ORDER BY gas_type, id DESC", (hour,))  # fmt: skip
        return {gas: rest for gas, *rest in cur.fetchall()}


def _slice_lines(db, hour: datetime) -> dict[str, str]:
    with db.cursor() as cur:
        cur.execute("SELECT gas_type, product_line FROM obs_partition WHERE obs_time = %s", (hour,))
        return dict(cur.fetchall())


def test_an_hour_older_than_nasas_nrt_window_loads_no2_and_ch2o_from_the_standard_line(db, emulator):
    """ASDC keeps NRT granules 14 days: a backfill of an hour 20 days ago asks the standard line."""
    hour = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0) - timedelta(days=20)
    forget_hours(db, [hour])
    emulator.publication({"nrt_window_days": 14})
    nrt = CmrHook().granules(concept_id("NO2", "nrt"), hour, hour + timedelta(hours=1), SMALL_BBOX)
    assert nrt == []  # the emulator's CMR has aged them out, as NASA's has

    result = run_dag(
        _logical(hour), {"bbox": SMALL_BBOX, "gases": ["NO2", "CH2O"]}, AERIS_NRT_WINDOW_DAYS="14"
    )
    assert result["state"] == "success", result["log"][-30:]
    assert ti_states(result, "gas.load_gas_hour") == {"NO2": "success", "CH2O": "success"}
    assert _slice_lines(db, hour) == {"NO2": "standard", "CH2O": "standard"}
    ledger = _lines_and_reasons(db, hour)
    for gas, short_name in (("NO2", "TEMPO_NO2_L3"), ("CH2O", "TEMPO_HCHO_L3")):
        status, line, why, name = ledger[gas]
        assert (status, line, name) == ("success", "standard", short_name)
        assert "older than NASA's 14-day near-real-time window" in why


def test_an_hour_the_nrt_line_lists_nothing_for_loads_from_the_standard_line(db, emulator):
    """Past its deadline (a backfill, a refill), an hour NRT never listed but standard does is loaded."""
    hour = datetime(2024, 9, 6, 16, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.hold(hour, None, collection=concept_id("NO2", "nrt"))
    result = run_dag(_logical(hour), HOURLY)
    assert result["state"] == "success", result["log"][-30:]
    assert _slice_lines(db, hour) == {"NO2": "standard"}
    status, line, why, _ = _lines_and_reasons(db, hour)["NO2"]
    assert (status, line) == ("success", "standard")
    assert why == "the near-real-time line lists nothing for the hour; the standard line does"


def test_every_nrt_gas_of_an_hour_is_upgraded_whatever_else_was_republished(db, emulator):
    """Yesterday 19:00 loaded NO2 and CH2O from NRT; the standard granules are listed, and NO2's are
    then republished: the reprocess run upgrades both gases, once each."""
    hour = (datetime.now(UTC) - timedelta(days=1)).replace(hour=19, minute=0, second=0, microsecond=0)
    forget_hours(db, [hour])
    emulator.publication({"standard_delay_s": 3600})  # standard granules out an hour after their scan
    both = {"bbox": SMALL_BBOX, "gases": ["NO2", "CH2O"]}
    hourly = run_dag(_logical(hour), both)
    assert hourly["state"] == "success", hourly["log"][-30:]
    assert _slice_lines(db, hour) == {"NO2": "nrt", "CH2O": "nrt"}

    emulator.republish(hour, revision=2, collection=concept_id("NO2", "standard"))
    reprocess = run_dag(datetime.now(UTC).replace(microsecond=0).isoformat(), {**both, "days": 3},
                        dag_id="aeris_tempo_reprocess")  # fmt: skip
    assert reprocess["state"] == "success", reprocess["log"][-30:]
    assert _slice_lines(db, hour) == {"NO2": "standard", "CH2O": "standard"}
    ledger = _lines_and_reasons(db, hour)
    assert {gas: tuple(ledger[gas][:2]) for gas in ("NO2", "CH2O")} == {
        "NO2": ("success", "standard"), "CH2O": ("success", "standard")}  # fmt: skip
