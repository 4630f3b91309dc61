"""Files a hostile Harmony or DAAC could send instead of a TEMPO raster (see issue "Hostile files").

Each passes the request checks a careless reader makes (EPSG:4326, the product's pixel, inside the
bbox), so only the opening rules stop them:
- `raw_band_vrt`: a GDAL VRT whose band is the raw bytes of a local file (`/proc/self/environ` holds
  the worker's secrets);
- `vsicurl_vrt`: a GDAL VRT whose band is fetched from a URL (an internal service);
- `external_storage_granule`: a TEMPO L3 NetCDF-4 granule whose science variable keeps its data in a
  local file (HDF5 external storage);
- `external_link_granule`, `virtual_dataset_granule`: the same data reached through an HDF5 external
  link, or a virtual dataset mapping another file;
- `huge_coordinate_granule`: a few KB that declare 400 million latitudes;
- `huge_chunk_granule`: one compressed chunk that inflates to hundreds of MB.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import h5py
import netCDF4
import numpy as np

from harmony_emulator.netcdf import deflate_bomb_stream
from tests.support.granules import PIXEL, VARIABLE, small_granule

__all__ = ["PIXEL", "VARIABLE", "small_granule"]  # re-exported: the hostile files' own layout


def _vrt(dest: Path, bbox: tuple[float, float, float, float], band: str) -> Path:
    west, south, east, north = bbox
    width, height = round((east - west) / PIXEL), round((north - south) / PIXEL)
    dest.write_text(
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">\n'
        "  <SRS>EPSG:4326</SRS>\n"
        f"  <GeoTransform>{west}, {PIXEL}, 0, {north}, 0, -{PIXEL}</GeoTransform>\n"
        f"{band.format(width=width, height=height)}\n"
        "</VRTDataset>\n"
    )
    return dest


def raw_band_vrt(dest: Path, bbox: tuple[float, float, float, float], source: str) -> Path:
    """A VRT whose one band is `source`'s bytes, one pixel per byte (GDAL's VRTRawRasterBand)."""
    band = (
        '  <VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">\n'
        f'    <SourceFilename relativetoVRT="0">{source}</SourceFilename>\n'
        "    <ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset>\n"
        "    <LineOffset>{width}</LineOffset><ByteOrder>LSB</ByteOrder>\n"
        "  </VRTRasterBand>"
    )
    return _vrt(dest, bbox, band)


def vsicurl_vrt(dest: Path, bbox: tuple[float, float, float, float], url: str) -> Path:
    """A VRT whose band is read from `url` through GDAL's /vsicurl/."""
    band = (
        '  <VRTRasterBand dataType="Float32" band="1">\n'
        "    <SimpleSource>\n"
        f'      <SourceFilename relativeToVRT="0">/vsicurl/{url}</SourceFilename>\n'
        "      <SourceBand>1</SourceBand>\n"
        "    </SimpleSource>\n"
        "  </VRTRasterBand>"
    )
    return _vrt(dest, bbox, band)


def _replace_science(dest: Path, make) -> Path:
    """Swap the granule's science variable for what `make(group, name, shape)` creates, keeping its
    dimension scales, so netCDF4 still sees (time, latitude, longitude)."""
    with h5py.File(dest, "r+") as file:
        group, name = file["product"], "vertical_column_troposphere"
        shape = group[name].shape
        del group[name]
        created = make(group, name, shape)
        if isinstance(created, h5py.Dataset):
            for axis, scale in enumerate(("time", "latitude", "longitude")):
                created.dims[axis].attach_scale(file[scale])
    return dest


def external_storage_granule(dest: Path, bbox: tuple[float, float, float, float], source: str) -> Path:
    small_granule(dest, bbox)
    return _replace_science(
        dest,
        lambda group, name, shape: group.create_dataset(
            name, shape=shape, dtype="u1", external=[(source, 0, h5py.h5f.UNLIMITED)]
        ),
    )


def external_link_granule(dest: Path, bbox: tuple[float, float, float, float], target: Path) -> Path:
    small_granule(dest, bbox)

    def link(group, name, shape):
        group[name] = h5py.ExternalLink(str(target), f"/product/{name}")

    return _replace_science(dest, link)


