"""aeris_lib.db.migrate: the migration files found in order, misnamed or repeated ones refused, and the
command line that applies them. Applying them to a real database: every test's `conn` fixture."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aeris_lib.db.migrate import MIGRATIONS_DIR, discover

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_the_projects_migrations_are_numbered_without_gaps():
    found = discover()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "0001_grid_schema" and all(m.sql.strip() for m in found)
    assert len(found) == len(list(MIGRATIONS_DIR.glob("*.sql")))


def test_a_misnamed_or_repeated_migration_is_refused(tmp_path):
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    assert [m.name for m in discover(tmp_path)] == ["0001_first", "0002_second"]
    (tmp_path / "0002_again.sql").write_text("SELECT 3;")
    with pytest.raises(ValueError, match="two migrations share version 2"):
        discover(tmp_path)
    (tmp_path / "0002_again.sql").unlink()
    (tmp_path / "3_Bad-Name.sql").write_text("SELECT 4;")
    with pytest.raises(ValueError, match=r"must be named NNNN_snake_name\.sql"):
        discover(tmp_path)


def test_the_command_line_names_a_missing_database_url():
    result = subprocess.run([sys.executable, "-m", "aeris_lib.db.migrate"], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert result.returncode == 2 and "AERIS_DATABASE_URL not set" in result.stderr
