"""README: `AERIS_STAGING=local` keeps the audit files in a local directory instead of S3, through a
whole DAG run (single machine only)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import boto3

from aeris_lib import archive
from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import forget_hours, slice_snapshot

HOUR = datetime(2024, 9, 8, 16, tzinfo=UTC)
KEY = "audit/geotiff/2024-09-08/NO2_16"


def test_local_staging_through_a_whole_run(emulator, db, tmp_path, audit_bucket):
    s3 = boto3.client("s3", endpoint_url=os.environ["AERIS_S3_ENDPOINT_URL"])
    for suffix in (".tif", ".png", ".json"):
        s3.delete_object(Bucket=audit_bucket, Key=KEY + suffix)
    forget_hours(db, [HOUR])
    result = run_dag(
        "2024-09-08T17:00:00+00:00", {"bbox": SMALL_BBOX, "gases": ["NO2"]},
        AERIS_STAGING="local", AERIS_STAGING_DIR=str(tmp_path),
    )  # fmt: skip
    assert result["state"] == "success", result["tis"]
    assert ti_states(result, "gas.load_gas_hour") == {"NO2": "success"}
    assert slice_snapshot(db, HOUR)["NO2"][0] > 0
    for suffix in (".tif", ".png", ".json"):
        assert (tmp_path / (KEY + suffix)).is_file(), suffix
        assert "Contents" not in s3.list_objects_v2(Bucket=audit_bucket, Prefix=KEY + suffix)  # not in S3
    assert archive.is_cog(tmp_path / (KEY + ".tif")) == (True, [])
