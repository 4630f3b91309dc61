"""WaitsHook: what each waiting (gas, hour) waits for, written to `publication_wait`: from a worker
through `aeris_postgres` (PostgresHook), from the triggerer through `aeris_waits`, a login that may
write that table and nothing else, on psycopg's async connection (the triggerer's event loop never
blocks on the database). Every libpq option of the connection (`sslmode`, `sslrootcert`, …) reaches
the async connect, as PostgresHook passes them to the sync one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aeris.config.connections import POSTGRES_CONN_ID, WAITS_CONN_ID, aeris_db
from airflow.sdk import BaseHook

from aeris_lib.db import waits


class WaitsHook(BaseHook):
    """:param postgres_conn_id: the AERIS database (default `aeris_postgres`), for workers.
    :param waits_conn_id: the triggerer's login (default `aeris_waits`)."""

    conn_name_attr = "postgres_conn_id"
    default_conn_name = POSTGRES_CONN_ID
    conn_type = "postgres"
    hook_name = "AERIS publication waits"

    def __init__(self, postgres_conn_id: str = POSTGRES_CONN_ID, waits_conn_id: str = WAITS_CONN_ID) -> None:
        super().__init__()
        self.postgres_conn_id = postgres_conn_id
        self.waits_conn_id = waits_conn_id

    def record(self, params: dict[str, Any]) -> None:
        with aeris_db() as conn:
            waits.record_wait(conn, params)

    def clear(self, gas: str, hour: datetime) -> None:
        with aeris_db() as conn:
            waits.clear_wait(conn, gas, hour)

    async def arecord(self, params: dict[str, Any]) -> None:
        import psycopg

        conn = await BaseHook.aget_connection(self.waits_conn_id)
        async with await psycopg.AsyncConnection.connect(**libpq_options(conn)) as aconn:
            await waits.arecord_wait(aconn, params)


# Extras of a postgres connection that are Airflow's, not libpq's (PostgresHook drops the same).
NOT_LIBPQ = frozenset({"cursor", "iam", "redshift", "redshift-serverless", "aws_conn_id", "azure_conn_id",
                       "sqlalchemy_scheme", "sqlalchemy_options", "enable_log_db_messages", "cluster-identifier",
                       "workgroup-name", "region_name"})  # fmt: skip


def libpq_options(conn: Any) -> dict[str, Any]:
    """psycopg `connect()` keywords of an Airflow postgres connection: its fields and every libpq
    option among its extras (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `options`, …); a 10 s
    connect timeout unless it sets one. An unknown option is libpq's error, not silently dropped."""
    import psycopg

    options: dict[str, Any] = {
        "host": conn.host, "port": conn.port or 5432, "user": conn.login, "password": conn.password,
        "dbname": conn.schema, "connect_timeout": 10,
    }  # fmt: skip
    options.update({key: value for key, value in conn.extra_dejson.items() if key not in NOT_LIBPQ})
    psycopg.conninfo.make_conninfo(**{k: v for k, v in options.items() if v is not None})  # checks every name
    return options
