"""aeris_lib.db.waits: what a waiting (gas, hour) waits for, one row per hour, replaced at each look
(from a worker or, asynchronously, from the triggerer) and removed when the hour ends."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from aeris_lib.db.waits import Waiter, arecord_wait, clear_wait, record_wait, wait_params, waiting_now
from aeris_lib.publication import Granule

HOUR = datetime(2033, 9, 3, 16, tzinfo=UTC)
WAITER = Waiter("NO2", "aeris_tempo_hourly", "manual__w", "gas.harmony_job", 0)
DEADLINE = HOUR + timedelta(hours=4)


def granule(start_min: int, end_min: int, name: str = "S008G05") -> Granule:
    return Granule(f"TEMPO_NO2_L3_NRT_V02_{name}.nc", HOUR + timedelta(minutes=start_min),
                   HOUR + timedelta(minutes=end_min))  # fmt: skip


@pytest.mark.unit
def test_a_look_says_which_granules_cover_the_hour_and_what_is_missing():
    listed = [granule(-40, 0, "S007G05"), granule(-2, 38), granule(70, 110, "S009G05")]
    params = wait_params(WAITER, HOUR, listed, "1 listed; 22 min not covered yet", DEADLINE, HOUR)
    assert params["missing"] == "16:38-17:00 UTC (22 min)"
    assert [g["name"] for g in json.loads(params["listed"])] == ["TEMPO_NO2_L3_NRT_V02_S008G05.nc"]
    nothing = wait_params(WAITER, HOUR, [], "nothing listed", DEADLINE, HOUR)
    assert nothing["missing"] == "16:00-17:00 UTC (60 min)" and nothing["listed"] == "[]"


def test_one_row_per_hour_replaced_at_each_look_and_removed_at_the_end(conn, database_url):
    clear_wait(conn, "NO2", HOUR)
    record_wait(conn, wait_params(WAITER, HOUR, [], "nothing listed", DEADLINE, HOUR + timedelta(minutes=5)))

    async def later_look():
        async with await psycopg.AsyncConnection.connect(database_url) as aconn:
            params = wait_params(
                WAITER, HOUR, [granule(0, 40)], "1 listed", DEADLINE, HOUR + timedelta(minutes=10)
            )
            await arecord_wait(aconn, params)

    asyncio.run(later_look())
    (row,) = [r for r in waiting_now(conn) if r["gas_type"] == "NO2" and r["obs_time"] == HOUR]
    assert (row["missing"], row["next_check"], row["reason"]) == ("16:40-17:00 UTC (20 min)",
                                                                  HOUR + timedelta(minutes=10), "1 listed")  # fmt: skip
    assert row["listed"][0]["name"] == "TEMPO_NO2_L3_NRT_V02_S008G05.nc" and row["map_index"] == 0
    clear_wait(conn, "NO2", HOUR)
    assert not [r for r in waiting_now(conn) if r["obs_time"] == HOUR]
