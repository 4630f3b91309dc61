"""aeris_lib.retention, its pure parts: retention per gas and which audit, staged and shared objects
have expired. Purges against the real PostGIS and S3: tests/ops/test_retention.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib import retention

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

NOW = datetime(2019, 6, 10, 0, tzinfo=UTC)


def test_a_purge_report_sums_up_with_the_rows_that_went_along():
    report = retention.PurgeReport("grid slices", dry_run=False, items=2, rows=10, bytes=4096)
    report.related_rows["route_exposure"] = 3
    assert report.summary() == {"what": "grid slices", "dry_run": False, "items": 2, "rows": 10, "bytes": 4096,
                                "route_exposure_rows": 3}  # fmt: skip


def test_per_gas_retention_overrides():
    hours = retention.retention_hours_by_gas(168, {"NO2": 336})
    assert hours["NO2"] == 336 and hours["O3"] == 168
    with pytest.raises(ValueError, match="unknown gas 'SO2'"):
        retention.retention_hours_by_gas(168, {"SO2": 10})


def test_retention_hours_refuse_booleans_and_fractions():
    with pytest.raises(ValueError, match="NO2 must be a whole number of hours, got True"):
        retention.retention_hours_by_gas(168, {"NO2": True})
    with pytest.raises(ValueError, match="whole number"):
        retention.retention_hours_by_gas(168, {"NO2": 1.5})


def test_odd_audit_keys_are_skipped_with_a_warning(caplog):
    objects = [
        ("audit/geotiff/2024-13-45/NO2_99.tif", 10, NOW),
        ("audit/geotiff/2019-05-01/NO2_16.tif", 10, NOW),
    ]
    expired = retention.expired_audit_objects(objects, NOW, days=30)
    assert expired == [("audit/geotiff/2019-05-01/NO2_16.tif", 10)]
    assert "2024-13-45/NO2_99.tif" in caplog.text


def test_staged_objects_expire_two_days_after_they_were_written_whatever_hour_they_hold():
    """Staged COGs (kept after promotion, for a cleared load) and windows a companion never took go
    STAGED_DAYS after they were written; audit copies at their hour's age. NOW is 2019-06-10 00:00.
    A backfill of last week stages hours older than two days: written just now, they stay."""
    shared = "shared/2019-06-06/7a436a8a-6389-4162-84bd-271558e8f77a/TEMPO_O3TOT_L3_V04_x.nc/product.uv_aerosol_index.npz"
    objects = [
        (
            "staging/geotiff/2019-06-07/NO2_16_0123456789ab.tif",
            10,
            NOW - timedelta(days=3),
        ),  # written 3 days ago
        ("staging/geotiff/2019-06-09/NO2_16_0123456789ab.tif", 10, NOW - timedelta(hours=8)),
        ("staging/geotiff/2019-05-01/NO2_16_0123456789ab.tif", 10, NOW - timedelta(hours=1)),  # a backfill's
        (shared, 5, NOW - timedelta(days=4)),
        (shared.replace("2019-06-06", "2019-04-01"), 5, NOW - timedelta(minutes=5)),  # a backfill's window
        (
            "audit/geotiff/2019-06-06/NO2_16.tif",
            10,
            NOW - timedelta(days=60),
        ),  # hour 4 days old: kept (30 days)
        ("audit/geotiff/2019-05-06/NO2_16.tif", 10, NOW),  # hour 35 days old: goes, however new the object
        ("staging/other/file.txt", 1, NOW - timedelta(days=400)),
    ]
    expired = [key for key, _ in retention.expired_audit_objects(objects, NOW, days=30)]
    assert expired == [objects[0][0], objects[3][0], objects[6][0]]
