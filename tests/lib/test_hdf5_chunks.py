"""aeris_lib.hdf5_chunks: filtered chunks decoded here, each within its declared size: the same values
as HDF5's own reader for TEMPO's filters, a deflate bomb refused with bounded memory, any other filter
refused, and HDF5's filter plugins off."""

from __future__ import annotations

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from aeris_lib.hdf5_chunks import ChunkError, fletcher32, plugin_loading_state, read_box, stored_bytes
from tests.support.hostile_files import VARIABLE, deflate_bomb_granule, unknown_filter_granule

pytestmark = pytest.mark.unit
BBOX = (-100.0, 30.0, -98.0, 32.0)


@pytest.mark.parametrize(
    "filters",
    [
        {"compression": "gzip", "shuffle": True},
        {"compression": "gzip", "shuffle": True, "fletcher32": True},
        {"fletcher32": True},
        {"compression": "gzip", "compression_opts": 9},
    ],
)
@pytest.mark.parametrize("dtype", ["<f4", ">f8", "<i2", "u1"])
def test_decoded_chunks_equal_hdf5s_own_reading(tmp_path, filters, dtype):
    values = (np.random.default_rng(7).normal(size=(1, 70, 91)) * 1000).astype(dtype)
    with h5py.File(tmp_path / "f.h5", "w") as file:
        data = file.create_dataset("v", data=values, chunks=(1, 16, 20), fillvalue=-7, **filters)
        box = (slice(0, 1), slice(5, 61), slice(3, 90))
        assert np.array_equal(read_box(data, box, "f.h5"), data[box])


def test_chunks_never_written_read_as_the_fill_value(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as file:
        data = file.create_dataset("v", shape=(40, 40), dtype="f4", chunks=(10, 10), compression="gzip",
                                   fillvalue=-1e30)  # fmt: skip
        data[0:10, 0:10] = 5.0
        window = read_box(data, (slice(5, 25), slice(5, 25)), "f.h5")
        assert np.array_equal(window, data[5:25, 5:25]) and (window == np.float32(-1e30)).sum() == 400 - 25


def test_stored_bytes_are_the_chunks_a_box_touches_from_the_chunk_index(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as file:
        data = file.create_dataset("v", shape=(40, 40), dtype="f4", chunks=(10, 10), compression="gzip",
                                   fillvalue=-1e30)  # fmt: skip
        data[0:20, 0:40] = np.random.default_rng(3).normal(size=(20, 40))
        plain = file.create_dataset("c", data=np.arange(40, dtype="f4"))
        sizes = {
            (r, c): data.id.get_chunk_info_by_coord((r, c)).size for r in (0, 10) for c in (0, 10, 20, 30)
        }
        # Rows 5..14 and columns 15..24 touch the four chunks at (0|10, 10|20); rows 20.. were never written.
        assert stored_bytes(data, (slice(5, 15), slice(15, 25))) == sum(
            sizes[r, c] for r in (0, 10) for c in (10, 20)
        )
        assert stored_bytes(data, (slice(20, 40),)) == 0
        assert stored_bytes(data, (slice(None),)) == data.id.get_storage_size() == sum(sizes.values())
        assert stored_bytes(plain, (slice(3, 4),)) == 160  # not chunked: the whole dataset


@pytest.mark.parametrize("count", [1, 359, 360, 361, 5001])
def test_fletcher32_is_the_checksum_hdf5_stores(tmp_path, count):
    """Odd lengths and lengths around the 360-word fold included."""
    with h5py.File(tmp_path / "f.h5", "w") as file:
        data = file.create_dataset(
            "v", data=np.arange(count, dtype="u1") * 7, chunks=(count,), fletcher32=True
        )
        _, stored = data.id.read_direct_chunk((0,))
    assert fletcher32(stored[:-4]) == int.from_bytes(stored[-4:], "little")


def test_a_corrupt_chunk_fails_its_checksum(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as file:
        data = file.create_dataset("v", data=np.arange(400, dtype="f4").reshape(20, 20), chunks=(20, 20),
                                   fletcher32=True)  # fmt: skip
        mask, stored = data.id.read_direct_chunk((0, 0))
        data.id.write_direct_chunk((0, 0), bytes([stored[0] ^ 1]) + stored[1:], mask)
        with pytest.raises(ChunkError, match="fletcher32 checksum mismatch"):
            read_box(data, (slice(0, 20), slice(0, 20)), "f.h5")


def test_an_unknown_filter_is_refused_before_any_data_is_read(tmp_path):
    from aeris_lib.raster import RasterError
    from aeris_lib.tempo_l3 import read_window

    path = unknown_filter_granule(tmp_path / "lzf.nc", BBOX)
    with pytest.raises(RasterError, match=r"uses HDF5 filter\(s\) 32000 \(lzf\)"):
        read_window(str(path), VARIABLE, BBOX, pixel=0.02)


def test_hdf5_loads_no_filter_plugin():
    import aeris_lib.tempo_l3  # noqa: F401  (switches plugins off on import)

    assert h5py.h5pl.size() == 0 and plugin_loading_state() in (0, None)


def test_a_deflate_bomb_is_refused_with_bounded_memory(tmp_path):
    """Two ~2 MB chunks that inflate to 2 GiB each: refused, naming the variable and the chunk, with
    the reading process's peak RSS under 1.5 GB (measured in a child process of its own)."""
    path = deflate_bomb_granule(tmp_path / "bomb.nc")
    assert path.stat().st_size < 6_000_000
    child = f"""
import json
from aeris_lib.tempo_l3 import read_window
try:
    read_window({str(path)!r}, {VARIABLE!r}, {BBOX!r}, pixel=0.02)
    error = None
except Exception as exc:
    error = f"{{type(exc).__name__}}: {{exc}}"
# VmHWM, not getrusage: after fork + exec, ru_maxrss keeps the forking pytest worker's peak.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"error": error, "peak_rss_kb": peak_kb}}))
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] and "inflates past its declared size" in result["error"], result
    assert "vertical_column_troposphere' chunk at (0, 0, 0)" in result["error"]
    assert result["peak_rss_kb"] < 1.5e9 / 1024, result
