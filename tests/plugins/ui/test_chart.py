"""aeris.ui.chart: the freshness chart draws every published hour (standard dots, NRT triangles), daily
median and p95 lines per series, gaps and upgrades, on a week's axis."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from aeris.ui.chart import freshness_svg

from aeris_lib.freshness import LagPoint

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

END = datetime(2024, 9, 8, tzinfo=UTC)
START = END - timedelta(days=7)
SVG = "{http://www.w3.org/2000/svg}"


def test_points_lines_gaps_and_upgrades_are_drawn_and_told_apart():
    lags = [LagPoint("NO2", "nrt", END - timedelta(hours=30), 55.0),
            LagPoint("NO2", "nrt", END - timedelta(hours=29), 65.0),
            LagPoint("NO2", "standard", END - timedelta(hours=30), 1500.0, upgrade=True),
            LagPoint("O3", "standard", END - timedelta(hours=50), 180.0)]  # fmt: skip
    svg = freshness_svg(lags, [("O3", END - timedelta(hours=26))], START, END)
    root = ET.fromstring(svg)  # noqa: S314 - our own output: well-formed XML
    points = [el for el in root.iter() if "point" in (el.get("class") or "")]
    assert sorted(el.get("class") for el in points) == [
        "point nrt",
        "point nrt",
        "point standard",
        "point standard",
    ]
    assert {el.tag for el in points if el.get("class") == "point nrt"} == {f"{SVG}path"}
    assert {el.tag for el in points if el.get("class") == "point standard"} == {f"{SVG}circle"}
    lines = [el for el in root.iter(f"{SVG}polyline")]
    assert {(el.get("class"), el.get("data-gas")) for el in lines} == {
        ("median nrt", "NO2"), ("p95 nrt", "NO2"), ("median standard", "NO2"), ("p95 standard", "NO2"),
        ("median standard", "O3"), ("p95 standard", "O3")}  # fmt: skip
    assert len([el for el in root.iter() if el.get("class") == "upgrade"]) == 1
    gap = next(el for el in root.iter() if el.get("class") == "gap")
    assert gap.get("data-gas") == "O3" and "never published" in "".join(gap.itertext())


def test_points_stay_inside_the_plot_and_the_axis_reads_in_hours():
    svg = freshness_svg([LagPoint("NO2", "nrt", START - timedelta(days=3), 90.0)], [], START, END)
    (x,) = [float(v) for v in re.findall(r"<path class='point nrt' [^>]*d='M([\d.]+),", svg)]
    assert x >= 64  # clamped to the plot's left edge, not drawn off the chart
    assert "1 h 36 min" in svg or "1 h 37 min" in svg  # the top tick: the largest lag + 8 %
