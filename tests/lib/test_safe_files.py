"""Hostile files are refused before a byte of their data is read: VRTs (local files, internal URLs),
HDF5 external storage, external links and virtual datasets, and small files that inflate to GBs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import h5py
import pytest
import rasterio

from aeris_lib.raster import RasterError, inspect
from aeris_lib.safe_files import check_layout, gdal_sandbox, open_geotiff, signature
from aeris_lib.tempo_l3 import read_window
from tests.support import hostile_files

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

BBOX = (-100.0, 35.0, -98.0, 37.0)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "environ"
    path.write_bytes(b"BEARER_TOKEN=eyJsecret-token\0AIRFLOW__CORE__FERNET_KEY=k\0" * 200)
    return path


def test_a_vrt_reading_a_local_file_is_refused_by_its_signature(tmp_path, secret):
    vrt = hostile_files.raw_band_vrt(tmp_path / "granule_1", BBOX, str(secret))
    with rasterio.open(vrt) as src:  # what any-driver opening gave away
        assert b"BEARER_TOKEN" in src.read(1).tobytes()
    for refuse in (signature, open_geotiff, inspect):
        with pytest.raises(RasterError, match="neither signature, it starts with <VRTData"):
            refuse(str(vrt))


def test_gdal_makes_no_request_inside_the_sandbox(tmp_path):
    hits: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/internal/secret.tif"
    vrt = hostile_files.vsicurl_vrt(tmp_path / "granule.vrt", BBOX, url)
    try:
        with gdal_sandbox():
            for path in (str(vrt), f"/vsicurl/{url}"):
                with pytest.raises(rasterio.errors.RasterioIOError), rasterio.open(path) as src:
                    src.read(1)
        assert hits == []
        with pytest.raises(rasterio.errors.RasterioIOError), rasterio.open(f"/vsicurl/{url}"):
            pass
        assert hits, "outside the sandbox GDAL does fetch: the test server is reachable"
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda d, s, t: hostile_files.external_storage_granule(d, BBOX, str(s)), "keeps its data in external file"),
        (lambda d, s, t: hostile_files.external_link_granule(d, BBOX, t), "is an external link to"),
        (lambda d, s, t: hostile_files.virtual_dataset_granule(d, BBOX, t), "is a virtual dataset"),
    ],
    ids=["external-storage", "external-link", "virtual-dataset"],
)  # fmt: skip
def test_hdf5_reaching_outside_the_file_is_refused_before_any_pixel(tmp_path, secret, build, message):
    target = tmp_path / "other.nc"
    hostile_files.small_granule(target, BBOX)
    path = build(tmp_path / "granule_1", secret, target)
    with h5py.File(path) as file, pytest.raises(RasterError, match=message):
        check_layout(file, str(path))
    with pytest.raises(RasterError, match=message):
        read_window(str(path), hostile_files.VARIABLE, BBOX, pixel=0.02)


def _read_under_memory_limit(path: Path, bbox, limit_bytes: int) -> tuple[str, float]:
    """read_window in a child whose address space is capped: (what it printed, seconds)."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes}))
        from aeris_lib.raster import RasterError
        from aeris_lib.tempo_l3 import read_window
        try:
            read_window({str(path)!r}, {hostile_files.VARIABLE!r}, {bbox!r}, pixel=0.02)
        except RasterError as error:
            print("RasterError:", error)
        else:
            print("read")
    """)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr, time.monotonic() - started


@pytest.mark.parametrize(
    ("build", "bbox", "message"),
    [
        (lambda d: hostile_files.huge_coordinate_granule(d), BBOX, "'latitude' declares 400,000,000 values"),
        (lambda d: hostile_files.huge_chunk_granule(d), (-109.0, 21.0, -108.0, 22.0), "has chunks of 162,000,000 bytes"),
    ],
    ids=["400M-latitudes", "one-162MB-chunk"],
)  # fmt: skip
def test_bombs_fail_fast_with_a_raster_error_under_a_memory_limit(tmp_path, build, bbox, message):
    path = build(tmp_path / "granule_1")
    assert path.stat().st_size < 1_000_000  # small on disk
    output, seconds = _read_under_memory_limit(path, bbox, 1024**3)
    assert f"RasterError: {path}" in output and message in output, output
    assert seconds < 30


def test_a_window_larger_than_one_read_may_hold_is_refused(tmp_path, monkeypatch):
    from aeris_lib import tempo_l3

    path = tmp_path / "g.nc"
    hostile_files.small_granule(path, BBOX)
    monkeypatch.setattr(tempo_l3, "MAX_WINDOW_BYTES", 10_000)
    with pytest.raises(RasterError, match=r"a window of 10,000 cells needs ~.* over the 10,000-byte limit"):
        read_window(str(path), hostile_files.VARIABLE, BBOX, pixel=0.02)


def test_a_geotiff_with_one_huge_block_is_refused(tmp_path):
    import numpy as np
    from rasterio.transform import from_origin

    path = tmp_path / "one-block.tif"
    profile = {"driver": "GTiff", "width": 4200, "height": 4200, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": from_origin(-100, 37, 0.02, 0.02), "compress": "deflate",
               "blockysize": 4200}  # fmt: skip
    with rasterio.open(path, "w", **profile) as out:
        out.write(np.zeros((1, 4200, 4200), np.float32))
    with pytest.raises(RasterError, match="blocks of 4200 x 4200 float32"):
        inspect(str(path))
