"""aeris.tasks.schema: `migrate` (the first step of `plan` and `find_upgrades`) brings the AERIS database
to the newest migration, once, and says so."""

from __future__ import annotations

import logging

from aeris.tasks.schema import migrate

from aeris_lib.db.migrate import discover


def test_a_current_schema_is_left_alone_and_says_so(conn, caplog):
    caplog.set_level(logging.INFO, logger="aeris.tasks.schema")
    assert migrate(conn) == []
    assert "Schema up to date: nothing to apply" in caplog.text
    with conn.cursor() as cur:
        cur.execute("SELECT max(version) FROM aeris_schema_version")
        assert cur.fetchone()[0] == discover()[-1].version
