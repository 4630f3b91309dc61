"""A database loaded before the lean storage (migration 0008) keeps every published slice: same cells,
values, severities and flags through pollution_grid, now in the gas's own table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from aeris_lib.db.migrate import apply_migrations, discover
from aeris_lib.db.sql import load_sql

HOUR = datetime(2024, 9, 9, 18, tzinfo=UTC)
READ = (
    'SELECT "timestamp", gas_type, ST_AsText(geom), pollution_value, severity_level, quality_flag'
    " FROM pollution_grid ORDER BY gas_type, ST_YMax(geom) DESC, ST_XMin(geom)"
)


def _old_slice(cur, gas: str, grid_id: int, table: str) -> None:
    """A slice as the loader wrote it up to migration 0007: a partition of pollution_obs with the
    gas, hour, id and created_at on every row. `cur` binds client-side (`psycopg.ClientCursor`): the
    partition bounds are DDL, which takes no server-side parameters."""
    cur.execute(f"CREATE TABLE {table} (LIKE pollution_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cur.execute(
        f"INSERT INTO {table} (gas_type, obs_time, cell_id, value, severity, quality_flag)"
        " SELECT %s, %s, (%s::bigint << 40) | (r << 20) | c, 0.5 * (r * 10 + c), (r + c) %% 5, (c %% 2) * 2"
        " FROM generate_series(0, 2) r, generate_series(0, 3) c",
        (gas, HOUR, grid_id),
    )
    cur.execute(
        f"ALTER TABLE pollution_obs ATTACH PARTITION {table} FOR VALUES FROM (%s, %s) TO (%s, %s)",
        (gas, HOUR, gas, HOUR + timedelta(hours=1)),
    )
    cur.execute(
        "INSERT INTO obs_partition (gas_type, obs_time, table_name, row_count) VALUES (%s, %s, %s, 12)",
        (gas, HOUR, table),
    )


def test_0008_moves_published_slices_into_the_lean_tables(scratch_url):
    conn = psycopg.connect(scratch_url)
    migrations = discover()
    lean = next(i for i, m in enumerate(migrations) if m.name == "0008_lean_slices")
    apply_migrations(conn, migrations[:lean])
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(
            "INSERT INTO grid_spec (dx, dy, x_origin, y_origin) VALUES (0.02, 0.02, -100, 36) RETURNING grid_id"
        )
        grid_id = cur.fetchone()[0]
        extent = {"grid_id": grid_id, "row_min": 0, "row_max": 2, "col_min": 0, "col_max": 3}
        cur.execute(
            load_sql("grid/insert_grid_cells.sql"),
            {**extent, "dx": 0.02, "dy": 0.02, "x_origin": -100, "y_origin": 36},
        )
        _old_slice(cur, "NO2", grid_id, "pobs_no2_2024090918_aaaa0000")
        _old_slice(cur, "O3", grid_id, "pobs_o3_2024090918_bbbb0000")
        cur.execute(READ)
        before = cur.fetchall()
    conn.commit()

    assert [m for m in apply_migrations(conn)] == [m.name for m in migrations[lean:]]
    with conn.cursor() as cur:
        cur.execute(READ)
        assert cur.fetchall() == before and len(before) == 24
        cur.execute("SELECT gas_type, table_name FROM obs_partition ORDER BY 1")
        moved = cur.fetchall()
        assert moved == [("NO2", "pobs_no2_2024090918_aaaa0000_l"), ("O3", "pobs_o3_2024090918_bbbb0000_l")]
        cur.execute(
            "SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = ANY(%s::regclass[]) ORDER BY 1",
            ([t for _, t in moved],),
        )
        assert [r[0] for r in cur.fetchall()] == ["pollution_obs_no2", "pollution_obs_o3"]
        cur.execute("SELECT to_regclass('pobs_no2_2024090918_aaaa0000'), to_regclass('pollution_obs_id_seq')")
        assert cur.fetchone() == (None, None)
    conn.close()
