"""README: a bad Param fails `plan` with the Param's name, before any request to CMR or Harmony."""

from __future__ import annotations

import pytest

from tests.support.dag_runs import SMALL_BBOX, run_dag


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"hour": "2100-01-01T00:00:00Z"}, "param 'hour': 2100-01-01T00:00:00+00:00 has not ended yet"),
        (
            {"bbox": [-98.0, 35.0, -100.0, 37.0]},
            "param 'bbox': bbox.west (-98.0) must be less than bbox.east",
        ),
    ],
)
def test_a_bad_param_fails_plan_naming_it_before_any_request(emulator, conf, message):
    before = emulator.stats()
    result = run_dag("2024-09-02T17:00:00+00:00", {"bbox": SMALL_BBOX, "gases": ["NO2"], **conf})
    assert result["state"] == "failed"
    assert result["tis"]["plan"]["state"] == "failed" and result["tis"]["plan"]["try_number"] == 1
    assert any(message in line for line in result["log"]), message
    after = emulator.stats()
    for counter in ("cmr_requests", "rangeset_requests", "capabilities_requests"):
        assert after[counter] == before[counter], counter
