"""Retention against the real PostGIS and S3 endpoint: partitions dropped, objects deleted, ledger
trimmed; a dry run removes nothing; a second run removes nothing more."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta

import boto3
import numpy as np
import pytest

from aeris_lib import retention
from aeris_lib.db.load import load_slice
from tests.support.dag_runs import run_dag
from tests.support.db import saved_route, slice_rows
from tests.support.geotiff import write_geotiff

pytestmark = pytest.mark.integration

NOW = datetime(2019, 6, 10, 0, tzinfo=UTC)
OLD, RECENT = datetime(2019, 6, 1, 12, tzinfo=UTC), datetime(2019, 6, 9, 12, tzinfo=UTC)


def _table_exists(connection, name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        exists = cur.fetchone()[0]
    connection.rollback()
    return exists


def _exposure_hours(connection, route_id: int) -> list[datetime]:
    with connection.cursor() as cur:
        cur.execute('SELECT "timestamp" FROM route_exposure WHERE route_id = %s ORDER BY 1', (route_id,))
        hours = [row[0] for row in cur.fetchall()]
    connection.rollback()
    return hours


def test_grid_slices_older_than_retention_are_dropped_as_partitions(conn, tmp_path):
    path = str(write_geotiff(tmp_path / "o3.tif", np.full((10, 10), 300.0)))
    old = load_slice(conn, path, "O3", OLD)
    recent = load_slice(conn, path, "O3", RECENT)
    hours = {"O3": 168}  # one week: OLD is 8.5 days before NOW, RECENT half a day
    route_id = saved_route(conn, (-99.5, 35.5), (-98.5, 36.5), "retention test route")
    with conn.cursor() as cur:  # the saved route's exposure computed from each slice
        for hour in (OLD, RECENT):
            cur.execute(
                'INSERT INTO route_exposure (route_id, gas_type, "timestamp", cell_count, avg_value,'
                " max_severity, mean_severity) VALUES (%s, 'O3', %s, 1, 300, 1, 1)",
                (route_id, hour),
            )
    conn.commit()
    try:
        dry = retention.purge_slices(conn, NOW, hours, dry_run=True)
        assert (dry.items, dry.rows, dry.related_rows) == (1, 100, {"route_exposure": 1}) and dry.bytes > 0
        assert _table_exists(conn, old.table_name) and len(slice_rows(conn, "O3", OLD)) == 100
        assert _exposure_hours(conn, route_id) == [OLD, RECENT]

        done = retention.purge_slices(conn, NOW, hours, dry_run=False)
        assert (done.items, done.rows, done.related_rows) == (1, 100, {"route_exposure": 1})
        assert done.summary()["route_exposure_rows"] == 1
        assert not _table_exists(conn, old.table_name)  # the partition itself is gone: no DELETE
        assert slice_rows(conn, "O3", OLD) == []
        assert len(slice_rows(conn, "O3", RECENT)) == 100 and _table_exists(conn, recent.table_name)
        assert _exposure_hours(conn, route_id) == [RECENT]  # the exposure went with its slice

        again = retention.purge_slices(conn, NOW, hours, dry_run=False)
        assert again.items == 0
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))  # cascades to exposure
        conn.commit()


@pytest.mark.parametrize("mode", ["s3", "local"])
def test_audit_objects_older_than_retention(audit_bucket, tmp_path, monkeypatch, mode):
    """In the bucket, or in the staging directory when AERIS_STAGING=local: the retention task lists
    and deletes through tasks.staging either way."""
    from aeris.hooks import staging

    monkeypatch.setenv("AERIS_STAGING", mode)
    monkeypatch.setenv("AERIS_STAGING_DIR", str(tmp_path / "staging"))
    keys = {
        "audit/geotiff/2019-05-01/NO2_16.tif": True,
        "audit/geotiff/2019-05-01/NO2_16.png": True,
        "audit/geotiff/2019-05-01/NO2_16.json": True,
        "audit/geotiff/2019-06-09/NO2_16.tif": False,
        "audit/readme.txt": False,  # not an audit object of ours: never touched
    }
    (tmp_path / "x").write_bytes(b"x" * 10)
    for key in keys:
        staging.store().put(tmp_path / "x", key)
    assert set(keys) <= {key for key, *_ in staging.store().list_objects("audit/")}

    expired = {
        key
        for key, _ in retention.expired_audit_objects(staging.store().list_objects("audit/"), NOW, days=30)
    }
    assert expired & set(keys) == {k for k, old in keys.items() if old}  # (other tests' objects aside)
    staging.store().delete(sorted(expired & set(keys)))
    staging.store().delete(sorted(expired & set(keys)))  # a rerun: nothing more to delete, no error
    left = {key for key, *_ in staging.store().list_objects("audit/")}
    assert {k for k in keys if k in left} == {k for k, old in keys.items() if not old}
    staging.store().delete([k for k, old in keys.items() if not old])


@pytest.mark.parametrize("mode", ["s3", "local"])
def test_a_staged_object_expires_by_its_own_age_not_its_hours(audit_bucket, tmp_path, monkeypatch, mode):
    """A backfill of 2019 stages its hour now: retention keeps it for STAGED_DAYS from now (its load,
    or a cleared load, reads it), then deletes it. The clock is the object store's own."""
    from aeris.hooks import staging

    monkeypatch.setenv("AERIS_STAGING", mode)
    monkeypatch.setenv("AERIS_STAGING_DIR", str(tmp_path / "staging"))
    key = f"staging/geotiff/2019-05-01/NO2_16_{'ab' * 6}.tif"
    (tmp_path / "x").write_bytes(b"x" * 10)
    staging.store().put(tmp_path / "x", key)
    now = datetime.now(UTC)

    def expired_at(moment: datetime) -> bool:
        listed = staging.store().list_objects("staging/")
        return key in {k for k, _ in retention.expired_audit_objects(listed, moment, days=30)}

    try:
        assert not expired_at(now) and not expired_at(now + timedelta(days=retention.STAGED_DAYS, minutes=-5))
        assert expired_at(now + timedelta(days=retention.STAGED_DAYS, minutes=5))
    finally:
        staging.store().delete([key])


