"""aeris.hooks.waits: WaitsHook writes a wait through `aeris_postgres`, from a worker or, without
blocking, from the triggerer's event loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aeris.hooks.waits import WaitsHook

from aeris_lib.db.waits import Waiter, wait_params, waiting_now

HOUR = datetime(2033, 9, 4, 16, tzinfo=UTC)
WAITER = Waiter("O3", "aeris_tempo_hourly", "manual__h", "gas.harmony_job", 1)


def test_the_hook_records_from_a_worker_and_from_the_triggerer_and_clears(conn):
    hook = WaitsHook()
    hook.clear("O3", HOUR)
    hook.record(wait_params(WAITER, HOUR, [], "nothing listed", HOUR + timedelta(hours=4), HOUR))
    asyncio.run(hook.arecord(wait_params(WAITER, HOUR, [], "still nothing", HOUR + timedelta(hours=4), HOUR)))
    reasons = [r["reason"] for r in waiting_now(conn) if (r["gas_type"], r["obs_time"]) == ("O3", HOUR)]
    assert reasons == ["still nothing"]
    hook.clear("O3", HOUR)
    assert not [r for r in waiting_now(conn) if (r["gas_type"], r["obs_time"]) == ("O3", HOUR)]


def _waits_login():
    import os

    import psycopg

    return psycopg.connect(os.environ["AIRFLOW_CONN_AERIS_WAITS"].replace("postgres://", "postgresql://", 1))


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ("INSERT INTO publication_wait (gas_type, obs_time, dag_id, run_id, task_id, map_index, listed, missing,"
         " reason, deadline, next_check, updated_at) VALUES ('NO2', '2031-01-01T10:00Z', 'd', 'r', 't', 0, '[]',"
         " '', 'x', now(), now(), now())", True),
        ("UPDATE publication_wait SET reason = 'y' WHERE gas_type = 'NO2' AND obs_time = '2031-01-01T10:00Z'", True),
        ("DELETE FROM publication_wait WHERE gas_type = 'NO2' AND obs_time = '2031-01-01T10:00Z'", True),
        ("DROP TABLE publication_wait", False),
        ("TRUNCATE publication_wait", False),
        ("SELECT reason FROM publication_wait", False),
        ("INSERT INTO ingest_log (gas_type, obs_time, status) VALUES ('NO2', now(), 'failed')", False),
        ("DELETE FROM ingest_log", False),
        ("UPDATE obs_partition SET row_count = 0", False),
        ("SELECT count(*) FROM saved_routes", False),
        ("CREATE TABLE waits_was_here (x int)", False),
    ],
)  # fmt: skip
def test_the_triggerers_login_may_write_publication_waits_and_nothing_else(conn, statement, allowed):
    import psycopg

    login = _waits_login()
    try:
        with login.cursor() as cur:
            cur.execute(
                "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
            )
            assert cur.fetchone() == (False, False, False)
            if allowed:
                cur.execute(statement)
            else:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    cur.execute(statement)
    finally:
        login.rollback()
        login.close()


def test_every_libpq_option_of_the_connection_reaches_the_async_connect(conn, monkeypatch):
    """`sslmode=require` against a server without SSL: the connect fails for that reason, so the option
    reached libpq; with `sslmode=disable` and `application_name` the same login writes its wait."""
    import json
    import os
    from urllib.parse import urlsplit

    import psycopg

    url = urlsplit(os.environ["AIRFLOW_CONN_AERIS_WAITS"])
    base = {"conn_type": "postgres", "host": url.hostname, "port": url.port, "login": url.username,
            "password": url.password, "schema": url.path.lstrip("/")}  # fmt: skip
    params = wait_params(WAITER, HOUR, [], "over SSL options", HOUR + timedelta(hours=4), HOUR)
    monkeypatch.setenv("AIRFLOW_CONN_WAITS_SSL", json.dumps({**base, "extra": {"sslmode": "require"}}))
    with pytest.raises(psycopg.OperationalError, match="SSL"):
        asyncio.run(WaitsHook(waits_conn_id="waits_ssl").arecord(params))
    extra = {"sslmode": "disable", "application_name": "aeris-triggerer"}
    monkeypatch.setenv("AIRFLOW_CONN_WAITS_PLAIN", json.dumps({**base, "extra": extra}))
    asyncio.run(WaitsHook(waits_conn_id="waits_plain").arecord(params))
    assert any(r["reason"] == "over SSL options" for r in waiting_now(conn))
    WaitsHook().clear("O3", HOUR)
