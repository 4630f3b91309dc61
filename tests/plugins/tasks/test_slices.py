"""aeris.tasks.slices: `load_gas_hour` publishes a staged raster as the hour's slice and says what it
did, then makes the audit COG, map and STAC item (`archive_slice`) only for what was published. The
task bodies run here under an Airflow task context, against the real PostGIS and local staging."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pytest
from aeris.hooks import staging
from aeris.tasks.slices import POLLUTION_GRID, archive_slice, load_gas_hour
from airflow.sdk.execution_time.context import set_current_context

from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG
from tests.support.db import slice_rows
from tests.support.geotiff import NORTH, STEP, WEST, write_geotiff

HOUR = datetime(2031, 8, 9, 16, tzinfo=UTC)
BBOX = (WEST, NORTH - 2 * STEP, WEST + 3 * STEP, NORTH)


@pytest.fixture
def staged(tmp_path, monkeypatch):
    """A 2 x 3 O3 raster staged locally, as stage_geotiff's return value."""
    monkeypatch.setenv("AERIS_STAGING", "local")
    monkeypatch.setenv("AERIS_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.delenv("AERIS_MAX_CELLS", raising=False)
    path = write_geotiff(
        tmp_path / "o3.tif", np.array([[300.0, 330.0, 370.0], [410.0, 460.0, 290.0]], np.float32)
    )
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    stored = staging.store().put(path, staging.staged_key("O3", HOUR, sha))
    return {"store": stored.store, "bucket": stored.bucket, "key": stored.key, "sha256": sha,
            "granules": ["TEMPO_O3TOT_L3_V04_x.nc"], "job_url": "https://harmony/jobs/j-1"}  # fmt: skip


def product() -> dict:
    entry = DEFAULT_CATALOG["O3"]
    return GasHour(entry, HOUR, BBOX, "C3685896625-LARC_CLOUD", "standard", entry.short_name, "V04").to_xcom()


def in_task(step, *args):
    context = {"params": {}, "outlet_events": {POLLUTION_GRID: SimpleNamespace(extra=None)}}
    with set_current_context(context):
        return step.function(*args), context


def test_a_staged_raster_is_published_then_archived(conn, staged):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE obs_time = %s", (HOUR,))
    conn.commit()
    loaded, context = in_task(load_gas_hour, product(), staged)
    archived = loaded.pop("audit")
    assert loaded == {"gas": "O3", "hour": HOUR.isoformat(), "rows": 6, "status": "success", "line": "standard",
                      "key": staged["key"]}  # fmt: skip
    assert context["outlet_events"][POLLUTION_GRID].extra == {
        "hour": HOUR.isoformat(),
        "O3": 6,
        "status": "success",
    }
    assert [row[6] for row in slice_rows(conn, "O3", HOUR)] == [0, 1, 2, 3, 4, 0]

    key = staging.audit_key("O3", HOUR)
    assert archived["cog"].endswith(key) and staging.store().exists(key)
    assert staging.store().exists(key.replace(".tif", ".png")) and staging.store().exists(
        key.replace(".tif", ".json")
    )

    again, _ = in_task(load_gas_hour, product(), staged)
    assert again["status"] == "unchanged" and again["rows"] == 6
    assert again["audit"] == {"cog": archived["cog"]}  # the published slice's copy is kept


def test_nothing_is_archived_when_the_standard_slice_stays(staged, tmp_path):
    path = staging.store().fetch(staging.StagedObject.from_xcom(staged), tmp_path)
    assert archive_slice(GasHour.from_xcom(product()), {"status": "kept_standard"}, staged, path) == {}
    assert not staging.store().exists(staging.audit_key("O3", HOUR))
