"""`migrate_schema`: applies AERIS's pending schema migrations before a run touches the database."""

from __future__ import annotations

import logging

from aeris.config.connections import aeris_db
from airflow.sdk import task

from aeris_lib.db.migrate import apply_migrations

log = logging.getLogger(__name__)


@task
def migrate_schema() -> list[str]:
    """Apply pending migrations (include/sql/migrations) in order, each once; returns their names.
    Concurrent runs are safe: the migrator holds an advisory lock."""
    with aeris_db() as conn:
        applied = apply_migrations(conn)
    log.info("Schema %s", f"migrated: {', '.join(applied)}" if applied else "up to date: nothing to apply")
    return applied
