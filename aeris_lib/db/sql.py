"""Access to the SQL files under include/sql (all of the project's SQL lives there)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aeris_lib.defaults import SQL_DIR

# A slice table's name, as the loader makes it (`pobs_no2_2024090217_1a2b3c4d`); migration 0012 puts
# the same rule in a CHECK on obs_partition and rejected_slice, so no other name is ever dropped.
SLICE_TABLE = re.compile(r"^pobs_[a-z0-9]{1,8}_[0-9]{10}_[0-9a-f]{8}(_l)?$")  # `_l`: rewritten by 0008


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


def identifier(cur: Any, name: str) -> str:
    """`name` quoted as an SQL identifier (`psycopg.sql.Identifier`, with the connection's encoding):
    DDL takes no bind parameters."""
    from psycopg import sql as driver_sql

    return driver_sql.Identifier(name).as_string(getattr(cur, "connection", cur))


def slice_table(cur: Any, name: str) -> str:
    """A slice table's quoted name; `ValueError` for any name the loader would not have made."""
    if not SLICE_TABLE.match(name):
        raise ValueError(f"{name!r} is not a slice table's name; refusing to put it into SQL")
    return identifier(cur, name)
