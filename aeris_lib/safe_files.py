"""Opening downloaded files without trusting them.

A file from Harmony or a DAAC is opened only after its first bytes say what it is, and only with the
one reader meant for that format. GDAL, asked to open "any raster", also opens a VRT: an XML file
whose bands may read raw bytes from any local path (`/proc/self/environ`: the worker's secrets) or
fetch `/vsicurl/` URLs from inside the network. HDF5, asked to read a dataset, follows external
storage, external links and virtual datasets to other files. So:
- GeoTIFF: the TIFF signature, then rasterio with `driver="GTiff"` only, under `gdal_sandbox()`
  (GDAL's HTTP through a closed port, no sidecar files looked up, raw VRT bands off from GDAL 3.12);
- NetCDF-4/HDF5: the HDF5 signature (for a local file), then `check_layout` walks every object's
  metadata before the reader (aeris_lib.tempo_l3) reads any data: no external storage, no external
  link, no virtual dataset, no oversized chunk, no filter but deflate, shuffle and fletcher32 (and
  aeris_lib.hdf5_chunks inflates each chunk within its declared size: no deflate bomb).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import rasterio
from rasterio.errors import RasterioIOError

from aeris_lib.hdf5_chunks import unknown_filters

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
# A decompressed chunk is held whole in memory: TEMPO's largest is ~11.4 MB (float64 1 x 738 x 1938).
MAX_CHUNK_BYTES = 64 * 1024**2
# A TEMPO L3 file holds a few dozen objects; a file with thousands is not one, and walking it is work.
MAX_HDF5_OBJECTS = 2000
# GDAL config for every read of a downloaded raster. GDAL has no "network off" switch: its HTTP goes
# to a proxy on the discard port (refused at once), and /vsicurl/ sees no file with a real extension.
# Raw VRT bands cannot be switched off at run time before GDAL 3.12 (GDAL_VRT_ENABLE_RAWRASTERBAND is
# a build option; rasterio's wheel has GDAL 3.10 built with it): `open_geotiff` is what keeps a VRT
# out. From 3.12 on, GDAL_VRT_RAWRASTERBAND_ALLOWED_SOURCE limits them too (to remote, i.e. none here).
GDAL_SANDBOX = {
    "GDAL_VRT_RAWRASTERBAND_ALLOWED_SOURCE": "ONLY_REMOTE",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".aeris-no-network",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
}


class RasterError(ValueError):
    """The file cannot be used as a TEMPO grid; the message says why and names the file."""


def signature(path: str) -> str:
    """'tiff' or 'hdf5' from the file's first bytes; `RasterError` naming what it starts with otherwise."""
    with open(path, "rb") as head:
        first = head.read(len(HDF5_SIGNATURE))
    if first == HDF5_SIGNATURE:
        return "hdf5"
    if first[:4] in TIFF_SIGNATURES:
        return "tiff"
    if not first:
        raise RasterError(f"{path}: not a readable GeoTIFF or NetCDF-4 file: it is empty")
    shown = first.decode("ascii", "replace") if first[:1] == b"<" else repr(first)
    raise RasterError(
        f"{path}: not a readable GeoTIFF or NetCDF-4 file: neither signature, it starts with {shown}"
    )


@contextlib.contextmanager
def gdal_sandbox() -> Iterator[None]:
    """GDAL options for reading untrusted rasters (see `GDAL_SANDBOX`), for the block's duration."""
    with rasterio.Env(**GDAL_SANDBOX):
        yield


def open_geotiff(path: str):
    """`path` opened read-only as a GeoTIFF and nothing else (use inside `gdal_sandbox()`)."""
    if signature(path) != "tiff":
        raise RasterError(f"{path}: not a GeoTIFF (it is an HDF5 file)")
    try:
        return rasterio.open(path, driver="GTiff")
    except RasterioIOError as error:
        raise RasterError(f"{path}: not a readable GeoTIFF ({error})") from None


def check_layout(file, name: str) -> None:
    """Every object of an open HDF5 file, by metadata only: `RasterError` naming the first that
    reaches outside the file (external storage, external link, virtual dataset) or whose chunks are
    too big to decompress safely. Nothing is read from any dataset."""
    import h5py

    problems: list[str] = []
    seen = 0

    def visit(path: str, link) -> bool | None:
        nonlocal seen
        seen += 1
        if seen > MAX_HDF5_OBJECTS:
            problems.append(f"more than {MAX_HDF5_OBJECTS:,} objects")
        elif isinstance(link, h5py.ExternalLink):
            problems.append(f"'{path}' is an external link to {link.filename!r}")
        elif isinstance(link, h5py.HardLink) and isinstance(node := file.get(path), h5py.Dataset):
            problems.extend(_dataset_problems(path, node))
        return True if problems else None  # a true value stops the walk

    try:
        file.visititems_links(visit)
    except (OSError, RuntimeError, ValueError) as error:
        raise RasterError(f"{name}: unreadable HDF5 file ({error})") from None
    if problems:
        raise RasterError(f"{name}: refused before reading: {problems[0]}")


def _dataset_problems(name: str, dataset) -> list[str]:
    if dataset.external:
        files = ", ".join(repr(entry[0]) for entry in dataset.external)
        return [f"'{name}' keeps its data in external file(s) {files}"]
    if dataset.is_virtual:
        return [f"'{name}' is a virtual dataset (its data lives in other files)"]
    if unknown := unknown_filters(dataset):
        return [
            f"'{name}' uses HDF5 filter(s) {', '.join(unknown)}: only deflate, shuffle and fletcher32 are read"
        ]
    if dataset.chunks:
        chunk_bytes = math.prod(dataset.chunks) * dataset.dtype.itemsize
        if chunk_bytes > MAX_CHUNK_BYTES:
            return [
                f"'{name}' has chunks of {chunk_bytes:,} bytes (over {MAX_CHUNK_BYTES:,} bytes decompressed, "
                f"shape {dataset.chunks})"
            ]
    return []
