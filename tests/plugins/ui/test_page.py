"""aeris.ui.page: the AERIS view as HTML: breakers, wrong versions, gaps, the grid and the maps, every
value escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aeris.ui.page import render

from aeris_lib.overview import Cell, Overview

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

END = datetime(2024, 9, 2, 0, tzinfo=UTC)
HOUR = END - timedelta(hours=1)


def view(**changes) -> Overview:
    base = Overview(END - timedelta(hours=24), END, ["NO2", "O3"], [HOUR])
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_a_quiet_day_says_so():
    page = render(view(), {})
    assert "All closed." in page and "<div class='ok' id='gaps'>None.</div>" in page
    assert "Last 24 hours: 2024-09-01 00:00 – 2024-09-02 00:00 UTC" in page
    assert "NO2: no map yet" in page


def test_breakers_gaps_versions_and_the_newest_map_are_shown():
    page = render(view(cells={("NO2", HOUR): Cell("success", "loaded", "2,640,000 rows", "TEMPO_NO2_L3_NRT V02"),
                              ("O3", HOUR): Cell("wrong_version", "wrong version", "V03 lists nothing")},
                       gaps={HOUR: ["O3"]}, newest_loaded={"NO2": HOUR}),
                  {"O3": "5 consecutive failed hour(s)"})  # fmt: skip
    assert "data-breaker='O3'" in page and "5 consecutive failed hour(s)" in page
    assert "<li>2024-09-01 23:00 UTC: O3</li>" in page
    assert "id='wrong-versions'" in page and "V03 lists nothing" in page
    assert "V02 NRT" in page and "maps/NO2.png?hour=2024-09-01T23%3A00%3A00%2B00%3A00" in page


def test_what_comes_from_the_ledger_is_escaped():
    page = render(view(cells={("NO2", HOUR): Cell("failed", "failed", "<script>alert(1)</script>")}), {})
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
