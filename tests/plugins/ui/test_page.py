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


def test_waiting_hours_say_what_cmr_lists_what_is_missing_and_when_next():
    wait = {"gas_type": "NO2", "obs_time": HOUR, "dag_id": "aeris_tempo_hourly", "run_id": "manual__1",
            "task_id": "gas.harmony_job", "map_index": 0, "missing": "23:38-00:00 UTC (22 min)",
            "listed": [{"name": "S008G05.nc", "start": "2024-09-01T22:58:00+00:00", "end": "2024-09-01T23:38:00+00:00"}],
            "reason": "S008G05.nc listed; 22 min of the hour not covered yet",
            "deadline": HOUR + timedelta(hours=4), "next_check": HOUR + timedelta(minutes=65)}  # fmt: skip
    page = render(view(), {}, [wait], "https://airflow.example")
    assert "<li data-gas='NO2' data-hour='2024-09-01T23'>" in page
    assert (
        "href='https://airflow.example/dags/aeris_tempo_hourly/runs/manual__1/tasks/gas.harmony_job/mapped/0'"
        in page
    )
    assert "CMR lists S008G05.nc (22:58-23:38)" in page and "missing 23:38-00:00 UTC (22 min)" in page
    assert "deadline 2024-09-02 03:00 UTC" in page and "next check 00:05:00 UTC" in page
    assert "No hour is waiting" in render(view(), {})


def test_freshness_and_where_each_loaded_hour_came_from():
    from aeris_lib.freshness import LagPoint
    from aeris_lib.overview import Source

    cells = {("NO2", HOUR): Cell("success", "loaded", "", "TEMPO_NO2_L3_NRT V02",
                                 Source("nrt", ("a.nc", "b.nc"), "native", 32_500_000))}  # fmt: skip
    page = render(view(cells=cells, latest={"NO2": HOUR}, lags=[LagPoint("NO2", "nrt", HOUR, 65.0)]), {},
                  now=END + timedelta(minutes=5))  # fmt: skip
    assert (
        "NO2 latest hour 2024-09-01 23:00 UTC, 0 h 05 min behind" in page
        or "NO2 latest hour 2024-09-01 23:00 UTC, 5 min behind" in page
    )
    assert "<svg id='freshness'" in page and "class='point nrt'" in page
    row = page[page.index("<table id='provenance'>") :]
    assert "TEMPO_NO2_L3_NRT V02" in row and "a.nc, b.nc" in row and "native" in row and "32.5 MB" in row
