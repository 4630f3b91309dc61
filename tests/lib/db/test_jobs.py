"""aeris_lib.db.jobs: one Harmony job per request, found again by its key; gases asking the same
request share it, and take turns submitting it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from aeris_lib.db.jobs import find_job, remember_job, request_key, request_lock

HOUR = datetime(2031, 3, 4, 15, tzinfo=UTC)
BBOX = (-100.0, 30.0, -98.0, 32.0)


@pytest.mark.unit
def test_the_key_names_what_was_asked_and_ignores_the_granules_order():
    key = request_key(BBOX, "C1-LARC_CLOUD", "all", ["b.nc", "a.nc"], "native")
    assert key == request_key(
        [-100, 30, -98, 32.0000000001], "C1-LARC_CLOUD", "all", ["a.nc", "b.nc"], "native"
    )
    assert key.startswith("[-100.0, 30.0, -98.0, 32.0]|C1-LARC_CLOUD|all|native|")
    assert key != request_key(BBOX, "C1-LARC_CLOUD", "all", ["a.nc", "b.nc", "c.nc"], "native")
    assert key != request_key(BBOX, "C1-LARC_CLOUD", "all", ["a.nc", "b.nc"], "geotiff")


def test_a_job_is_found_again_for_its_gas_or_shared_by_key(conn):
    key = request_key(BBOX, "C1-LARC_CLOUD", "all", ["a.nc"], "native")
    with conn.cursor() as cur:
        cur.execute("DELETE FROM harmony_job WHERE obs_time = %s", (HOUR,))
    conn.commit()
    assert find_job(conn, "NO2", HOUR, key) is None
    remember_job(conn, "NO2", HOUR, key, "j-1", "https://harmony/jobs/j-1")
    job_id, job_url, submitted_at = find_job(conn, "NO2", HOUR, key)
    assert (job_id, job_url) == ("j-1", "https://harmony/jobs/j-1") and submitted_at.tzinfo is not None
    assert find_job(conn, "AI", HOUR, key) is None
    assert find_job(conn, "AI", HOUR, key, any_gas=True)[0] == "j-1"


def test_gases_asking_the_same_request_take_turns(conn, database_url):
    key = request_key(BBOX, "C1-LARC_CLOUD", "all", ["lock.nc"], "native")
    order = []
    other = psycopg.connect(database_url)

    def second():
        with request_lock(other, HOUR, key):
            order.append("second")

    with request_lock(conn, HOUR, key):
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(0.5)
        order.append("first")
    waiter.join(10)
    other.close()
    assert order == ["first", "second"]
