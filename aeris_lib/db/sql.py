"""Access to the SQL files under include/sql (all of the project's SQL lives there)."""

from __future__ import annotations

from functools import cache

from aeris_lib.defaults import SQL_DIR


@cache
def load_sql(relative_path: str) -> str:
    """Text of `include/sql/<relative_path>`."""
    return (SQL_DIR / relative_path).read_text()


def statements(relative_path: str) -> list[str]:
    """The statements of a multi-statement SQL file, one by one: psycopg 3 (what PostgresHook gives
    tasks) sends parameters server-side, and a prepared statement holds exactly one command. Statements
    end with `;` at the end of a line; comment lines are dropped."""
    lines = [line for line in load_sql(relative_path).splitlines() if not line.lstrip().startswith("--")]
    parts, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            parts.append("\n".join(current).strip().removesuffix(";"))
            current = []
    if "\n".join(current).strip():
        parts.append("\n".join(current).strip())
    return parts