def virtual_dataset_granule(dest: Path, bbox: tuple[float, float, float, float], target: Path) -> Path:
    small_granule(dest, bbox)

    def virtual(group, name, shape):
        layout = h5py.VirtualLayout(shape=shape, dtype="f4")
        layout[:] = h5py.VirtualSource(str(target), f"product/{name}", shape=shape)
        return group.create_virtual_dataset(name, layout, fillvalue=-1e30)

    return _replace_science(dest, virtual)


def huge_coordinate_granule(dest: Path) -> Path:
    """~10 KB declaring latitude = 400,000,000 (chunked, never written: nothing on disk)."""
    with netCDF4.Dataset(dest, "w", format="NETCDF4") as ds:
        ds.createDimension("time", 1)
        ds.createDimension("latitude", 400_000_000)
        ds.createDimension("longitude", 10)
        ds.createVariable("latitude", "f8", ("latitude",), chunksizes=(1_000_000,))
        ds.createVariable("longitude", "f4", ("longitude",))[:] = -100 + PIXEL * np.arange(10)
        ds.createGroup("product").createVariable(
            "vertical_column_troposphere", "f4", ("time", "latitude", "longitude"), chunksizes=(1, 1000, 10)
        )
    return dest


def _unwritten_granule(
    dest: Path, rows: int, cols: int, west: float, south: float, chunks, shuffle: bool
) -> Path:
    """A rows x cols granule from (west, south) whose zlib-compressed science variable is declared with
    `chunks` but never written: its chunks are what the caller writes with `write_direct_chunk`."""
    with netCDF4.Dataset(dest, "w", format="NETCDF4") as ds:
        ds.createDimension("time", 1)
        ds.createDimension("latitude", rows)
        ds.createDimension("longitude", cols)
        ds.createVariable("latitude", "f4", ("latitude",))[:] = south + PIXEL / 2 + PIXEL * np.arange(rows)
        ds.createVariable("longitude", "f4", ("longitude",))[:] = west + PIXEL / 2 + PIXEL * np.arange(cols)
        ds.createGroup("product").createVariable(
            "vertical_column_troposphere", "f4", ("time", "latitude", "longitude"),
            zlib=True, complevel=1, shuffle=shuffle, chunksizes=chunks, fill_value=np.float32(-1e30),
        )  # fmt: skip
    return dest


def huge_chunk_granule(dest: Path, west: float = -110.0, south: float = 20.0) -> Path:
    """A 4500 x 9000 granule from (west, south) whose science variable is one zlib chunk: ~160 KB on
    disk, 162 MB once inflated, whatever window is read (written with `write_direct_chunk`, so the
    test never holds it)."""
    rows, cols = 4500, 9000
    _unwritten_granule(dest, rows, cols, west, south, (1, rows, cols), shuffle=False)
    deflate = zlib.compressobj(1)
    row = np.full(cols, 2e15, dtype=np.float32).tobytes()
    chunk = b"".join(deflate.compress(row) for _ in range(rows)) + deflate.flush()
    with h5py.File(dest, "r+") as file:
        file[VARIABLE].id.write_direct_chunk((0, 0, 0), chunk)
    return dest


def deflate_bomb_granule(
    dest: Path, inflate_to: int = 2 << 30, west: float = -110.0, south: float = 20.0
) -> Path:
    """A 1000 x 2600 granule from (west, south), laid out as TEMPO's (shuffle + deflate, chunks of
    (1, 1000, 1300) float32: 5.2 MB declared), whose science variable's two chunks are ~2 MB each on
    disk and inflate to `inflate_to` bytes each (~4 MB in all)."""
    rows, cols = 1000, 2600
    _unwritten_granule(dest, rows, cols, west, south, (1, rows, cols // 2), shuffle=True)
    bomb = deflate_bomb_stream(inflate_to)
    with h5py.File(dest, "r+") as file:
        for offset in ((0, 0, 0), (0, 0, cols // 2)):
            file[VARIABLE].id.write_direct_chunk(offset, bomb)
    return dest


def unknown_filter_granule(dest: Path, bbox: tuple[float, float, float, float]) -> Path:
    """A granule whose science variable is compressed with LZF (filter 32000): not one TEMPO uses."""
    small_granule(dest, bbox)

    def lzf(group, name, shape):
        created = group.create_dataset(name, shape=shape, dtype="f4", chunks=(1, 16, 16), compression="lzf")
        created[...] = np.float32(2e15)
        return created

    return _replace_science(dest, lzf)
