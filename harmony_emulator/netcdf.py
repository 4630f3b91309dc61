"""TEMPO Level-3 granules as NetCDF-4, built to the structure of TEMPO's own files.

As in the L3 products (TEMPO L3 user guide; ASDC's TEMPO data recipes; the reference's "File
layout"): dimensions `time` (1), `latitude` and `longitude`; root `time` in GPS seconds, 1-D
`latitude` (south to north) and `longitude` (west to east) at pixel centres on the 0.02° grid,
contiguous, and `weight`; science data in the `product` group as (time, latitude, longitude), vertical
columns float64 chunked (1, 738, 1938), other fields float32/int16 chunked (1, 984, 2584), shuffle +
zlib level 1, `_FillValue` -1e30 (the quality flag: int16, -9999; O3TOT has none); `support_data`,
`qa_statistics` and `geolocation` groups beside it; the scan's times and number in global attributes.

A native granule covers the whole field of regard (7750 x 2950) and holds every variable of its
collection; a Harmony subset holds the requested variables over the requested window only. Values
are the same cells as the emulator's GeoTIFF subsets (granules.render_values).
"""

from __future__ import annotations

import math
import os
import threading
import zlib
from datetime import UTC, datetime
from pathlib import Path

import h5py
import netCDF4
import numpy as np

from harmony_emulator.granules import (
    CLOUD_FRACTION,
    COLLECTIONS,
    FILL,
    FLAGGED_COLLECTIONS,
    FORMER_GRID_ROWS,
    QUALITY_FLAG,
    QUALITY_FLAG_FILL,
    Window,
    former_grid_window,
    onto_former_grid,
    render_quality_flags,
    render_values,
    scan_fields,
    window_axes,
)
from harmony_emulator.scans import FAMILY, SHORT_NAMES, Scan, granule_name, version_of

# The emulator serves requests on threads, and netCDF4's HDF5 is not thread-safe: one lock per process.
HDF5_LOCK = threading.Lock()
FULL_DISK = Window(0, 0, 7750, 2950)
GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)
# TEMPO's `time` counts GPS seconds, which ran 18 s ahead of UTC's since 2017 (leap seconds).
GPS_MINUS_UTC_S = 18
UNITS = {
    "product/vertical_column_troposphere": ("molecules/cm^2", "troposphere vertical column"),
    "product/vertical_column": ("molecules/cm^2", "vertical column"),
    "product/column_amount_o3": ("DU", "total column ozone"),
    "product/uv_aerosol_index": ("1", "UV aerosol index"),
}
# TEMPO's own storage (reference "File layout"): vertical columns float64, other fields float32 or
# int16, chunked per dtype as below, shuffle + zlib level 1; 1-D coordinates contiguous.
COLUMN_VARIABLES = frozenset({"product/vertical_column_troposphere", "product/vertical_column",
                              "product/column_amount_o3"})  # fmt: skip
CHUNKS = {"f8": (1, 738, 1938), "f4": (1, 984, 2584), "i2": (1, 984, 2584)}


def native_variables(collection_id: str) -> tuple[str, ...]:
    """Every product variable a native granule of the collection holds."""
    flags = (QUALITY_FLAG,) if collection_id in FLAGGED_COLLECTIONS else ()
    return COLLECTIONS[collection_id] + flags


# NASA's sizes of one full-disk granule (reference "Sizes"): a full NO2 L3 scan ~0.9 GB, HCHO ~0.36 GB,
# O3TOT ~0.18 GB. With AERIS_EMULATOR_GRANULE_SIZES=real the native granules are padded to them with
# more support_data fields, allocated but never written (a sparse file: ~0 bytes on disk, zeros read).
REAL_SIZES = {"TEMPO_NO2_L3": 900_000_000, "TEMPO_HCHO_L3": 360_000_000, "TEMPO_O3TOT_L3": 180_000_000}
PADDING_FIELDS = ("amf_total", "amf_troposphere", "amf_stratosphere", "fitted_slant_column",
                  "fitted_slant_column_uncertainty", "surface_pressure", "terrain_height", "snow_ice_fraction",
                  "eff_cloud_pressure", "albedo")  # fmt: skip


_SIZES: dict[str, str | None] = {"mode": None}  # set at run time by POST /_emulator/granule_sizes


def set_granule_sizes(mode: str | None) -> None:
    """`real`, `compact`, or None for AERIS_EMULATOR_GRANULE_SIZES (the default)."""
    if mode not in (None, "real", "compact"):
        raise ValueError(f"granule sizes must be real or compact, got {mode!r}")
    _SIZES["mode"] = mode


def real_sizes() -> bool:
    mode = _SIZES["mode"] or os.environ.get("AERIS_EMULATOR_GRANULE_SIZES", "compact").strip().lower()
    return mode == "real"


