"""aeris.config.settings: a run's hour, gases, bbox and queues from Params and the environment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.config import settings
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from aeris_lib.gases import CONUS, GAS_NAMES

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("AERIS_GASES", "TEMPO_BBOX_WEST", "TEMPO_BBOX_SOUTH", "TEMPO_BBOX_EAST", "TEMPO_BBOX_NORTH",
                 "AERIS_CIRCUIT_BREAKER_FAILURES", "AERIS_STAGE_QUEUE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_the_hour_is_the_param_else_the_data_interval():
    interval_start = datetime(2024, 9, 1, 15, tzinfo=UTC)
    assert settings.resolve_hour({"hour": None}, {"data_interval_start": interval_start}) == interval_start
    assert settings.resolve_hour(
        {"hour": "2024-09-01T17:00:00Z"}, {"data_interval_start": interval_start}
    ) == (datetime(2024, 9, 1, 17, tzinfo=UTC))


def test_without_a_param_or_interval_the_hour_is_the_last_one_ended():
    hour = settings.resolve_hour({}, {})
    now = datetime.now(UTC)
    assert hour.minute == 0 and 0 < (now - hour).total_seconds() <= 7200


def test_a_bad_hour_fails_the_task_without_retries_naming_the_param():
    with pytest.raises(AirflowFailException, match="param 'hour'"):
        settings.resolve_hour({"hour": "2100-01-01T00:00:00Z"}, {})
    with pytest.raises(AirflowFailException, match="param 'hour'"):
        settings.resolve_hour({"hour": "2024-09-01T15:30:00Z"}, {})


def test_gases_default_to_all_or_aeris_gases(monkeypatch):
    assert settings.default_gases() == list(GAS_NAMES)
    monkeypatch.setenv("AERIS_GASES", " no2, o3 ")
    assert settings.default_gases() == ["NO2", "O3"]
    monkeypatch.setenv("AERIS_GASES", "NO2,SO2")
    with pytest.raises(AirflowException, match=r"AERIS_GASES: unknown gas\(es\) \['SO2'\]"):
        settings.default_gases()


def test_bbox_defaults_to_conus_or_all_four_tempo_bbox_variables(monkeypatch):
    assert settings.default_bbox() == CONUS
    monkeypatch.setenv("TEMPO_BBOX_WEST", "-100")
    assert settings.default_bbox() == CONUS  # three of four unset: the default, not a half-made box
    for name, value in (("TEMPO_BBOX_SOUTH", "30"), ("TEMPO_BBOX_EAST", "-98"), ("TEMPO_BBOX_NORTH", "32")):
        monkeypatch.setenv(name, value)
    assert settings.default_bbox() == (-100.0, 30.0, -98.0, 32.0)
    monkeypatch.setenv("TEMPO_BBOX_NORTH", "north")
    with pytest.raises(AirflowException, match="must be numbers"):
        settings.default_bbox()


def test_params_are_checked_against_the_defaults():
    gases, bbox = settings.run_gases_and_bbox({"gases": ["NO2"], "bbox": [-100, 30, -98, 32]})
    assert gases == ["NO2"] and bbox == (-100.0, 30.0, -98.0, 32.0)
    assert settings.run_gases_and_bbox({})[1] == CONUS
    with pytest.raises(AirflowFailException, match="param 'bbox'"):
        settings.run_gases_and_bbox({"bbox": [-98, 30, -100, 32]})
    with pytest.raises(AirflowFailException, match="param 'gases'"):
        settings.run_gases_and_bbox({"gases": []})


def test_breaker_threshold_and_queues(monkeypatch):
    assert settings.breaker_threshold() == 5
    monkeypatch.setenv("AERIS_CIRCUIT_BREAKER_FAILURES", "2")
    assert settings.breaker_threshold() == 2
    assert settings.queue_from("AERIS_STAGE_QUEUE") == {}
    monkeypatch.setenv("AERIS_STAGE_QUEUE", " downloads ")
    assert settings.queue_from("AERIS_STAGE_QUEUE") == {"queue": "downloads"}
