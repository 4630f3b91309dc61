"""aeris.hooks.waits: WaitsHook writes a wait through `aeris_postgres`, from a worker or, without
blocking, from the triggerer's event loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aeris.hooks.waits import WaitsHook

from aeris_lib.db.waits import Waiter, wait_params, waiting_now

HOUR = datetime(2033, 9, 4, 16, tzinfo=UTC)
WAITER = Waiter("O3", "aeris_tempo_hourly", "manual__h", "gas.wait_for_publication", 1)


def test_the_hook_records_from_a_worker_and_from_the_triggerer_and_clears(conn):
    hook = WaitsHook()
    hook.clear("O3", HOUR)
    hook.record(wait_params(WAITER, HOUR, [], "nothing listed", HOUR + timedelta(hours=4), HOUR))
    asyncio.run(hook.arecord(wait_params(WAITER, HOUR, [], "still nothing", HOUR + timedelta(hours=4), HOUR)))
    reasons = [r["reason"] for r in waiting_now(conn) if (r["gas_type"], r["obs_time"]) == ("O3", HOUR)]
    assert reasons == ["still nothing"]
    hook.clear("O3", HOUR)
    assert not [r for r in waiting_now(conn) if (r["gas_type"], r["obs_time"]) == ("O3", HOUR)]
