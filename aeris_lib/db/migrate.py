"""Versioned, idempotent schema migrations from `include/sql/migrations/NNNN_<name>.sql`.

Each file runs once, in order, inside one transaction together with its row in `aeris_schema_version`.
A transaction-scoped advisory lock serialises concurrent callers (every DAG run calls this), so two
runs starting together cannot apply the same file twice. Run as a CLI:
`python -m aeris_lib.db.migrate` (reads `AERIS_DATABASE_URL`).
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aeris_lib import config
from aeris_lib.db.sql import load_sql
from aeris_lib.defaults import SQL_DIR

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"
# Arbitrary but fixed: the advisory-lock key for "schema migration in progress".
MIGRATION_LOCK_KEY = 7_341_001
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migration files in version order; a misnamed file or a repeated version is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name!r} must be named NNNN_snake_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations share version {version}: {found[version].name}, {path.stem}")
        found[version] = Migration(version, path.stem, path.read_text())
    return [found[v] for v in sorted(found)]


def apply_migrations(conn: Any, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations on a DB-API connection; returns the names applied (empty when current)."""
    migrations = discover() if migrations is None else migrations
    applied: list[str] = []
    with conn.cursor() as cur:
        cur.execute(load_sql("schema/lock_migrations.sql"), {"lock_key": MIGRATION_LOCK_KEY})
        cur.execute(load_sql("schema/create_version_table.sql"))
        cur.execute(load_sql("schema/applied_versions.sql"))
        done = {row[0] for row in cur.fetchall()}
        for migration in migrations:
            if migration.version in done:
                continue
            cur.execute(migration.sql)
            cur.execute(
                load_sql("schema/record_version.sql"), {"version": migration.version, "name": migration.name}
            )
            applied.append(migration.name)
    conn.commit()
    return applied


def main() -> int:
    import psycopg

    logging.basicConfig(level=logging.INFO, format="[aeris] %(message)s")
    try:
        databases = config.Databases.from_env()
        databases.require("aeris")
    except config.SettingError as error:
        print(f"[aeris] error: {error}", file=sys.stderr)
        return 2
    with psycopg.connect(databases.aeris) as conn:
        applied = apply_migrations(conn)
    conn.close()
    log.info("schema: %s", f"applied {', '.join(applied)}" if applied else "up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