def test_ledger_rows_older_than_retention(conn):
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ingest_log (gas_type, obs_time, status, started_at) VALUES"
            " ('NO2', %s, 'success', %s), ('NO2', %s, 'running', %s), ('NO2', %s, 'success', %s) RETURNING id",
            (OLD, NOW - timedelta(days=200), OLD, NOW - timedelta(days=200), RECENT, NOW - timedelta(days=1)),
        )
        young_id = cur.fetchall()[-1][0]
        # Waits: one no sensor has touched for two days (its run was deleted), one live.
        cur.execute("DELETE FROM publication_wait WHERE obs_time IN (%s, %s)", (OLD, RECENT))
        for hour, age in ((OLD, timedelta(days=2)), (RECENT, timedelta(minutes=3))):
            cur.execute("INSERT INTO publication_wait (gas_type, obs_time, dag_id, run_id, task_id, map_index, missing,"
                        " reason, deadline, next_check, updated_at) VALUES ('NO2', %s, 'd', 'r', 't', 0, 'm', 'r',"
                        " now(), now(), now() - %s)", (hour, age))  # fmt: skip
    conn.commit()
    assert retention.purge_ledger(conn, NOW, 90, dry_run=True).rows >= 1
    removed = retention.purge_ledger(conn, NOW, 90, dry_run=False).rows
    assert removed >= 1
    assert retention.purge_ledger(conn, NOW, 90, dry_run=False).rows == 0
    with conn.cursor() as cur:  # a 'running' attempt may be live: kept
        cur.execute("SELECT count(*) FROM ingest_log WHERE obs_time = %s AND status = 'running'", (OLD,))
        assert cur.fetchone()[0] >= 1
        cur.execute("SELECT count(*) FROM ingest_log WHERE id = %s", (young_id,))
        assert cur.fetchone()[0] == 1  # a young row survives
        cur.execute("SELECT obs_time FROM publication_wait WHERE obs_time IN (%s, %s)", (OLD, RECENT))
        assert cur.fetchall() == [(RECENT,)]  # the dead wait went with the purge, the live one stays
    conn.rollback()


