"""Whatever Harmony can do for TEMPO L3, the same hour loads the same cells: a GeoTIFF subset, a
NetCDF-4 subset (x-netcdf4, or HOSS's `application/netcdf`-only `…_subsetted.nc4` as TEMPO would get
it), and the native full-disk granules read over the bbox by byte range, each end to end through
dag.test() against the emulator in that capability mode."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aeris_lib.gases import CONUS
from tests.support.dag_runs import SMALL_BBOX, run_dag, ti_states
from tests.support.db import forget_capabilities, forget_hours

HOUR = datetime(2024, 9, 4, 16, tzinfo=UTC)  # two scans overlap this hour
# NO2 has its own collection; AI shares O3TOT's granules with O3 (the native file holds both).
GASES = ["NO2", "AI"]
EXPECTED_SHAPE = {"tiff": "geotiff", "netcdf": "netcdf_subset", "hoss": "netcdf_subset", "native": "native"}


def _cells(db) -> dict[str, list[tuple]]:
    """Every stored cell of HOUR per gas: polygon, value, severity and flag, in a fixed order."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT gas_type, ST_AsText(geom), pollution_value, severity_level, quality_flag"
            " FROM pollution_grid WHERE timestamp = %s ORDER BY gas_type, ST_XMin(geom), ST_YMin(geom)",
            (HOUR,),
        )
        cells: dict[str, list[tuple]] = {}
        for gas, *row in cur.fetchall():
            cells.setdefault(gas, []).append(tuple(row))
    return cells


def test_every_capability_mode_loads_identical_cells(emulator, db):
    loaded, shapes, daac, files = {}, {}, {}, {}
    for mode in ("tiff", "netcdf", "hoss", "native"):
        emulator.capabilities(mode)
        forget_hours(db, [HOUR])
        forget_capabilities(db)
        before = emulator.stats()["daac_downloads"]
        result = run_dag("2024-09-04T17:00:00+00:00", {"bbox": SMALL_BBOX, "gases": GASES})
        assert result["state"] == "success", (mode, result["tis"])
        assert ti_states(result, "gas.load_gas_hour") == dict.fromkeys(GASES, "success")
        loaded[mode] = _cells(db)
        shapes[mode] = {
            line.split("request shape ", 1)[1].split(" ", 1)[0].rstrip(":")
            for line in result["log"]
            if "request shape " in line
        }
        daac[mode] = emulator.stats()["daac_downloads"] - before
        files[mode] = {line.split(" bytes from ", 1)[1].split(" ", 1)[0].rsplit("_", 1)[-1]
                       for line in result["log"] if " bytes from " in line}  # fmt: skip

    for mode, expected in EXPECTED_SHAPE.items():
        assert shapes[mode] == {expected}, (mode, shapes[mode])
    # Only the native shape downloads from the DAAC: 2 scans x 2 collections.
    assert daac == {"tiff": 0, "netcdf": 0, "hoss": 0, "native": 4}
    assert files["hoss"] == {"subsetted.nc4"} and files["tiff"] == {"subsetted.tif"}
    assert set(loaded["tiff"]) == set(GASES)
    assert all(len(rows) > 1000 for rows in loaded["tiff"].values())
    assert loaded["netcdf"] == loaded["tiff"]
    assert loaded["hoss"] == loaded["tiff"]
    assert loaded["native"] == loaded["tiff"]
    # TEMPO's own quality flag arrived with NO2 in every shape (quality_flag bits 1-2); O3TOT has none.
    assert {flag >> 1 for *_, flag in loaded["tiff"]["NO2"]} == {0, 1, 2}
    assert {flag >> 1 for *_, flag in loaded["tiff"]["AI"]} == {0}


