"""aeris.tasks.retention: the retention DAG's steps say in the task log what went (or would go). The
purges against the real PostGIS and S3: tests/ops/test_retention.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from aeris.tasks import retention as steps

from aeris_lib.retention import PurgeReport

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_a_dry_run_says_what_would_go_and_lists_at_most_50_names(caplog):
    caplog.set_level(logging.INFO, logger="aeris.tasks.retention")
    report = PurgeReport("grid slices", dry_run=True, items=60, rows=1_234_567, bytes=5_500_000,
                         names=[f"NO2 hour {n}" for n in range(60)], related_rows={"route_exposure": 7})  # fmt: skip
    summary = steps._log_report(report)
    assert (
        "grid slices: would remove 60 item(s), 1,234,567 rows, 7 route_exposure rows, 5.5 MB" in caplog.text
    )
    assert "would remove NO2 hour 49" in caplog.text and "NO2 hour 50" not in caplog.text
    assert "… and 10 more" in caplog.text and summary == report.summary()


def test_age_is_measured_from_the_clock_not_the_runs_date():
    far_ahead = {"logical_date": datetime(2099, 1, 1, tzinfo=UTC)}
    assert abs((steps._now(far_ahead) - datetime.now(UTC)).total_seconds()) < 5