def test_retention_dag_dry_run_then_run(conn, tmp_path, audit_bucket):
    """The DAG as the scheduler runs it: cutoffs from the clock. The 2019 items are far past any
    retention; an audit object and a ledger row from today are not, and stay."""
    old = load_slice(conn, str(write_geotiff(tmp_path / "ai.tif", np.full((5, 5), 1.0))), "AI", OLD)
    s3 = boto3.client("s3", endpoint_url=os.environ["AERIS_S3_ENDPOINT_URL"])
    key = "audit/geotiff/2019-04-01/AI_12.tif"
    young_key = f"audit/geotiff/{datetime.now(UTC):%Y-%m-%d}/AI_00.tif"
    for k in (key, young_key):
        s3.put_object(Bucket=audit_bucket, Key=k, Body=b"tiff")
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ingest_log (gas_type, obs_time, status) VALUES ('AI', now(), 'success') RETURNING id"
        )
        young_row = cur.fetchone()[0]
    conn.commit()

    def listed(k: str) -> bool:
        return bool(s3.list_objects_v2(Bucket=audit_bucket, Prefix=k).get("Contents", []))

    def present() -> tuple[bool, bool]:
        return _table_exists(conn, old.table_name), listed(key)

    try:
        # (That a second run removes nothing more is shown on the library calls above.)
        for dry_run, expected in [(True, (True, True)), (False, (False, False))]:
            result = run_dag("2024-09-10T00:00:00+00:00", {"dry_run": dry_run}, dag_id="aeris_retention")
            assert result["state"] == "success" and len(result["tis"]) == 3, result
            assert present() == expected, dry_run
        assert listed(young_key)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM ingest_log WHERE id = %s", (young_row,))
            assert cur.fetchone()[0] == 1
        conn.rollback()
    finally:
        s3.delete_object(Bucket=audit_bucket, Key=young_key)
        with conn.cursor() as cur:
            cur.execute("DELETE FROM ingest_log WHERE id = %s", (young_row,))
        conn.commit()


def test_a_run_dated_in_the_future_drops_only_what_the_clock_says_is_old(conn, tmp_path):
    """Retention judges age by the clock: a run dated 2100 leaves a slice from an hour ago alone."""
    recent = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    kept = load_slice(conn, str(write_geotiff(tmp_path / "o3.tif", np.full((5, 5), 300.0))), "O3", recent)
    try:
        result = run_dag("2100-01-01T00:00:00+00:00", {"dry_run": False}, dag_id="aeris_retention")
        assert result["state"] == "success", result["tis"]
        assert _table_exists(conn, kept.table_name)
    finally:  # leave no recent slice behind: it would be the newest hour other tests see
        with conn.cursor() as cur:
            cur.execute(f'DROP TABLE IF EXISTS "{kept.table_name}"')
            cur.execute("DELETE FROM obs_partition WHERE table_name = %s", (kept.table_name,))
            cur.execute("DELETE FROM ingest_log WHERE gas_type = 'O3' AND obs_time = %s", (recent,))
        conn.commit()


def test_retention_settings_reach_the_dag_per_gas_variable_and_env_default(conn, tmp_path):
    """README: AERIS_RETENTION_HOURS sets the default, the Variable aeris_retention_hours_by_gas a gas's
    own. With 48 h by env and NO2 at 24 h: a 30-hour-old NO2 slice goes, a 30-hour-old O3 slice stays,
    a 50-hour-old O3 slice goes."""
    from tests.support.cluster import AIRFLOW

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    grid = np.full((3, 3), 1.0)
    slices = {
        ("NO2", 30): load_slice(conn, str(write_geotiff(tmp_path / "n.tif", grid * 1e15)), "NO2", now - timedelta(hours=30)),
        ("O3", 30): load_slice(conn, str(write_geotiff(tmp_path / "o.tif", grid * 300)), "O3", now - timedelta(hours=30)),
        ("O3", 50): load_slice(conn, str(write_geotiff(tmp_path / "p.tif", grid * 300)), "O3", now - timedelta(hours=50)),
    }  # fmt: skip
    variable = [AIRFLOW, "variables", "set", "aeris_retention_hours_by_gas", '{"NO2": 24}']
    subprocess.run(variable, check=True, capture_output=True, env=os.environ)
    try:
        result = run_dag(
            now.isoformat(), {"dry_run": False}, dag_id="aeris_retention", AERIS_RETENTION_HOURS="48"
        )
        assert result["state"] == "success", result["tis"]
        kept = {key: _table_exists(conn, loaded.table_name) for key, loaded in slices.items()}
        assert kept == {("NO2", 30): False, ("O3", 30): True, ("O3", 50): False}
        assert any("retention 48 h" in line or "48 h" in line for line in result["log"]), (
            "the env default is logged"
        )
    finally:
        subprocess.run(
            [AIRFLOW, "variables", "delete", "aeris_retention_hours_by_gas"],
            capture_output=True,
            env=os.environ,
        )
        with (
            conn.cursor() as cur
        ):  # leave no recent slice behind: it would be the newest hour other tests see
            for (gas, _), loaded in slices.items():
                cur.execute(f'DROP TABLE IF EXISTS "{loaded.table_name}"')
                cur.execute("DELETE FROM obs_partition WHERE table_name = %s", (loaded.table_name,))
                cur.execute(
                    "DELETE FROM ingest_log WHERE gas_type = %s AND obs_time = %s", (gas, loaded.hour)
                )
        conn.commit()
