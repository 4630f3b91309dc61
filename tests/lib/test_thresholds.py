"""aeris_lib.thresholds: severity levels per gas, one classifier for loader and checks."""

from __future__ import annotations

import numpy as np
import pytest

from aeris_lib.thresholds import (
    LEVELS,
    PLAUSIBLE_RANGE,
    POLLUTION_THRESHOLDS,
    classify_array,
    classify_pollution_level,
    implausible_mask,
)

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


@pytest.mark.parametrize("gas", sorted(POLLUTION_THRESHOLDS))
def test_a_value_on_a_threshold_belongs_to_the_higher_level(gas):
    steps = POLLUTION_THRESHOLDS[gas]
    assert list(steps) == list(LEVELS[1:])
    assert sorted(steps.values()) == list(steps.values())  # rising
    for severity, level in enumerate(LEVELS[1:], start=1):
        assert classify_pollution_level(steps[level], gas) == (level, severity)
        below = np.nextafter(steps[level], -np.inf)
        assert classify_pollution_level(below, gas)[1] == severity - 1


def test_the_array_classifier_agrees_with_the_scalar_one_in_float32_too():
    values = np.array([0, 5e15, 9.9e15, 1e16, 3e16], dtype=np.float32)
    expected = [classify_pollution_level(float(np.float32(v)), "NO2")[1] for v in values]
    assert classify_array(values, "NO2").tolist() == [0, 1, 1, 2, 4]
    assert classify_array(values, "NO2").dtype == np.int16 and expected[1] in (0, 1)


def test_implausible_values_are_flagged_not_dropped():
    low, high = PLAUSIBLE_RANGE["O3"]
    mask = implausible_mask(np.array([low - 1, 300.0, high + 1]), "O3")
    assert mask.tolist() == [True, False, True]


def test_an_unknown_gas_is_named():
    with pytest.raises(ValueError, match="unknown gas 'SO2'"):
        classify_pollution_level(1.0, "SO2")
