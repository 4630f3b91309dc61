"""aeris.config.connections: the connection ids every AERIS task uses, and the audit bucket."""

from __future__ import annotations

import pytest
from aeris.config import connections


@pytest.mark.unit
def test_the_connection_ids_are_the_documented_ones():
    ids = (
        connections.POSTGRES_CONN_ID,
        connections.VIEW_CONN_ID,
        connections.S3_CONN_ID,
        connections.REDIS_CONN_ID,
    )
    assert ids == ("aeris_postgres", "aeris_view", "aeris_s3", "aeris_redis")


@pytest.mark.unit
def test_the_audit_bucket_is_aeris_s3_bucket_else_the_default(monkeypatch):
    monkeypatch.delenv("AERIS_S3_BUCKET", raising=False)
    assert connections.audit_bucket() == "aeris-audit"
    monkeypatch.setenv("AERIS_S3_BUCKET", " audit-prod ")
    assert connections.audit_bucket() == "audit-prod"


def test_database_connections_close_after_use():
    """`with aeris_db()` hands out PostgresHook's connection to `aeris_postgres` and closes it after;
    `view_db()` logs in as the AERIS view, which may read the ledger only."""
    with connections.aeris_db() as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user")
        pipeline_role = cur.fetchone()[0]
    assert conn.closed
    with connections.view_db() as view, view.cursor() as cur:
        cur.execute("SELECT current_user, has_table_privilege('ingest_log', 'SELECT'),"
                    " has_table_privilege('saved_routes', 'SELECT')")  # fmt: skip
        view_role, reads_ledger, reads_routes = cur.fetchone()
    assert view_role != pipeline_role and reads_ledger and not reads_routes
