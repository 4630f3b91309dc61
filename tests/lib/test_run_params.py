"""aeris_lib.run_params: a run's Params are checked before any request; each problem names its Param."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.gases import CONUS
from aeris_lib.run_params import RunParamError, run_bbox, run_gases, run_hour

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

NOW = datetime(2024, 9, 2, 14, 7, tzinfo=UTC)  # 14:07: the last completed hour is 13:00


def test_a_future_or_unfinished_hour_is_refused():
    with pytest.raises(RunParamError, match="param 'hour': 2024-09-02T14:00:00\\+00:00 has not ended yet"):
        run_hour("2024-09-02T14:00:00Z", None, NOW)
    with pytest.raises(RunParamError, match="has not ended yet"):
        run_hour("2100-01-01T00:00:00Z", None, NOW)
    assert run_hour("2024-09-02T13:00:00Z", None, NOW) == datetime(2024, 9, 2, 13, tzinfo=UTC)
    assert run_hour(None, None, NOW) == datetime(2024, 9, 2, 13, tzinfo=UTC)


def test_an_hour_not_on_the_hour_is_an_error_not_a_truncation():
    with pytest.raises(RunParamError, match="param 'hour': 2024-09-01T15:30:00Z is not the start of an hour"):
        run_hour("2024-09-01T15:30:00Z", None, NOW)
    with pytest.raises(RunParamError, match="param 'hour': not an ISO date-time"):
        run_hour("yesterday", None, NOW)


def test_gases_must_be_known_distinct_and_not_empty():
    assert run_gases(None, ["NO2", "O3"]) == ["NO2", "O3"]
    with pytest.raises(RunParamError, match=r"param 'gases': \['NO2'\] listed more than once"):
        run_gases(["NO2", "NO2"], [])
    with pytest.raises(RunParamError, match="param 'gases': empty"):
        run_gases([], ["NO2"])
    with pytest.raises(RunParamError, match="param 'gases': unknown"):
        run_gases(["SO2"], [])


def test_bbox_west_must_be_less_than_east():
    assert run_bbox(None, CONUS) == list(CONUS)
    with pytest.raises(RunParamError, match=r"param 'bbox': .*TEMPO does not cross the antimeridian"):
        run_bbox([170, 10, -170, 20], CONUS)
    with pytest.raises(RunParamError, match="param 'bbox': expected"):
        run_bbox([1, 2, 3], CONUS)
    with pytest.raises(RunParamError, match="param 'bbox': expected"):
        run_bbox([True, 2, 3, 4], CONUS)


def test_the_runs_interval_start_comes_back_as_a_plain_utc_datetime():
    """Airflow hands a pendulum DateTime; pendulum's `+ timedelta` on it drops the zone (seen: the
    plan's deadline comparison raised TypeError)."""
    pendulum = pytest.importorskip("pendulum")
    now = datetime(2026, 12, 6, 18, tzinfo=UTC)
    hour = run_hour(None, pendulum.datetime(2024, 9, 4, 15, tz="UTC"), now)
    assert type(hour) is datetime and hour == datetime(2024, 9, 4, 15, tzinfo=UTC)
    assert (hour + timedelta(hours=4)).tzinfo is not None
