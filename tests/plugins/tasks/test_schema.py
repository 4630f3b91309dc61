"""aeris.tasks.schema: `migrate_schema` brings the AERIS database to the newest migration, once."""

from __future__ import annotations

import logging

from aeris.tasks.schema import migrate_schema

from aeris_lib.db.migrate import discover


def test_a_current_schema_is_left_alone_and_says_so(conn, caplog):
    caplog.set_level(logging.INFO, logger="aeris.tasks.schema")
    assert migrate_schema.function() == []
    assert "Schema up to date: nothing to apply" in caplog.text
    with conn.cursor() as cur:
        cur.execute("SELECT max(version) FROM aeris_schema_version")
        assert cur.fetchone()[0] == discover()[-1].version
