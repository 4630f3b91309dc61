"""TEMPO as NASA publishes it today, end to end through `dag.test()` and the emulator over real HTTP:
V04 is the standard version (V03 stopped on 2025-09-16), the day's first scan can reach CMR after the
second, granules are republished under the same name, and every failed try is a ledger row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import forget_hours, ledger_rows, slice_snapshot

pytestmark = pytest.mark.integration

# A box over New England: at 10 UTC in June the sun is up there (it is night over SMALL_BBOX).
EAST_BBOX = [-72.0, 41.0, -70.0, 43.0]
WAITING = {"AERIS_PUBLICATION_POLL_SECONDS": "1", "AERIS_PUBLICATION_DEADLINE_MINUTES": "10000000"}


def _logical(hour: datetime) -> str:
    return (hour + timedelta(hours=1)).isoformat()


def _pin(tmp_path, **versions: str) -> str:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({gas: {"version": version} for gas, version in versions.items()}))
    return str(catalog)


def _product(db, gas: str, hour: datetime) -> tuple:
    with db.cursor() as cur:
        cur.execute("SELECT short_name, version, product_line FROM obs_partition"
                    " WHERE gas_type = %s AND obs_time = %s", (gas, hour))  # fmt: skip
        return cur.fetchone()


def _ledger(db, gas: str, hour: datetime) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("SELECT status, short_name, version, upgraded_from, granule_revisions FROM ingest_log"
                    " WHERE gas_type = %s AND obs_time = %s ORDER BY id", (gas, hour))  # fmt: skip
        return cur.fetchall()


def test_todays_hour_loads_v04_standard_and_v02_nrt_and_records_each_product(db, emulator):
    hour = datetime(2026, 6, 2, 16, tzinfo=UTC)
    forget_hours(db, [hour])
    result = run_dag(_logical(hour), {"bbox": SMALL_BBOX, "gases": ["NO2", "O3", "AI"]})
    assert result["state"] == "success", result["log"][-30:]
    assert ti_states(result, "gas.load_gas_hour") == {"NO2": "success", "O3": "success", "AI": "success"}
    assert _product(db, "O3", hour) == ("TEMPO_O3TOT_L3", "V04", "standard")
    assert _product(db, "AI", hour) == ("TEMPO_O3TOT_L3", "V04", "standard")
    assert _product(db, "NO2", hour) == ("TEMPO_NO2_L3_NRT", "V02", "nrt")
    [(status, short_name, version, _, revisions)] = _ledger(db, "O3", hour)
    assert (status, short_name, version) == ("success", "TEMPO_O3TOT_L3", "V04")
    assert revisions and all(
        name.startswith("TEMPO_O3TOT_L3_V04_") and r == 1 for name, r in revisions.items()
    )
    assert any("version latest = V04" in line for line in result["log"])


def test_a_pinned_version_without_granules_fails_by_name_at_once(db, emulator, tmp_path, smtp_server):
    hour = datetime(2026, 6, 2, 17, tzinfo=UTC)  # V03 stopped in 2025: only V04 has this hour
    forget_hours(db, [hour])
    result = run_dag(_logical(hour), {"bbox": SMALL_BBOX, "gases": ["O3"]},
                     AERIS_GAS_CATALOG_FILE=_pin(tmp_path, O3="V03"), **smtp_server.env)  # fmt: skip
    assert result["state"] == "failed"
    assert ti_states(result, "gas.harmony_job") == {"O3": "failed"}
    [(gas, status, reason, _)] = ledger_rows(db, hour)  # one row: the failure callback adds none
    assert (gas, status) == ("O3", "wrong_version")
    assert "TEMPO_O3TOT_L3 V03" in reason and "TEMPO_O3TOT_L3 V04" in reason and "set it to V04" in reason
    assert any("WRONG VERSION" in line for line in result["log"])
    assert _ledger(db, "O3", hour)[0][1:3] == ("TEMPO_O3TOT_L3", "V03")
    [alert] = smtp_server.messages  # the operator hears of it, with both versions named
    body = alert.get_body().get_content()
    assert alert["Subject"] == "AERIS: O3 2026-06-02 17:00 UTC failed" and "TEMPO_O3TOT_L3 V04" in body


def test_the_days_first_scan_published_after_the_second_is_waited_for_and_loaded(db, emulator):
    hour = datetime(2026, 6, 2, 10, tzinfo=UTC)  # S001 starts near 10:31; S002 near 11:11
    forget_hours(db, [hour])
    emulator.hold_first_scan(hour, available_in_s=30)
    result = run_dag(_logical(hour), {"bbox": EAST_BBOX, "gases": ["O3"]}, **WAITING)
    assert result["state"] == "success", result["log"][-30:]
    assert ti_states(result, "gas.load_gas_hour") == {"O3": "success"}
    assert any("not the day's first" in line for line in result["log"])  # it waited, and said why
    [(_, status, _, granules)] = ledger_rows(db, hour)
    assert status == "success" and granules == [g for g in granules if g.endswith("_S001.nc")]


def test_older_version_upgraded_then_a_republished_granule_reloaded_once(db, emulator, tmp_path):
    hour = datetime(2024, 9, 4, 16, tzinfo=UTC)  # V03 and V04 both cover 2024
    forget_hours(db, [hour])
    loaded = run_dag(_logical(hour), {"bbox": SMALL_BBOX, "gases": ["O3"]},
                     AERIS_GAS_CATALOG_FILE=_pin(tmp_path, O3="V03"))  # fmt: skip
    assert loaded["state"] == "success", loaded["log"][-30:]
    assert _product(db, "O3", hour)[:2] == ("TEMPO_O3TOT_L3", "V03")
    reprocess = {"bbox": SMALL_BBOX, "gases": ["O3"], "days": (datetime.now(UTC) - hour).days + 1}

    upgrade = run_dag("2024-09-10T06:30:00+00:00", reprocess, dag_id="aeris_tempo_reprocess")
    assert upgrade["state"] == "success", upgrade["log"][-30:]
    assert ti_states(upgrade, "upgrade.load_gas_hour") == {"O3": "success"}
    assert _product(db, "O3", hour)[:2] == ("TEMPO_O3TOT_L3", "V04")
    assert _ledger(db, "O3", hour)[-1][:4] == ("success", "TEMPO_O3TOT_L3", "V04", "TEMPO_O3TOT_L3 V03")
    v04 = slice_snapshot(db, hour)["O3"]

    emulator.republish(hour, revision=2, collection="C3685896625-LARC_CLOUD")
    again = run_dag("2024-09-11T06:30:00+00:00", reprocess, dag_id="aeris_tempo_reprocess")
    assert again["state"] == "success", again["log"][-30:]
    assert ti_states(again, "upgrade.load_gas_hour") == {"O3": "success"}
    assert any("republished in CMR" in line for line in again["log"])
    status, _, _, upgraded_from, revisions = _ledger(db, "O3", hour)[-1]
    assert (status, upgraded_from) == ("success", None) and 2 in revisions.values()
    assert slice_snapshot(db, hour)["O3"][2] != v04[2]  # the republished numbers are what is published

    once = run_dag("2024-09-12T06:30:00+00:00", reprocess, dag_id="aeris_tempo_reprocess")
    assert once["state"] == "success" and ti_states(once, "upgrade.load_gas_hour") == {}
    assert len(_ledger(db, "O3", hour)) == 3


def test_each_failed_try_is_one_ledger_row(db, emulator):
    hour = datetime(2024, 9, 4, 19, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.faults([{"fault": "job_failed", "variable": "product/column_amount_o3"}])
    result = run_dag(_logical(hour), {"bbox": SMALL_BBOX, "gases": ["O3"]})
    tries = result["tis"]["gas.harmony_job[O3]"]["try_number"]
    assert result["state"] == "failed" and tries == 3
    rows = _ledger(db, "O3", hour)
    assert [r[0] for r in rows] == ["harmony_failed"] * tries  # one per try, operators count attempts
    assert all(r[1:3] == ("TEMPO_O3TOT_L3", "V04") for r in rows)


def test_a_retry_after_a_failed_harmony_job_submits_a_new_one_and_loads(db, emulator):
    """Harmony fails the job once: the retry does not wait on the same failed job again, it submits a
    new one (submit and wait are one task) and the hour loads."""
    hour = datetime(2024, 9, 4, 20, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.faults([{"fault": "job_failed", "variable": "product/column_amount_o3", "times": 1}])
    before = emulator.stats()["rangeset_requests"]
    result = run_dag(_logical(hour), {"bbox": SMALL_BBOX, "gases": ["O3"]})
    assert result["state"] == "success", result["log"][-30:]
    assert result["tis"]["gas.harmony_job[O3]"]["try_number"] == 2
    assert emulator.stats()["rangeset_requests"] - before == 2  # the failed job, then a new one
    assert [r[0] for r in _ledger(db, "O3", hour)] == ["harmony_failed", "success"]
    assert any("not reusing Harmony job" in line and "it ended failed" in line for line in result["log"])


def test_summers_first_scan_listed_just_after_the_second_is_loaded_not_written_off(db, emulator):
    """15 July (summer): S001 runs about 10:31-11:11, S002 11:11-11:51 (reference: "Scan numbers"). CMR
    lists S002 first and S001 later; the deadline is days away. Hour 10:00 is S001's alone: it must wait
    for it and load it, on the NRT line as on the standard one."""
    hour = datetime(2026, 7, 15, 10, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.hold_first_scan(hour, available_in_s=10)  # seconds: the order matters, not the wait
    result = run_dag(_logical(hour), {"bbox": EAST_BBOX, "gases": ["NO2", "O3"]}, **WAITING)
    assert result["state"] == "success", result["log"][-30:]
    assert ti_states(result, "gas.load_gas_hour") == {"NO2": "success", "O3": "success"}
    rows = {gas: (status, granules) for gas, status, _, granules in ledger_rows(db, hour)}
    for gas in ("NO2", "O3"):
        status, granules = rows[gas]
        assert status == "success" and len(granules) == 1 and granules[0].endswith("_S001.nc")
    # An NRT slice over another bbox than the reprocess tests' small one: they must not meet it.
    forget_hours(db, [hour])


def _pairs(db, gas: str, hour: datetime) -> dict[tuple[int, int], list[float]]:
    """The slice's cells by former-grid pixel: {(column, global row // 2): [values]}; every cell must be
    one 0.02° pixel of the product's grid."""
    with db.cursor() as cur:
        cur.execute("SELECT ST_XMin(geom), ST_YMax(geom), ST_XMax(geom) - ST_XMin(geom),"
                    " ST_YMax(geom) - ST_YMin(geom), pollution_value FROM pollution_grid"
                    " WHERE gas_type = %s AND timestamp = %s", (gas, hour))  # fmt: skip
        cells = cur.fetchall()
    pairs: dict[tuple[int, int], list[float]] = {}
    for west, north, width, height, value in cells:
        assert (width, height) == pytest.approx((0.02, 0.02), abs=1e-9)
        pairs.setdefault((round((west + 180) / 0.02), round((90 - north) / 0.02) // 2), []).append(value)
    return pairs


def test_o3tot_on_its_former_grid_loads_on_todays_and_is_reloaded_once_nasa_overwrites_it(db, emulator):
    """NASA regridded O3TOT V04 (0.04° x 0.02° -> 0.02°) in April 2026, overwriting the files under the
    same names. An hour read before the overwrite loads on the product's grid (each former pixel split
    in two); once CMR lists the overwrite (revision 2), the reprocess run reloads O3 and AI from it."""
    hour = datetime(2025, 10, 15, 17, tzinfo=UTC)  # within 2025-09-17..2026-04-01
    forget_hours(db, [hour])
    emulator.o3tot_overwritten(False)
    gases = {"bbox": SMALL_BBOX, "gases": ["O3", "AI"]}
    loaded = run_dag(_logical(hour), gases)
    assert loaded["state"] == "success", loaded["log"][-30:]
    assert ti_states(loaded, "gas.load_gas_hour") == {"O3": "success", "AI": "success"}
    assert any(
        "split from the product's former 0.02 x 0.04° (lon x lat) grid" in line for line in loaded["log"]
    )
    for gas in ("O3", "AI"):
        former = _pairs(db, gas, hour)
        assert former and all(len(v) == 2 and v[0] == v[1] for v in former.values())
        [(status, _, version, _, revisions)] = _ledger(db, gas, hour)
        assert (status, version, set(revisions.values())) == ("success", "V04", {1})

    emulator.o3tot_overwritten(True)
    reprocess = {**gases, "days": (datetime.now(UTC) - hour).days + 1}
    reloaded = run_dag(datetime.now(UTC).replace(microsecond=0).isoformat(), reprocess,
                       dag_id="aeris_tempo_reprocess")  # fmt: skip
    assert reloaded["state"] == "success", reloaded["log"][-30:]
    assert ti_states(reloaded, "upgrade.load_gas_hour") == {"O3": "success", "AI": "success"}
    for gas in ("O3", "AI"):
        today = _pairs(db, gas, hour)
        split = [v for v in today.values() if len(v) == 2 and v[0] == v[1]]
        assert len(split) < len(today) / 4  # today's grid: two rows of a former pixel differ
        status, _, _, upgraded_from, revisions = _ledger(db, gas, hour)[-1]
        assert (status, upgraded_from, set(revisions.values())) == ("success", None, {2})
