"""The connection ids every AERIS task uses, and a closing PostgreSQL connection for task bodies."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from aeris_lib import config

POSTGRES_CONN_ID = "aeris_postgres"
# The AERIS view's login: it may read the ledger and nothing else (aeris_lib.db.roles).
VIEW_CONN_ID = "aeris_view"
# The triggerer's login: it may write `publication_wait` and nothing else (aeris_lib.db.roles).
WAITS_CONN_ID = "aeris_waits"
S3_CONN_ID = "aeris_s3"
REDIS_CONN_ID = "aeris_redis"
# The AWS account of the SQS queue CMR sends granule events to (the events DAG's watcher reads it).
EVENTS_CONN_ID = "aeris_events"


def aeris_db() -> closing[Any]:
    """`with aeris_db() as conn:` a DB-API connection through PostgresHook('aeris_postgres'), closed after."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return closing(PostgresHook(postgres_conn_id=POSTGRES_CONN_ID).get_conn())


def view_db() -> closing[Any]:
    """`with view_db() as conn:` the AERIS view's read-only connection ('aeris_view'), closed after."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return closing(PostgresHook(postgres_conn_id=VIEW_CONN_ID).get_conn())


def audit_bucket() -> str:
    """AERIS_S3_BUCKET: the audit bucket, in which staged rasters wait for their load too."""
    from aeris.config.settings import checked

    return checked(config.Storage.from_env).bucket
