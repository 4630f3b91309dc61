"""`dag.test()` of aeris_tempo_hourly end to end: the real PostGIS, Redis and S3 endpoint started by
`make test`, and the Harmony emulator over HTTP (with its CMR) through the production code path.
TEMPO's timing as it is: granules per scan, published late, none at night, bad files."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO

import boto3
import numpy as np
import pystac
import pytest
import rasterio
import redis

from aeris_lib import archive
from aeris_lib.gaps import find_gaps
from aeris_lib.gases import DEFAULT_CATALOG
from harmony_emulator.granules import FILL, render_geotiff
from harmony_emulator.scans import granule_name, scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import asset_events, forget_hours, forget_jobs, ledger_rows, slice_snapshot

pytestmark = pytest.mark.integration

VERIFIED_GASES = {"NO2", "CH2O", "AI", "O3"}
CONF = {"bbox": SMALL_BBOX}
GASES = ("NO2", "CH2O", "AI", "PM", "O3")  # every gas: the DAG's default
# The triggerer asks CMR every second; a deadline far ahead keeps an old hour "not yet late".
WAITING = {"AERIS_PUBLICATION_POLL_SECONDS": "1", "AERIS_PUBLICATION_DEADLINE_MINUTES": "10000000"}


def _s3():
    return boto3.client("s3", endpoint_url=os.environ["AERIS_S3_ENDPOINT_URL"])


def _last_update() -> str | None:
    value = redis.Redis.from_url(os.environ["REDIS_URL"]).get("tempo:last_update")
    return value.decode() if value else None


def _newest_loaded_hour(db) -> datetime:
    with db.cursor() as cur:
        cur.execute("SELECT max(obs_time) FROM obs_partition WHERE row_count > 0")
        return cur.fetchone()[0]


def _expected_no2_cells(hour: datetime) -> tuple[list[str], np.ndarray]:
    """Granule names and the valid values of the hour as an independent mean of the emulator's
    per-scan files (union of cells, mean where both scans observed one)."""
    product = DEFAULT_CATALOG["NO2"]
    collection = concept_id("NO2", "nrt")  # the hourly run asks for the near-real-time product
    scans = scans_overlapping(hour, hour + timedelta(hours=1))
    sums, counts = 0.0, 0
    for scan in scans:
        with rasterio.open(
            BytesIO(render_geotiff(collection, product.variable, tuple(SMALL_BBOX), scan))
        ) as src:
            values = src.read(1).astype(np.float64)
        valid = values > FILL / 10
        sums, counts = sums + np.where(valid, values, 0.0), counts + valid
    means = (sums[counts > 0] / counts[counts > 0]).astype(np.float32)
    return [granule_name(collection, s) for s in scans], np.sort(means.astype(np.float64))


def test_daytime_hour_end_to_end_two_scans_then_a_rerun_is_unchanged_at_once(
    emulator, db, test_route, audit_bucket, tmp_path
):
    hour = datetime(2024, 9, 2, 16, tzinfo=UTC)
    forget_hours(db, [hour])
    # Start from no "now": a value left by another stack's runs would otherwise stay (it only advances).
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete("tempo:last_update")
    result = run_dag("2024-09-02T17:00:00+00:00", CONF)

    loads = ti_states(result, "gas.load_gas_hour")
    assert {gas for gas, state in loads.items() if state == "success"} == VERIFIED_GASES, result["tis"]
    # PM has no TEMPO product: skipped with its reason before any request, and the run is green.
    assert ti_states(result, "gas.harmony_job")["PM"] == "skipped"
    [(_, status, reason, _)] = ledger_rows(db, hour, "PM")
    assert status == "no_product" and "no verified TEMPO product" in reason
    assert result["tis"]["recompute_saved_route_exposure"]["state"] == "success"
    assert result["state"] == "success"

    first = slice_snapshot(db, hour)
    assert set(first) == VERIFIED_GASES
    for gas, (rows, distinct_cells, _) in first.items():
        assert 0 < rows <= 100 * 100, gas
        assert rows == distinct_cells, f"{gas}: duplicated cells"

    # Two scans overlap the hour: the slice is their union, with the mean where both observed a cell.
    granules, expected = _expected_no2_cells(hour)
    assert len(granules) == 2
    with db.cursor() as cur:
        cur.execute(
            "SELECT pollution_value FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %s", (hour,)
        )
        stored = np.sort(np.array([v for (v,) in cur.fetchall()]))
    assert stored.size == expected.size == first["NO2"][0]
    np.testing.assert_allclose(stored, expected, rtol=1e-6)
    assert [(s, g) for _, s, _, g in ledger_rows(db, hour, "NO2")] == [("success", granules)]

    # Audit archive: the hour's GeoTIFF as a COG, a PNG map and a STAC Item beside it.
    for gas in VERIFIED_GASES:
        stem = f"audit/geotiff/2024-09-02/{gas}_16"
        _s3().download_file(audit_bucket, f"{stem}.tif", str(tmp_path / f"{gas}.tif"))
        assert archive.is_cog(tmp_path / f"{gas}.tif") == (True, [])
        assert _s3().get_object(Bucket=audit_bucket, Key=f"{stem}.png")["Body"].read()[:4] == b"\x89PNG"
        item = pystac.Item.from_dict(
            json.loads(_s3().get_object(Bucket=audit_bucket, Key=f"{stem}.json")["Body"].read())
        )
        assert item.validate() and item.assets["data"].href == f"s3://{audit_bucket}/{stem}.tif"

    metrics = result["metrics"]
    for gas in VERIFIED_GASES:
        for name in ("harmony.bytes_downloaded", "harmony.wait", "load.duration", "load.rows"):
            assert f"airflow.aeris.{name}.{gas}" in metrics, sorted(metrics)

    assert _last_update() == max(hour, _newest_loaded_hour(db)).isoformat()
    with db.cursor() as cur:
        cur.execute(
            "SELECT gas_type, cell_count FROM route_exposure WHERE route_id = %s AND timestamp = %s",
            (test_route, hour),
        )
        exposure = dict(cur.fetchall())
        cur.execute("SELECT last_computed_score, score_hour FROM saved_routes WHERE id = %s", (test_route,))
        score, score_hour = cur.fetchone()
    assert set(exposure) == VERIFIED_GASES and all(count > 0 for count in exposure.values())
    assert score is not None and 0 <= score <= 100 and score_hour == hour

    # A rerun (a clear of the whole run) of an hour CMR lists as it was loaded: `unchanged` at once for
    # every gas (the hourly DAG as the event path's reconcile): no Harmony request, nothing written.
    requests_before = emulator.stats()["rangeset_requests"]
    rerun = run_dag("2024-09-02T17:00:00+00:00", CONF)
    assert emulator.stats()["rangeset_requests"] == requests_before
    assert set(ti_states(rerun, "gas.harmony_job").values()) == {"skipped"}
    assert any("unchanged: already published from the same 2 granule(s)" in line for line in rerun["log"])
    assert slice_snapshot(db, hour) == first
    assert [s for _, s, _, _ in ledger_rows(db, hour, "NO2")] == ["success", "unchanged"]
    assert "airflow.aeris.load.rows.NO2" not in rerun["metrics"]  # nothing written, nothing counted
    # The pollution_grid events as Airflow stored them: one per gas and load, saying what happened.
    run_ids = list(dict.fromkeys([result["run_id"], rerun["run_id"]]))  # a rerun may keep the run's id
    no2_events = [e for run_id in run_ids for e in asset_events("pollution_grid", run_id) if "NO2" in e]
    assert no2_events == [{"hour": hour.isoformat(), "NO2": first["NO2"][0], "status": "success"}]

    # A forced reload reuses every Harmony job (no new request) and writes every slice again (a new
    # table each), with the same rows.
    tables = _slice_tables(db, hour)
    forced = run_dag("2024-09-02T17:00:00+00:00", {**CONF, "force_reload": True})
    assert emulator.stats()["rangeset_requests"] == requests_before
    assert any("reusing Harmony job" in line for line in forced["log"])
    assert ti_states(forced, "gas.load_gas_hour") == loads
    assert [s for _, s, _, _ in ledger_rows(db, hour, "NO2")] == ["success", "unchanged", "success"]
    assert all(tables[gas] != table for gas, table in _slice_tables(db, hour).items())
    assert slice_snapshot(db, hour) == first
    assert "airflow.aeris.load.rows.NO2" in forced["metrics"]


def _slice_tables(db, hour: datetime) -> dict[str, str]:
    with db.cursor() as cur:
        cur.execute("SELECT gas_type, table_name FROM obs_partition WHERE obs_time = %s", (hour,))
        return dict(cur.fetchall())


def test_hour_published_late_is_loaded_by_the_run_itself(emulator, db):
    hour = datetime(2024, 9, 3, 15, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.hold(hour, available_in_s=None)
    cmr_before = emulator.stats()["cmr_requests"]

    def publish_after_the_first_look() -> None:
        # TEMPO publishes the hour 3 s after the run first asked CMR (and was told "not yet").
        while emulator.stats()["cmr_requests"] == cmr_before:
            time.sleep(0.2)
        time.sleep(3)
        emulator.hold(hour, available_in_s=0)

    publisher = threading.Thread(target=publish_after_the_first_look, daemon=True)
    publisher.start()
    result = run_dag("2024-09-03T16:00:00+00:00", {**CONF, "gases": ["NO2"]}, **WAITING)
    publisher.join(timeout=5)

    assert not publisher.is_alive()
    assert result["state"] == "success", result["tis"]
    assert ti_states(result, "gas.load_gas_hour") == {"NO2": "success"}
    assert emulator.stats()["cmr_requests"] - cmr_before >= 3  # it kept asking CMR, in the triggerer
    assert any("asking CMR again" in line for line in result["log"])
    assert [s for _, s, _, _ in ledger_rows(db, hour)] == ["success"]


def test_hour_never_published_is_skipped_at_the_deadline_and_is_a_gap(emulator, db, smtp_server):
    hour = datetime(2024, 9, 3, 14, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.hold(hour, available_in_s=None)
    started = time.monotonic()
    # The default deadline is long past for this hour.
    result = run_dag("2024-09-03T15:00:00+00:00", {**CONF, "gases": ["NO2"]}, **smtp_server.env)

    assert time.monotonic() - started < 60
    assert ti_states(result, "gas.harmony_job") == {"NO2": "skipped"}
    assert result["state"] == "success"
    [(_, status, reason, _)] = ledger_rows(db, hour)
    assert (status, reason) == ("not_published", "not published by 2024-09-03 18:00 UTC")
    assert find_gaps(db, ["NO2"], hour + timedelta(hours=2), days=1, bbox=SMALL_BBOX)[hour] == ["NO2"]
    [alert] = smtp_server.messages
    assert alert["Subject"] == "AERIS: NO2 2024-09-03 14:00 UTC not published by its deadline"
    assert "not published by 2024-09-03 18:00 UTC" in alert.get_body().get_content()


def test_night_hour_is_skipped_at_once_and_writes_nothing(emulator, db):
    hour = datetime(2024, 9, 2, 4, tzinfo=UTC)  # no TEMPO scan over North America at 04 UTC
    forget_hours(db, [hour])
    started = time.monotonic()
    result = run_dag("2024-09-02T05:00:00+00:00", CONF)

    assert time.monotonic() - started < 60
    # Every per-gas task shows its gas, also those that never ran (skipped after the wait).
    for task_id in ("gas.harmony_job", "gas.load_gas_hour"):
        assert ti_states(result, task_id) == {gas: "skipped" for gas in GASES}, task_id
    assert result["tis"]["recompute_saved_route_exposure"]["state"] == "skipped"
    assert result["state"] == "success"
    assert slice_snapshot(db, hour) == {}
    assert sorted((g, s) for g, s, _, _ in ledger_rows(db, hour)) == [
        ("AI", "no_scan"), ("CH2O", "no_scan"), ("NO2", "no_scan"), ("O3", "no_scan"), ("PM", "no_product"),
    ]  # fmt: skip
    assert hour not in find_gaps(db, ["NO2"], hour + timedelta(hours=2), days=1, bbox=SMALL_BBOX)


@pytest.mark.parametrize(
    ("fault", "mode", "failing_task", "status", "reason"),
    [
        # Only a Harmony subset can come back outside the bbox (a native granule is windowed locally);
        # it is refused from its header at staging, before it is merged or loaded.
        ("out_of_bbox", "tiff", "gas.load_gas_hour", "failed", "not within the requested bbox"),
        ("all_fill", "native", "gas.load_gas_hour", "quality_failed", "keeps_published_rows"),
    ],
)
def test_bad_file_after_a_good_one_keeps_the_good_slice(
    emulator, db, fault, mode, failing_task, status, reason
):
    hour = datetime(2024, 9, 3, 17, tzinfo=UTC)
    emulator.capabilities(mode)
    forget_hours(db, [hour])
    conf = {**CONF, "gases": ["NO2"]}
    assert run_dag("2024-09-03T18:00:00+00:00", conf)["state"] == "success"
    good = slice_snapshot(db, hour)
    assert good["NO2"][0] > 0
    audit_key = f"audit/geotiff/{hour:%Y-%m-%d}/NO2_{hour:%H}.tif"
    good_copy = _s3().get_object(Bucket=os.environ["AERIS_S3_BUCKET"], Key=audit_key)["Body"].read()

    forget_jobs(db, [hour])  # a new Harmony job, whose files are bad
    emulator.faults([{"fault": fault}])
    # Forced: the same granules would otherwise be `unchanged` at once, with no new file to check.
    bad = run_dag("2024-09-03T18:00:00+00:00", {**conf, "force_reload": True})
    assert ti_states(bad, failing_task) == {"NO2": "failed"}
    assert bad["tis"][f"{failing_task}[NO2]"]["try_number"] == 1  # the same file fails again: no retry
    assert slice_snapshot(db, hour) == good
    # The audit copy is still the published slice's: the rejected file was staged apart, never promoted.
    assert _s3().get_object(Bucket=os.environ["AERIS_S3_BUCKET"], Key=audit_key)["Body"].read() == good_copy
    last_status, last_reason = ledger_rows(db, hour)[-1][1:3]
    assert last_status == status and reason in last_reason, (last_status, last_reason)
    if status == "quality_failed":
        assert "airflow.aeris.quality.failures.NO2" in bad["metrics"]  # README: the checks' metric
        with db.cursor() as cur:
            cur.execute("SELECT table_name, failed_checks FROM rejected_slice WHERE obs_time = %s", (hour,))
            [(table, failed)] = cur.fetchall()
            cur.execute(f"SELECT count(*) FROM {table}")  # kept for inspection
            assert reason in failed and cur.fetchone()[0] >= 0


def test_another_bbox_is_another_source_and_reloads(emulator, db):
    """The unchanged check knows what was asked: the same granules read over another bbox reload."""
    hour = datetime(2024, 9, 3, 21, tzinfo=UTC)
    emulator.capabilities("native")
    forget_hours(db, [hour])
    first = run_dag("2024-09-03T22:00:00+00:00", {**CONF, "gases": ["NO2"]})
    assert first["state"] == "success"
    before = slice_snapshot(db, hour)["NO2"]
    east = [SMALL_BBOX[0] + 1, SMALL_BBOX[1], SMALL_BBOX[2] + 1, SMALL_BBOX[3]]
    second = run_dag("2024-09-03T22:00:00+00:00", {"bbox": east, "gases": ["NO2"]})
    assert second["state"] == "success"
    assert [row[1] for row in ledger_rows(db, hour)] == ["success", "success"]  # not "unchanged"
    assert slice_snapshot(db, hour)["NO2"] != before


def test_older_hour_adds_history_but_does_not_move_now_back(emulator, db, test_route):
    newer, older = datetime(2024, 9, 3, 20, tzinfo=UTC), datetime(2024, 9, 3, 19, tzinfo=UTC)
    forget_hours(db, [newer, older])
    conf = {**CONF, "gases": ["NO2"]}
    assert run_dag("2024-09-03T21:00:00+00:00", conf)["state"] == "success"
    now_after_newer = _last_update()
    assert now_after_newer >= newer.isoformat()
    with db.cursor() as cur:
        cur.execute(
            "SELECT last_computed_score, score_hour, last_updated_at FROM saved_routes WHERE id = %s",
            (test_route,),
        )
        current = cur.fetchone()
    assert current[1] == newer

    backfill = run_dag("2024-09-03T20:00:00+00:00", conf)  # the older hour arrives later (backfill)
    assert backfill["state"] == "success"
    assert _last_update() == now_after_newer
    with db.cursor() as cur:
        cur.execute(
            "SELECT last_computed_score, score_hour, last_updated_at FROM saved_routes WHERE id = %s",
            (test_route,),
        )
        assert cur.fetchone() == current
        cur.execute(
            'SELECT "timestamp" FROM route_exposure WHERE route_id = %s AND gas_type = %s ORDER BY 1',
            (test_route, "NO2"),
        )
        assert [h for (h,) in cur.fetchall()] == [older, newer]  # history of both hours


def test_a_failing_load_is_counted_and_recorded_and_leaves_no_slice(emulator, db):
    """README: failure metrics. A load that fails (here: AERIS_MAX_CELLS=0, refused by the loader)
    sends aeris.load.failures.<gas>, records the reason in the ledger and publishes nothing."""
    hour = datetime(2024, 9, 6, 16, tzinfo=UTC)
    forget_hours(db, [hour])
    result = run_dag("2024-09-06T17:00:00+00:00", {**CONF, "gases": ["O3"]}, AERIS_MAX_CELLS="0")
    assert ti_states(result, "gas.load_gas_hour") == {"O3": "failed"}
    assert "airflow.aeris.load.failures.O3" in result["metrics"]
    assert "airflow.aeris.load.rows.O3" not in result["metrics"]
    assert slice_snapshot(db, hour) == {}
    rows = ledger_rows(db, hour, "O3")
    assert rows and all(s == "failed" and "max_cells must be positive, got 0" in e for _, s, e, _ in rows), (
        rows
    )


def test_failed_harmony_job_fails_only_its_gas(emulator, db, test_route, smtp_server):
    hour = datetime(2024, 9, 2, 18, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.faults([{"fault": "job_failed", "variable": "product/vertical_column"}])  # CH2O
    result = run_dag("2024-09-02T19:00:00+00:00", {**CONF, "gases": ["NO2", "CH2O", "O3"]}, **smtp_server.env)

    assert ti_states(result, "gas.harmony_job")["CH2O"] == "failed"
    loads = ti_states(result, "gas.load_gas_hour")
    # CH2O's load never ran (upstream_failed): the AERIS listener still labels it with its gas.
    assert loads == {"NO2": "success", "CH2O": "upstream_failed", "O3": "success"}
    assert result["tis"]["gas.harmony_job[CH2O]"]["try_number"] == 3  # retried twice
    assert result["tis"]["recompute_saved_route_exposure"]["state"] == "success"
    assert result["state"] == "failed"
    assert set(slice_snapshot(db, hour)) >= {"NO2", "O3"}
    statuses = [s for _, s, _, _ in ledger_rows(db, hour, "CH2O")]
    assert statuses == ["harmony_failed"] * 3, statuses  # one row per try
    # One alert, after the last try (retries do not alert), naming the gas, the hour and Harmony's reason.
    [alert] = smtp_server.messages
    assert alert["Subject"] == "AERIS: CH2O 2024-09-02 18:00 UTC failed"
    body = alert.get_body().get_content()
    assert "emulated service error" in body and "gas.harmony_job" in body


def test_a_deflate_bomb_fails_its_gas_alone(emulator, db):
    """NO2's native granules declare TEMPO's layout, but each chunk is ~2 MB that inflates to 2 GiB:
    NO2's staging (in load_gas_hour) is refused at once, naming the variable and the chunk (no retry:
    the same file fails again); O3 of the same run loads."""
    hour = datetime(2024, 9, 2, 15, tzinfo=UTC)
    emulator.capabilities("native")
    forget_hours(db, [hour])
    emulator.faults(
        [{"fault": "deflate_bomb", "collection": concept_id("NO2", line)} for line in ("nrt", "standard")]
    )
    result = run_dag("2024-09-02T16:00:00+00:00", {**CONF, "gases": ["NO2", "O3"]})
    assert ti_states(result, "gas.load_gas_hour") == {"NO2": "failed", "O3": "success"}
    assert result["tis"]["gas.load_gas_hour[NO2]"]["try_number"] == 1
    assert set(slice_snapshot(db, hour)) == {"O3"}
    reason = ledger_rows(db, hour, "NO2")[-1][2]
    assert (
        "inflates past its declared size" in reason and "vertical_column_troposphere' chunk at" in reason
    ), reason
