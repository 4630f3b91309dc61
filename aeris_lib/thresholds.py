"""Severity thresholds per gas and the classifier the loader and the data-quality checks share.

No agency publishes health thresholds for satellite *column* amounts, so these are AERIS's own,
documented choices (README "Thresholds"), each in the gas's native TEMPO units:

- NO2 tropospheric column (molecules/cm^2): clean background is ~1e15, urban plumes 1e16 and more;
  NASA/GEE visualisations use a 0-1.5e16 scale. Steps at 5e15 / 1e16 / 1.5e16 / 2e16.
- CH2O total column (molecules/cm^2): biogenic background ~5-8e15, fire and industrial plumes 2e16+.
  Steps at 8e15 / 1.2e16 / 1.6e16 / 2.5e16.
- AI, UV aerosol index (unitless): > 1 means absorbing aerosol present, > 4 dense smoke or dust.
  Steps at 1 / 2 / 3.5 / 5.
- O3 total column (Dobson units): global mean ~300 DU; the column is mostly stratospheric, so these
  flag unusually thick columns rather than surface smog. Steps at 320 / 360 / 400 / 450.
- PM (ug/m^3, surface PM2.5; no TEMPO product): US EPA 2024 AQI breakpoints 9.1 / 35.5 / 125.5 / 225.5.

A value exactly on a threshold belongs to the higher level.
"""

from __future__ import annotations

from typing import Final

import numpy as np

LEVELS: Final = ("good", "moderate", "unhealthy", "very_unhealthy", "hazardous")

POLLUTION_THRESHOLDS: Final[dict[str, dict[str, float]]] = {
    "NO2": {"moderate": 5e15, "unhealthy": 1e16, "very_unhealthy": 1.5e16, "hazardous": 2e16},
    "CH2O": {"moderate": 8e15, "unhealthy": 1.2e16, "very_unhealthy": 1.6e16, "hazardous": 2.5e16},
    "AI": {"moderate": 1.0, "unhealthy": 2.0, "very_unhealthy": 3.5, "hazardous": 5.0},
    "O3": {"moderate": 320.0, "unhealthy": 360.0, "very_unhealthy": 400.0, "hazardous": 450.0},
    "PM": {"moderate": 9.1, "unhealthy": 35.5, "very_unhealthy": 125.5, "hazardous": 225.5},
}

UNITS: Final[dict[str, str]] = {
    "NO2": "molecules/cm²",
    "CH2O": "molecules/cm²",
    "AI": "unitless",
    "O3": "DU",
    "PM": "µg/m³",
}

# Values outside these bounds cannot be physical (retrieval noise allows slightly negative columns).
# They are stored with quality_flag = 1, never silently dropped.
PLAUSIBLE_RANGE: Final[dict[str, tuple[float, float]]] = {
    "NO2": (-1e15, 1e17),
    "CH2O": (-5e15, 1e17),
    "AI": (-5.0, 25.0),
    "O3": (50.0, 700.0),
    "PM": (0.0, 1000.0),
}


def _edges(gas: str) -> np.ndarray:
    try:
        steps = POLLUTION_THRESHOLDS[gas]
    except KeyError:
        raise ValueError(f"unknown gas {gas!r}; expected one of {', '.join(POLLUTION_THRESHOLDS)}") from None
    return np.array([steps[level] for level in LEVELS[1:]], dtype=np.float64)


def classify_pollution_level(value: float, gas: str) -> tuple[str, int]:
    """Level name and severity 0-4 for one value of `gas` (in the gas's own units)."""
    severity = int(np.searchsorted(_edges(gas), value, side="right"))
    return LEVELS[severity], severity


def classify_array(values: np.ndarray, gas: str) -> np.ndarray:
    """Vectorised severities (int16, 0-4) for an array of finite values of `gas`.

    float32 input (TEMPO files) is compared with the thresholds rounded to float32, so a value written
    as exactly 5e15 lands on the threshold (float32 cannot hold 5e15 itself)."""
    edges = _edges(gas)
    if values.dtype == np.float32:
        edges = edges.astype(np.float32)
    return np.searchsorted(edges, values, side="right").astype(np.int16)


def implausible_mask(values: np.ndarray, gas: str) -> np.ndarray:
    """True where a finite value is outside the physically possible range for `gas`."""
    low, high = PLAUSIBLE_RANGE[gas]
    return (values < low) | (values > high)
