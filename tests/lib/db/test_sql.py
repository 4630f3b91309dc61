"""aeris_lib.db.sql: the project's SQL files, split into statements, and names made safe for DDL."""

from __future__ import annotations

import pytest

from aeris_lib.db import sql
from aeris_lib.defaults import SQL_DIR

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_every_sql_file_the_code_names_exists():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    named = set()
    for folder in ("aeris_lib", "plugins", "scripts"):
        for path in (root / folder).rglob("*.py"):
            named |= set(
                re.findall(r"""(?:load_sql|statements)\(\s*["']([\w/]+\.sql)["']""", path.read_text())
            )
    assert named and all((SQL_DIR / name).is_file() for name in named), sorted(
        n for n in named if not (SQL_DIR / n).is_file()
    )


def test_statements_split_a_file_at_line_ends_dropping_comments():
    parts = sql.statements("routes/plan_few_routes.sql")
    assert parts == [
        "SET LOCAL jit = off",
        "SET LOCAL enable_hashjoin = off",
        "SET LOCAL enable_mergejoin = off",
    ]


@pytest.mark.parametrize("name", ["pobs_no2_2024090115_1a2b3c4d", "pobs_ch2o_2024090115_00ff00ff_l"])
def test_slice_table_names_the_loader_makes_pass(name):
    assert sql.SLICE_TABLE.match(name)


@pytest.mark.parametrize(
    "name", ["pollution_grid", "pobs_no2_2024090115_1a2b3c4d; DROP TABLE x", "pobs_NO2_2024090115_1a2b3c4d",
             "pobs_no2_24090115_1a2b3c4d", ""],
)  # fmt: skip
def test_any_other_name_is_refused_before_it_reaches_sql(name):
    with pytest.raises(ValueError, match="not a slice table's name"):
        sql.slice_table(object(), name)
