"""WaitsHook: what each waiting (gas, hour) waits for, written to `publication_wait` through the
`aeris_postgres` connection, from a worker (PostgresHook) or from the triggerer (psycopg's async
connection, so the triggerer's event loop never blocks on the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aeris.config.connections import POSTGRES_CONN_ID, aeris_db
from airflow.sdk import BaseHook

from aeris_lib.db import waits


class WaitsHook(BaseHook):
    """:param postgres_conn_id: the AERIS database (default `aeris_postgres`)."""

    conn_name_attr = "postgres_conn_id"
    default_conn_name = POSTGRES_CONN_ID
    conn_type = "postgres"
    hook_name = "AERIS publication waits"

    def __init__(self, postgres_conn_id: str = POSTGRES_CONN_ID) -> None:
        super().__init__()
        self.postgres_conn_id = postgres_conn_id

    def record(self, params: dict[str, Any]) -> None:
        with aeris_db() as conn:
            waits.record_wait(conn, params)

    def clear(self, gas: str, hour: datetime) -> None:
        with aeris_db() as conn:
            waits.clear_wait(conn, gas, hour)

    async def arecord(self, params: dict[str, Any]) -> None:
        import psycopg

        conn = await BaseHook.aget_connection(self.postgres_conn_id)
        async with await psycopg.AsyncConnection.connect(
            host=conn.host, port=conn.port or 5432, user=conn.login, password=conn.password,
            dbname=conn.schema, connect_timeout=10,
        ) as aconn:  # fmt: skip
            await waits.arecord_wait(aconn, params)