def pad_to_real_size(path: Path, collection_id: str) -> int:
    """Add float32 full-disk fields to a native granule until it is the size NASA ships; returns how
    many were added. They are attached to the file's dimensions, so netCDF sees ordinary variables."""
    target = REAL_SIZES[FAMILY[collection_id]]
    with h5py.File(path, "r") as file:  # the file's own grid (O3TOT's former one has half the rows)
        shape = (1, file["latitude"].shape[0], file["longitude"].shape[0])
    field_bytes = 4 * math.prod(shape)
    count = max(math.ceil((target - path.stat().st_size) / field_bytes), 0)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    with h5py.File(path, "r+") as file:
        group = file.require_group("support_data")
        for number in range(count):
            name = PADDING_FIELDS[number] if number < len(PADDING_FIELDS) else f"field_{number}"
            space = h5py.h5s.create_simple(shape)
            h5py.h5d.create(group.id, name.encode(), h5py.h5t.NATIVE_FLOAT, space, dcpl=dcpl)
            for axis, scale in enumerate(("time", "latitude", "longitude")):
                group[name].dims[axis].attach_scale(file[scale])
    return count


def write_granule(
    dest: Path,
    collection_id: str,
    scan: Scan,
    window: Window = FULL_DISK,
    variables: tuple[str, ...] | None = None,
    fault: str | None = None,
) -> Path:
    """Write one granule (or a subset of it) to `dest`. `variables` None: a native granule, with
    every product variable and the support, QA and geolocation groups. `fault`: all_fill or
    out_of_bbox, as for the GeoTIFF subsets; deflate_bomb: every chunk of the science variables is a
    ~2 MB deflate stream that inflates to 2 GiB (a hostile file that declares TEMPO's layout)."""
    with HDF5_LOCK:
        _write(dest, collection_id, scan, window, variables, fault)
        if fault == "deflate_bomb":
            _plant_bombs(dest)
        return dest


