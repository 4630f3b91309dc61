"""`dag.test()` of aeris_tempo_hourly end to end: the real PostGIS, Redis and S3 endpoint started by
`make test`, and the Harmony emulator over HTTP through the production code path."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import boto3
import pystac
import pytest
import redis

from aeris_lib import archive
from tests.e2e.conftest import SMALL_BBOX, slice_snapshot
from tests.e2e.dag_runs import run_dag, ti_states

pytestmark = pytest.mark.integration

VERIFIED_GASES = {"NO2", "CH2O", "AI", "O3"}
CONF = {"bbox": SMALL_BBOX, "availability_delay_minutes": 0}


def _s3():
    return boto3.client("s3", endpoint_url=os.environ["AERIS_S3_ENDPOINT_URL"])


def _ingest_rows(db, hour: datetime) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("SELECT gas_type, status FROM ingest_log WHERE obs_time = %s ORDER BY gas_type", (hour,))
        return cur.fetchall()


def test_daytime_hour_end_to_end_then_rerun_identical(emulator, db, test_route, audit_bucket, tmp_path):
    hour = datetime(2024, 9, 2, 16, tzinfo=UTC)
    result = run_dag("2024-09-02T17:00:00+00:00", CONF)

    loads = ti_states(result, "gas.load_gas_hour")
    assert {gas for gas, state in loads.items() if state == "success"} == VERIFIED_GASES, result["tis"]
    # PM has no TEMPO product: Harmony rejects its unverified catalog entry, and only PM fails.
    assert ti_states(result, "gas.submit_harmony_job")["PM"] == "failed"
    assert result["tis"]["recompute_saved_route_exposure"]["state"] == "success"
    assert result["tis"]["publish_last_update"]["state"] == "success"
    assert result["state"] == "failed"  # visible in the UI, though every verified gas loaded

    first = slice_snapshot(db, hour)
    assert set(first) == VERIFIED_GASES
    for gas, (rows, distinct_cells, _) in first.items():
        assert 0 < rows <= 100 * 100, gas
        assert rows == distinct_cells, f"{gas}: duplicated cells"

    # Audit archive: the GeoTIFF as a COG, a PNG map and a STAC Item beside it.
    for gas in VERIFIED_GASES:
        stem = f"audit/geotiff/2024-09-02/{gas}_16"
        _s3().download_file(audit_bucket, f"{stem}.tif", str(tmp_path / f"{gas}.tif"))
        assert archive.is_cog(tmp_path / f"{gas}.tif") == (True, [])
        assert _s3().get_object(Bucket=audit_bucket, Key=f"{stem}.png")["Body"].read()[:4] == b"\x89PNG"
        item = pystac.Item.from_dict(
            json.loads(_s3().get_object(Bucket=audit_bucket, Key=f"{stem}.json")["Body"].read())
        )
        assert item.validate() and item.assets["data"].href == f"s3://{audit_bucket}/{stem}.tif"

    # Metrics, one series per gas (StatsD; rows or unchanged: a warm rerun of the suite is unchanged).
    metrics = result["metrics"]
    for gas in VERIFIED_GASES:
        for name in ("harmony.bytes_downloaded", "harmony.wait", "load.duration"):
            assert f"airflow.aeris.{name}.{gas}" in metrics, sorted(metrics)
        assert {f"airflow.aeris.load.rows.{gas}", f"airflow.aeris.load.unchanged.{gas}"} & metrics

    cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert cache.get("tempo:last_update").decode() == hour.isoformat()
    assert 0 < cache.ttl("tempo:last_update") <= 3600

    with db.cursor() as cur:
        cur.execute(
            "SELECT gas_type, cell_count FROM route_exposure WHERE route_id = %s AND timestamp = %s",
            (test_route, hour),
        )
        exposure = dict(cur.fetchall())
        cur.execute("SELECT last_computed_score FROM saved_routes WHERE id = %s", (test_route,))
        score = cur.fetchone()[0]
    assert set(exposure) == VERIFIED_GASES and all(count > 0 for count in exposure.values())
    assert score is not None and 0 <= score <= 100

    rerun = run_dag("2024-09-02T17:00:00+00:00", CONF)
    assert ti_states(rerun, "gas.load_gas_hour") == loads
    assert slice_snapshot(db, hour) == first


def test_failed_harmony_job_fails_only_its_gas(emulator, db, test_route):
    hour = datetime(2024, 9, 2, 18, tzinfo=UTC)
    emulator.faults([{"fault": "job_failed", "variable": "product/vertical_column"}])  # CH2O
    result = run_dag("2024-09-02T19:00:00+00:00", {**CONF, "gases": ["NO2", "CH2O", "O3"]})

    assert ti_states(result, "gas.wait_for_harmony_job")["CH2O"] == "failed"
    loads = ti_states(result, "gas.load_gas_hour")
    # A task that never ran has no rendered map index: Airflow shows its number (1 = CH2O) instead.
    assert loads == {"NO2": "success", "1": "upstream_failed", "O3": "success"}
    assert result["tis"]["gas.wait_for_harmony_job[CH2O]"]["try_number"] == 3  # retried twice
    assert result["tis"]["recompute_saved_route_exposure"]["state"] == "success"
    assert result["state"] == "failed"
    assert set(slice_snapshot(db, hour)) >= {"NO2", "O3"}
    assert "CH2O" not in {gas for gas, status in _ingest_rows(db, hour) if status == "success"}


def test_night_hour_skips_every_gas_and_writes_nothing(emulator, db):
    hour = datetime(2024, 9, 2, 4, tzinfo=UTC)  # no TEMPO scan over North America at 04 UTC
    result = run_dag("2024-09-02T05:00:00+00:00", CONF)

    assert set(ti_states(result, "gas.submit_harmony_job").values()) == {"skipped"}
    assert result["tis"]["recompute_saved_route_exposure"]["state"] == "skipped"
    assert result["state"] == "success"
    assert slice_snapshot(db, hour) == {}
    assert _ingest_rows(db, hour) == []
