"""Registering a lattice's cells: a large first rectangle at bulk speed (indexes rebuilt), small ones in
place; either way the same polygons, each cell once, both indexes back (a database of its own)."""

from __future__ import annotations

import psycopg

from aeris_lib.db import grid
from aeris_lib.db.migrate import apply_migrations

SPEC = {"dx": 0.02, "dy": 0.02, "x_origin": -180.0, "y_origin": 90.0}


def _extent(grid_id, rows, cols):
    return {
        "grid_id": grid_id,
        "row_min": rows[0],
        "row_max": rows[1],
        "col_min": cols[0],
        "col_max": cols[1],
    }


def _state(cur):
    cur.execute("SELECT count(*), count(DISTINCT cell_id) FROM grid_cell")
    counts = cur.fetchone()
    cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'grid_cell' ORDER BY 1")
    return counts, [name for (name,) in cur.fetchall()]


# psycopg 3 is what PostgresHook hands the tasks (server-side parameters: one command per statement).
def test_a_large_first_rectangle_is_bulk_registered_and_small_ones_in_place(scratch_url, caplog):
    setup = psycopg.connect(scratch_url)
    apply_migrations(setup)
    setup.close()
    conn = psycopg.connect(scratch_url)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO grid_spec (dx, dy, x_origin, y_origin) VALUES (0.02, 0.02, -180, 90) RETURNING grid_id"
        )
        grid_id = cur.fetchone()[0]
        # A small earlier extent inside the big one (a test bbox): kept in place, then overlapped.
        grid.register_cells(cur, _extent(grid_id, (2010, 2019), (3010, 3019)), SPEC)
        assert _state(cur) == ((100, 100), ["grid_cell_geom_gist", "grid_cell_pkey"])
        cur.execute("ANALYZE grid_cell")
        with caplog.at_level("INFO"):
            grid.register_cells(cur, _extent(grid_id, (2000, 2499), (3000, 3499)), SPEC)  # 250,000 cells
        assert "indexes rebuilt" in caplog.text
        assert _state(cur) == ((250_000, 250_000), ["grid_cell_geom_gist", "grid_cell_pkey"])
        # The polygon of a cell is its lattice square, whichever path wrote it.
        cur.execute(
            "SELECT ST_XMin(geom), ST_YMax(geom), ST_XMax(geom) - ST_XMin(geom) FROM grid_cell WHERE cell_id = %s",
            ((grid_id << 40) | (2010 << 20) | 3010,),
        )
        west, north, width = cur.fetchone()
        assert (round(west, 6), round(north, 6), round(width, 6)) == (
            round(-180 + 3010 * 0.02, 6),
            round(90 - 2010 * 0.02, 6),
            0.02,
        )
        caplog.clear()
        with caplog.at_level("INFO"):
            grid.register_cells(cur, _extent(grid_id, (2500, 2509), (3000, 3009)), SPEC)  # 100 more, in place
        assert "indexes rebuilt" not in caplog.text
        assert _state(cur)[0] == (250_100, 250_100)
        cur.execute("EXPLAIN SELECT cell_id FROM grid_cell WHERE geom && ST_MakeEnvelope(0, 0, 1, 1, 4326)")
        assert "grid_cell_geom_gist" in " ".join(row[0] for row in cur.fetchall())
    conn.rollback()
    conn.close()
