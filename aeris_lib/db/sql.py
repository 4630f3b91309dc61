"""Access to the SQL files under include/sql (all of the project's SQL lives there)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "include" / "sql"


@cache
def load_sql(relative_path: str) -> str:
    """Text of `include/sql/<relative_path>`."""
    return (SQL_DIR / relative_path).read_text()
