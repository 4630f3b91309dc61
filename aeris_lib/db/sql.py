"""Access to the SQL files under include/sql (all of the project's SQL lives there)."""

from __future__ import annotations

from functools import cache

from aeris_lib.defaults import SQL_DIR


@cache
def load_sql(relative_path: str) -> str:
    """Text of `include/sql/<relative_path>`."""
    return (SQL_DIR / relative_path).read_text()