def deflate_bomb_stream(total: int = 2 << 30, piece: int = 64 << 20) -> bytes:
    """A valid zlib stream of `total` zero bytes: one piece compressed, its full-flushed blocks repeated,
    the checksum of the whole at the end (~1 KB per MB; built in ~1.5 s)."""
    zeros = bytes(piece)
    deflate = zlib.compressobj(9)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    checksum = 1
    for _ in range(total // piece):
        checksum = zlib.adler32(zeros, checksum)
    return first + first[2:] * (total // piece - 1) + end[:-4] + checksum.to_bytes(4, "big")


def _plant_bombs(dest: Path) -> None:
    bomb = deflate_bomb_stream()
    with h5py.File(dest, "r+") as file:
        product = file.get("product")
        for dataset in product.values() if product is not None else ():
            if not isinstance(dataset, h5py.Dataset) or not dataset.chunks or dataset.ndim != 3:
                continue
            _, rows, cols = dataset.chunks
            for row in range(0, dataset.shape[1], rows):
                for col in range(0, dataset.shape[2], cols):
                    dataset.id.write_direct_chunk((0, row, col), bomb)


def _write(dest: Path, collection_id: str, scan: Scan, window: Window, variables, fault) -> Path:
    native = variables is None
    wanted = native_variables(collection_id) if native else variables
    if scan.former_grid:  # rendered on today's grid, then each pair of rows averaged
        window = former_grid_window(window)
    on_file_grid = onto_former_grid if scan.former_grid else _same
    lon, lat = window_axes(window)  # latitude north to south here; TEMPO stores it south to north
    if scan.former_grid:
        lat = lat.reshape(-1, FORMER_GRID_ROWS).mean(axis=1)
    fields = scan_fields(window, scan)
    with netCDF4.Dataset(dest, "w", format="NETCDF4") as ds:
        _global_attributes(ds, collection_id, scan, native)
        ds.createDimension("time", 1)
        ds.createDimension("latitude", lat.size)
        ds.createDimension("longitude", window.width)
        seconds = ds.createVariable("time", "f8", ("time",))
        seconds.setncatts({"units": "seconds since 1980-01-06T00:00:00Z", "long_name": "scan start time"})
        seconds[:] = [(scan.start - GPS_EPOCH).total_seconds() + GPS_MINUS_UTC_S]
        lat_var = ds.createVariable("latitude", "f4", ("latitude",))
        lat_var.setncatts({"units": "degrees_north", "standard_name": "latitude", "long_name": "latitude"})
        lat_var[:] = lat[::-1].astype(np.float32)
        lon_var = ds.createVariable("longitude", "f4", ("longitude",))
        lon_var.setncatts({"units": "degrees_east", "standard_name": "longitude", "long_name": "longitude"})
        lon_var[:] = (lon + (10.0 if fault == "out_of_bbox" else 0.0)).astype(np.float32)
        if native:
            _weight(ds, lat.size, window.width)
        rendered, science = {}, {}  # on today's grid, on the file's
        for name in wanted:
            if name == QUALITY_FLAG:
                continue
            values = render_values(collection_id, name, window, scan, fields)
            if fault == "all_fill":
                values = np.full_like(values, np.float32(FILL))
            rendered[name] = values
            science[name] = on_file_grid(values)
            units, long_name = UNITS[name]
            dtype = "f8" if name in COLUMN_VARIABLES else "f4"
            _grid_variable(ds, name, dtype, FILL, {"units": units, "long_name": long_name})[0] = science[
                name
            ][::-1]
        if QUALITY_FLAG in wanted:
            reference = next(iter(rendered.values()), None)
            if reference is None:
                reference = render_values(collection_id, COLLECTIONS[collection_id][0], window, scan, fields)
            flags = on_file_grid(render_quality_flags(window, scan, reference), QUALITY_FLAG_FILL)
            attrs = {
                "long_name": "main data quality flag",
                "flag_values": np.array([0, 1, 2], dtype=np.int16),
                "flag_meanings": "normal suspicious bad",
            }
            _grid_variable(ds, QUALITY_FLAG, "i2", QUALITY_FLAG_FILL, attrs)[0] = flags[::-1]
        if native:
            _support_groups(ds, fields, science, on_file_grid)
    return dest


def _same(values: np.ndarray, fill: float | None = None) -> np.ndarray:
    return values


def granule_bytes(
    collection_id: str,
    scan: Scan,
    window: Window,
    variables: tuple[str, ...],
    fault: str | None,
    scratch: Path,
) -> bytes:
    """A subset granule as bytes (what a Harmony NetCDF-4 subsetter returns for one input granule)."""
    path = write_granule(scratch, collection_id, scan, window, variables, fault)
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _grid_variable(ds: netCDF4.Dataset, path: str, dtype: str, fill: float, attrs: dict):
    group_name, name = path.split("/", 1)
    group = ds.groups.get(group_name) or ds.createGroup(group_name)
    height, width = len(ds.dimensions["latitude"]), len(ds.dimensions["longitude"])
    _, rows, cols = CHUNKS[dtype]
    variable = group.createVariable(
        name, dtype, ("time", "latitude", "longitude"), zlib=True, complevel=1, shuffle=True,
        chunksizes=(1, min(rows, height), min(cols, width)), fill_value=fill,
    )  # fmt: skip
    variable.setncatts(attrs)
    return variable


def _weight(ds: netCDF4.Dataset, height: int, width: int) -> None:
    """The root `weight` (latitude, longitude) of a native granule: each cell's share of the L2 pixels
    gridded into it (a smooth field here; the pipeline does not read it)."""
    _, rows, cols = CHUNKS["f4"]
    weight = ds.createVariable(
        "weight", "f4", ("latitude", "longitude"), zlib=True, complevel=1, shuffle=True,
        chunksizes=(min(rows, height), min(cols, width)), fill_value=np.float32(FILL),
    )  # fmt: skip
    weight.setncatts({"units": "1", "long_name": "gridding weight"})
    weight[:] = np.full((height, width), np.float32(1.0))


def _support_groups(
    ds: netCDF4.Dataset, fields: tuple[np.ndarray, np.ndarray], science: dict, on_file_grid=_same
) -> None:
    """The support, QA and geolocation groups a native granule carries beside the product (science
    values already on the file's grid; `fields` on today's, put on the file's by `on_file_grid`)."""
    cloudy, zenith = fields
    cloud_fraction = np.where(cloudy, np.float32(1.0 - CLOUD_FRACTION / 2), np.float32(0.05))
    cloud_fraction = on_file_grid(cloud_fraction, None)
    _grid_variable(ds, "support_data/eff_cloud_fraction", "f4", FILL, {"units": "1"})[0] = cloud_fraction[
        ::-1
    ]
    valid = next(iter(science.values())) != np.float32(FILL) if science else on_file_grid(~cloudy, None) > 0
    samples = np.where(valid, 3, 0).astype(np.int16)
    _grid_variable(ds, "qa_statistics/num_vertical_column_samples", "i2", -32767, {"units": "1"})[0] = (
        samples[::-1]
    )
    # To about 0.01°: geolocation is context here, and full float32 noise would triple the file.
    sza = np.round(on_file_grid(zenith, None), 2).astype(np.float32)
    _grid_variable(ds, "geolocation/solar_zenith_angle", "f4", FILL, {"units": "degrees"})[0] = sza[::-1]


def _global_attributes(ds: netCDF4.Dataset, collection_id: str, scan: Scan, native: bool) -> None:
    short = SHORT_NAMES[collection_id]
    ds.setncatts(
        {
            "title": f"TEMPO Level 3 {short.split('_')[1]} product (AERIS emulator)",
            "shortname": short,
            "version_id": version_of(collection_id),
            "processing_level": "3",
            "granule_name": granule_name(collection_id, scan),
            "time_coverage_start": scan.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time_coverage_end": scan.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scan_num": np.int32(scan.number),
            "history": "emulated granule" if native else "emulated granule, subset by Harmony",
        }
    )