def test_capabilities_that_changed_since_cached_are_asked_again(emulator, db):
    """A shape Harmony refuses (422: its capabilities changed since they were cached) fails that try
    only: the capabilities are asked again and the retry loads in a shape Harmony serves."""
    first, second = HOUR, HOUR.replace(hour=17)
    emulator.capabilities("tiff")
    forget_hours(db, [first, second])
    conf = {"bbox": SMALL_BBOX, "gases": ["NO2"]}
    assert run_dag("2024-09-04T17:00:00+00:00", conf)["state"] == "success"  # caches "GeoTIFF subsets"

    emulator.capabilities("native")  # the subsetting service is gone
    result = run_dag("2024-09-04T18:00:00+00:00", conf)
    assert result["state"] == "success"
    assert result["tis"]["gas.harmony_job[NO2]"]["try_number"] == 2
    assert any("Harmony refused the geotiff request" in line for line in result["log"])
    assert any("request shape native" in line for line in result["log"])
    with db.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pollution_grid WHERE timestamp = %s AND gas_type = 'NO2'", (second,)
        )
        assert cur.fetchone()[0] > 1000


def test_catalog_forces_a_shape(emulator, db, tmp_path):
    """`request_shape` in the catalog overrides the choice; a no-format request that a subsetter
    answers in NetCDF-4 is read by its content, whatever was asked."""
    emulator.capabilities("tiff")
    forget_hours(db, [HOUR])
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"NO2": {"request_shape": "native"}}')
    result = run_dag(
        "2024-09-04T17:00:00+00:00",
        {"bbox": SMALL_BBOX, "gases": ["NO2"]},
        AERIS_GAS_CATALOG_FILE=str(catalog),
    )
    assert result["state"] == "success"
    assert any(
        "request shape native: forced by the catalog's request_shape" in line for line in result["log"]
    )
    assert any("NetCDF-4 granule" in line for line in result["log"])


@pytest.mark.parametrize("bbox", [SMALL_BBOX, list(CONUS)], ids=["2-degrees", "conus"])
def test_o3_and_ai_come_from_one_request_and_one_read(emulator, db, bbox):
    """Both gases come from the O3TOT granule: one Harmony job lists it for both, and each granule is
    read once, by whichever stage task gets it first; the other takes its window from staging. On
    CONUS as on a small bbox: each window is then ~3.8 M cells."""
    emulator.capabilities("native")
    forget_hours(db, [HOUR])
    forget_capabilities(db)
    before = emulator.stats()
    result = run_dag("2024-09-04T17:00:00+00:00", {"bbox": bbox, "gases": ["O3", "AI"]})
    assert result["state"] == "success", result["tis"]
    after = emulator.stats()
    assert after["rangeset_requests"] - before["rangeset_requests"] == 1  # one job for both gases
    assert after["daac_downloads"] - before["daac_downloads"] == 2  # 2 scans, each opened once
    shared = [line for line in result["log"] if "shared: read with" in line]
    read_for_both = [line for line in result["log"] if "read in the same pass and left for it" in line]
    assert len(shared) == 2 and len(read_for_both) == 2  # per granule: one read, one take
    cells = _cells(db)
    assert len(cells["O3"]) > 1000 and len(cells["AI"]) > 1000
    forget_hours(db, [HOUR])  # a CONUS slice would weigh on every later test reading this hour


def test_a_real_size_granule_loads_with_the_default_settings(emulator, db):
    """NO2 granules of NASA's size (~0.9 GB each, emulator padding), AERIS_MAX_DOWNLOAD_BYTES at its
    default: each granule's 2° window is read by range, moving a small part of it (CONUS: 1.7 %,
    tests/lib/harmony/test_client.py)."""
    emulator.capabilities("native")
    emulator.granule_sizes("real")
    forget_hours(db, [HOUR])
    result = run_dag("2024-09-04T17:00:00+00:00", {"bbox": SMALL_BBOX, "gases": ["NO2"]})
    assert result["state"] == "success", result["tis"]
    reads = [line.split("read ", 1)[1] for line in result["log"] if " range request(s)" in line]
    assert len(reads) == 2, reads
    for read in reads:
        moved, size = (int(n.replace(",", "")) for n in read.split(" bytes", 1)[0].split(" of "))
        assert size >= 600_000_000 and moved <= 0.15 * size, read
    assert len(_cells(db)["NO2"]) > 1000
