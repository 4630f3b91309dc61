"""The schema step of the TEMPO DAGs' first task (`plan`, `find_upgrades`): pending migrations applied
before the run reads or writes anything. A step of that task rather than a task of its own: a task
process per run costs more than the check (one query when the schema is current)."""

from __future__ import annotations

import logging
from typing import Any

from aeris_lib.db.migrate import apply_migrations

log = logging.getLogger(__name__)


def migrate(conn: Any) -> list[str]:
    """Apply pending migrations (include/sql/migrations) in order, each once, and say so; returns their
    names. Concurrent runs are safe: the migrator holds an advisory lock."""
    applied = apply_migrations(conn)
    log.info("Schema %s", f"migrated: {', '.join(applied)}" if applied else "up to date: nothing to apply")
    return applied
