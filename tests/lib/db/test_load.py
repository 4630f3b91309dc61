"""Normalize and load against the real PostGIS: exact cells, fill handling, atomic slice replacement."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest

import aeris_lib.db.load as load_module
import aeris_lib.db.routes as routes_module
from aeris_lib.db.load import load_slice
from aeris_lib.db.routes import recompute_route_exposure
from aeris_lib.raster import RasterError
from aeris_lib.thresholds import POLLUTION_THRESHOLDS, classify_array, classify_pollution_level
from tests.support.db import ledger, saved_route, slice_rows
from tests.support.geotiff import FILL, NORTH, STEP, WEST, write_geotiff

pytestmark = pytest.mark.integration


def hour_of(day: int, h: int = 12) -> datetime:
    return datetime(2020, 1, day, h, tzinfo=UTC)


def test_classifier_levels_and_thresholds():
    for gas, steps in POLLUTION_THRESHOLDS.items():
        for severity, (name, edge) in enumerate(steps.items(), start=1):
            assert classify_pollution_level(edge, gas) == (name, severity)
            assert classify_pollution_level(np.nextafter(edge, -np.inf), gas)[1] == severity - 1
        edges = np.array(list(steps.values()), dtype=np.float32)
        assert classify_array(edges, gas).tolist() == [1, 2, 3, 4]
    assert classify_pollution_level(0.0, "O3") == ("good", 0)


def test_tiny_geotiff_exact_polygons_values_and_severities(conn, tmp_path):
    hour = hour_of(1)
    t = POLLUTION_THRESHOLDS["NO2"]
    grid = np.array(
        [
            [1e15, t["moderate"], t["unhealthy"]],
            [t["very_unhealthy"], t["hazardous"], 3e16],
        ],
        dtype=np.float32,
    )
    result = load_slice(conn, str(write_geotiff(tmp_path / "no2.tif", grid)), "NO2", hour)
    assert (result.cells_read, result.cells_skipped, result.rows_written) == (6, 0, 6)

    rows = slice_rows(conn, "NO2", hour)
    assert len(rows) == 6
    for (xmin, ymin, xmax, ymax, npoints, value, _severity), (r, c) in zip(
        rows, [(r, c) for r in range(2) for c in range(3)], strict=True
    ):
        assert xmin == pytest.approx(WEST + c * STEP, abs=1e-9)
        assert xmax == pytest.approx(WEST + (c + 1) * STEP, abs=1e-9)
        assert ymax == pytest.approx(NORTH - r * STEP, abs=1e-9)
        assert ymin == pytest.approx(NORTH - (r + 1) * STEP, abs=1e-9)
        assert npoints == 5  # a closed rectangle: the pixel's four corners
        assert value == float(grid[r, c])
    assert [row[6] for row in rows] == [0, 1, 2, 3, 4, 4]  # a value on a threshold takes the higher level
    with conn.cursor() as cur:
        cur.execute(
            "SELECT bool_and(ST_IsValid(geom)), min(ST_SRID(geom)), min(GeometryType(geom))"
            " FROM pollution_grid WHERE gas_type = 'NO2' AND timestamp = %s",
            (hour,),
        )
        assert cur.fetchone() == (True, 4326, "POLYGON")
    conn.rollback()
    assert ledger(conn, "NO2", hour)[-1][:4] == ("success", 6, 6, 0)


def test_fill_nan_and_infinities_are_never_stored(conn, tmp_path):
    hour = hour_of(2)
    grid = np.array([[FILL, np.nan, 400.0], [np.inf, -np.inf, 30.0]], dtype=np.float32)
    result = load_slice(conn, str(write_geotiff(tmp_path / "o3.tif", grid)), "O3", hour)
    assert (result.cells_read, result.cells_skipped, result.rows_written) == (6, 4, 2)
    values = [row[5] for row in slice_rows(conn, "O3", hour)]
    assert values == [400.0, 30.0]
    # 30 DU is not a possible total ozone column: kept, and flagged, not silently dropped.
    assert result.cells_flagged == 1
    with conn.cursor() as cur:
        cur.execute(
            "SELECT value, quality_flag FROM pollution_obs WHERE gas_type = 'O3' AND obs_time = %s ORDER BY value",
            (hour,),
        )
        assert cur.fetchall() == [(30.0, 1), (400.0, 0)]
    conn.rollback()


def test_all_fill_raster_loads_zero_rows_and_says_so(conn, tmp_path, caplog):
    hour = hour_of(3)
    load_slice(conn, str(write_geotiff(tmp_path / "a.tif", np.full((2, 2), 3.0))), "AI", hour)
    result = load_slice(conn, str(write_geotiff(tmp_path / "b.tif", np.full((2, 2), FILL))), "AI", hour)
    assert (result.rows_written, result.cells_skipped) == (0, 4)
    assert slice_rows(conn, "AI", hour) == []  # the all-fill hour replaced the earlier copy
    assert "every cell was fill" in caplog.text
    assert ledger(conn, "AI", hour)[-1][:4] == ("success", 0, 4, 4)


def test_rerun_gives_identical_rows(conn, tmp_path):
    hour = hour_of(4)
    path = str(write_geotiff(tmp_path / "ch2o.tif", np.linspace(1e15, 3e16, 20).reshape(4, 5)))
    load_slice(conn, path, "CH2O", hour)
    first = slice_rows(conn, "CH2O", hour)
    load_slice(conn, path, "CH2O", hour)
    assert slice_rows(conn, "CH2O", hour) == first and len(first) == 20


def _waiting_sessions(database_url: str, locktype: str, count: int, timeout_s: float = 30) -> bool:
    """True once `count` other sessions wait for a lock of `locktype` (advisory, relation) at once."""
    deadline = time.monotonic() + timeout_s
    watcher = psycopg.connect(database_url)
    watcher.autocommit = True
    try:
        with watcher.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute(
                    "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND locktype = %s",
                    (locktype,),
                )
                if cur.fetchone()[0] >= count:
                    return True
                time.sleep(0.05)
        return False
    finally:
        watcher.close()


def test_two_concurrent_loads_of_one_slice_leave_one_copy(database_url, conn, tmp_path):
    hour = hour_of(5)
    path = str(write_geotiff(tmp_path / "no2.tif", np.linspace(1e15, 3e16, 400).reshape(20, 20)))
    errors: list[BaseException] = []

    def load():
        connection = psycopg.connect(database_url)
        try:
            load_slice(connection, path, "NO2", hour)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    # The test holds the slice's lock first, so both loads are seen waiting on it at the same time:
    # they really overlap, and the lock is what makes them take turns.
    with conn.cursor() as cur:
        load_module.lock_slice(cur, "NO2", hour)
    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert _waiting_sessions(database_url, "advisory", 2), "both loads should be waiting on the slice lock"
    conn.rollback()  # releases the lock: the loads go one after the other
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a load hung"
    assert errors == []
    assert len(slice_rows(conn, "NO2", hour)) == 400
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM obs_partition WHERE gas_type = 'NO2' AND obs_time = %s", (hour,))
        assert cur.fetchone()[0] == 1
    conn.rollback()


def test_two_concurrent_loads_of_the_same_file_write_it_once(database_url, conn, tmp_path):
    """Two runs (an event's and another's) load the same file at once: the second, waiting on the slice
    lock while the first writes, finds it published and writes nothing."""
    hour = hour_of(6)
    path = str(write_geotiff(tmp_path / "no2.tif", np.linspace(1e15, 3e16, 400).reshape(20, 20)))
    statuses: list[str] = []
    sha = secrets.token_hex(32)  # a file this slice never held, whatever earlier runs left

    def load():
        with psycopg.connect(database_url) as connection:
            statuses.append(load_slice(connection, path, "NO2", hour, source_sha256=sha).status)

    with conn.cursor() as cur:  # both loads past their first look, then waiting on the lock together
        load_module.lock_slice(cur, "NO2", hour)
    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert _waiting_sessions(database_url, "advisory", 2), "both loads should be waiting on the slice lock"
    conn.rollback()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == ["success", "unchanged"]
    # Both attempts were recorded before either took the lock, so their ids say nothing of the order:
    # what matters is that the one that wrote finished first, and the other found its slice.
    with conn.cursor() as cur:
        cur.execute(
            "SELECT status FROM ingest_log WHERE gas_type = 'NO2' AND obs_time = %s AND source_sha256 = %s"
            " ORDER BY finished_at",
            (hour, sha),
        )
        assert [row[0] for row in cur.fetchall()] == ["success", "unchanged"]
    conn.rollback()


def test_load_killed_midway_leaves_the_previous_slice(database_url, conn, tmp_path, monkeypatch):
    hour = hour_of(6)
    load_slice(conn, str(write_geotiff(tmp_path / "v1.tif", np.full((30, 30), 1e15))), "NO2", hour)
    before = slice_rows(conn, "NO2", hour)

    victim = psycopg.connect(database_url)
    real_iter_cells = load_module.iter_cells

    def iter_cells_then_kill(info, gas):
        blocks = real_iter_cells(info, gas, block_rows=8)
        yield next(blocks)
        # The COPY is streaming: kill the loader's backend, as a crash or a lost network would.
        with psycopg.connect(database_url) as killer, killer.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
        yield from blocks

    monkeypatch.setattr(load_module, "iter_cells", iter_cells_then_kill)
    path = str(write_geotiff(tmp_path / "v2.tif", np.full((30, 30), 2e16)))
    with pytest.raises(psycopg.Error):
        load_slice(victim, path, "NO2", hour)
    victim.close()
    assert slice_rows(conn, "NO2", hour) == before
    assert ledger(conn, "NO2", hour)[-1][0] == "running"  # the killed attempt could not close its row
    monkeypatch.undo()
    load_slice(conn, path, "NO2", hour)  # the next attempt closes it
    status, *_, error = ledger(conn, "NO2", hour)[-2]
    assert status == "failed" and "abandoned" in error


@pytest.mark.parametrize("problem", ["corrupt", "truncated", "multi-band", "zero-size", "wrong CRS"])
def test_bad_files_give_a_clear_error_and_write_nothing(conn, tmp_path, problem):
    hour = hour_of(7)
    good = write_geotiff(tmp_path / "good.tif", np.full((40, 40), 1e16))
    load_slice(conn, str(good), "NO2", hour)
    before = slice_rows(conn, "NO2", hour)
    bad = tmp_path / "bad.tif"
    expected = {
        "corrupt": "not a readable GeoTIFF",
        "truncated": "(not a readable GeoTIFF|corrupt or truncated)",
        "multi-band": "expected 1 band",
        "zero-size": "not a readable GeoTIFF",
        "wrong CRS": "CRS is EPSG:3857",
    }[problem]
    if problem == "corrupt":
        bad.write_bytes(b"II*\x00" + bytes(range(256)) * 8)
    elif problem == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])
    elif problem == "multi-band":
        write_geotiff(bad, np.full((3, 4, 4), 1e16))  # a value and a quality flag is the most there can be
    elif problem == "zero-size":
        bad.write_bytes(b"")
    else:
        write_geotiff(
            bad, np.full((4, 4), 1e16), west=-11131949.0, north=4300621.0, step=2226.0, crs="EPSG:3857"
        )
    with pytest.raises(RasterError, match=expected) as info:
        load_slice(conn, str(bad), "NO2", hour)
    assert str(bad) in str(info.value)
    assert slice_rows(conn, "NO2", hour) == before
    status, rows, *_, error = ledger(conn, "NO2", hour)[-1]
    assert (status, rows) == ("failed", None) and "RasterError" in error


def test_route_exposure_matches_a_hand_computed_example(conn, tmp_path):
    hour = hour_of(8)
    t_no2, t_o3 = POLLUTION_THRESHOLDS["NO2"], POLLUTION_THRESHOLDS["O3"]
    no2 = np.array([[4.9e15, t_no2["moderate"], t_no2["unhealthy"]], [FILL, FILL, FILL]], dtype=np.float32)
    o3 = np.array([[300.0, t_o3["unhealthy"], t_o3["hazardous"]], [500.0, 500.0, 500.0]], dtype=np.float32)
    load_slice(conn, str(write_geotiff(tmp_path / "no2.tif", no2)), "NO2", hour)
    load_slice(conn, str(write_geotiff(tmp_path / "o3.tif", o3)), "O3", hour)
    # West to east through the middle of the top row: crosses exactly its three cells.
    route_id = saved_route(
        conn, (WEST + 0.005, NORTH - 0.01), (WEST + 3 * STEP - 0.005, NORTH - 0.01), "hand example"
    )
    conn.commit()
    try:
        assert recompute_route_exposure(conn, hour, route_id).routes_updated == 1
        with conn.cursor() as cur:
            cur.execute(
                "SELECT gas_type, cell_count, avg_value, max_severity, mean_severity FROM route_exposure"
                " WHERE route_id = %s AND timestamp = %s ORDER BY gas_type",
                (route_id, hour),
            )
            exposure = cur.fetchall()
            cur.execute("SELECT last_computed_score FROM saved_routes WHERE id = %s", (route_id,))
            score = cur.fetchone()[0]
        no2_values = [float(v) for v in no2[0]]
        assert exposure[0][0] == "NO2" and exposure[0][1:3] == (3, pytest.approx(sum(no2_values) / 3))
        assert exposure[0][3:] == (2, pytest.approx(1.0))  # severities 0, 1, 2
        assert exposure[1] == (
            "O3",
            3,
            pytest.approx((300 + 360 + 450) / 3),
            4,
            pytest.approx(2.0),
        )  # 0, 2, 4
        assert score == pytest.approx(25 * (1.0 + 2.0) / 2)  # 37.5
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM route_exposure WHERE route_id = %s", (route_id,))
            cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))
        conn.commit()


def test_route_cells_equal_st_intersects_for_random_routes(conn, tmp_path, monkeypatch):
    """The recompute finds a route's cells by lattice arithmetic; they must be ST_Intersects' cells."""
    hour = hour_of(9)
    size = 60
    values = np.random.default_rng(3).uniform(1e15, 2.5e16, (size, size)).astype(np.float32)
    load_slice(conn, str(write_geotiff(tmp_path / "no2.tif", values)), "NO2", hour)
    rng = np.random.default_rng(5)
    span = size * STEP
    routes = [tuple(rng.uniform([WEST, NORTH - span] * 2, [WEST + span, NORTH] * 2)) for _ in range(40)]
    # Round coordinates people type: along a meridian inside a column, and exactly along a grid line
    # (ST_Intersects counts the cells on both sides of the line).
    routes += [
        (WEST + 0.011, NORTH - 0.3, WEST + 0.011, NORTH - 0.9),
        (WEST + 0.2, NORTH - 0.5, WEST + 1.0, NORTH - 0.5),
    ]
    # A 45° diagonal through 21 cell corners. Whether PostGIS sees the line touch each corner depends
    # on floating-point rounding; AERIS counts every closed cell it touches: the 20 cells it crosses,
    # the 2 side cells at each of the 21 corners and the cell beyond each end corner = 64.
    diagonal = (WEST + 0.1, NORTH - 0.1, WEST + 0.5, NORTH - 0.5)
    ids = [saved_route(conn, route[:2], route[2:], "cross-check") for route in routes]
    diagonal_id = saved_route(conn, diagonal[:2], diagonal[2:], "cross-check diagonal")
    conn.commit()
    try:
        for route_id in [*ids, diagonal_id]:
            recompute_route_exposure(conn, hour, route_id)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT r.id, e.cell_count,"
                "       (SELECT count(*) FROM pollution_grid g WHERE g.gas_type = 'NO2' AND g.timestamp = %s"
                "          AND ST_Intersects(g.geom, ST_MakeLine(ST_SetSRID(ST_MakePoint(r.origin_lon, r.origin_lat), 4326),"
                "                                                ST_SetSRID(ST_MakePoint(r.dest_lon, r.dest_lat), 4326))))"
                " FROM saved_routes r JOIN route_exposure e ON e.route_id = r.id AND e.timestamp = %s"
                " WHERE r.id = ANY(%s) ORDER BY r.id",
                (hour, hour, ids),
            )
            counts = cur.fetchall()
            cur.execute("SELECT cell_count FROM route_exposure WHERE route_id = %s", (diagonal_id,))
            assert cur.fetchone()[0] == 64
        assert len(counts) == len(ids)
        assert [(i, found) for i, found, _ in counts] == [(i, expected) for i, _, expected in counts]
        # All routes at once, by index probes (few routes) and by one pass (many): the same rows.
        by_strategy = {}
        for name, one_pass_from in (("probes", 10**9), ("one pass", 0)):
            monkeypatch.setattr(routes_module, "ONE_PASS_MIN_ROUTES", one_pass_from)
            assert recompute_route_exposure(conn, hour).routes_updated >= len(ids) + 1
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT route_id, gas_type, cell_count, round(avg_value::numeric, 6), max_severity,"
                    " round(mean_severity::numeric, 9) FROM route_exposure"
                    " WHERE route_id = ANY(%s) AND timestamp = %s ORDER BY 1, 2",
                    ([*ids, diagonal_id], hour),
                )
                by_strategy[name] = cur.fetchall()
            conn.commit()
        assert by_strategy["probes"] == by_strategy["one pass"]
        assert [row[2] for row in by_strategy["probes"][:-1]] == [found for _, found, _ in counts]
    finally:
        ids.append(diagonal_id)
        with conn.cursor() as cur:
            cur.execute("DELETE FROM route_exposure WHERE route_id = ANY(%s)", (ids,))
            cur.execute("DELETE FROM saved_routes WHERE id = ANY(%s)", (ids,))
        conn.commit()


def test_concurrent_loads_of_different_gases_replacing_slices_do_not_deadlock(database_url, conn, tmp_path):
    """Each gas of an hour loads in its own task at the same time, replacing earlier slices."""
    hour = hour_of(10)
    gases = ["NO2", "CH2O", "O3", "AI"]
    paths = {
        gas: str(write_geotiff(tmp_path / f"{gas}.tif", np.full((40, 40), 1.0 + i)))
        for i, gas in enumerate(gases)
    }
    for gas in gases:  # a previous slice for each, so every concurrent load takes the DROP path
        load_slice(conn, paths[gas], gas, hour)
    errors: list[BaseException] = []

    def load(gas: str) -> None:
        connection = psycopg.connect(database_url)
        try:
            for _ in range(3):
                load_slice(connection, paths[gas], gas, hour)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    # Holding obs_partition (which every swap updates) makes all four loads wait at once, then run
    # their swaps concurrently when it is released: they overlap for sure.
    with conn.cursor() as cur:
        cur.execute("LOCK TABLE obs_partition IN ACCESS EXCLUSIVE MODE")
    threads = [threading.Thread(target=load, args=(gas,)) for gas in gases]
    for thread in threads:
        thread.start()
    assert _waiting_sessions(database_url, "relation", len(gases)), "the four loads should overlap"
    conn.rollback()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a load hung (deadlock?)"
    assert errors == []
    for gas in gases:
        assert len(slice_rows(conn, gas, hour)) == 1600


def test_unchanged_source_writes_nothing_and_the_ledger_says_so(conn, tmp_path):
    hour = hour_of(11)
    path = str(write_geotiff(tmp_path / "no2.tif", np.linspace(1e15, 2e16, 100).reshape(10, 10)))
    first = load_slice(conn, path, "NO2", hour, source_sha256="a" * 64)
    before = slice_rows(conn, "NO2", hour)
    again = load_slice(conn, path, "NO2", hour, source_sha256="a" * 64)
    assert (again.status, again.rows_written, again.rows_in_slice) == ("unchanged", 0, 100)
    assert again.table_name == first.table_name  # the same partition: not rewritten
    assert slice_rows(conn, "NO2", hour) == before
    assert [row[:2] for row in ledger(conn, "NO2", hour)[-2:]] == [("success", 100), ("unchanged", 0)]
    # A different source, or a forced reload, writes a new slice.
    changed = load_slice(conn, path, "NO2", hour, source_sha256="b" * 64)
    forced = load_slice(conn, path, "NO2", hour, source_sha256="b" * 64, force=True)
    assert (changed.status, forced.status) == ("success", "success")
    assert changed.table_name != first.table_name and forced.table_name != changed.table_name
