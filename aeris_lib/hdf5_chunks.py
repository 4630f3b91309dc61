"""Reading HDF5 chunks without trusting what they inflate to.

HDF5's deflate filter inflates a chunk for as long as its stream goes: a ~1 MB chunk that declares
TEMPO's shape (1 x 984 x 2584 float32, 10 MB) can inflate to 2 GiB, and HDF5 allocates all of it
before noticing anything (a chunk of zeros even came back as data). So a filtered chunk is read as
stored (`read_direct_chunk`) and decoded here, each step bounded by the chunk's declared size:
fletcher32 checked, deflate through `zlib.decompressobj().decompress(data, max_length)`, shuffle undone
with numpy. Only the filters TEMPO's files use are known (deflate, shuffle, fletcher32); any other is
refused before a byte of data is read, and HDF5's filter plugins are switched off, so a file cannot
make the worker load code from disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import itertools
import math
import os
import zlib
from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np

DEFLATE, SHUFFLE, FLETCHER32 = 1, 2, 3  # H5Z_FILTER_* ids
ALLOWED_FILTERS = {DEFLATE: "deflate", SHUFFLE: "shuffle", FLETCHER32: "fletcher32"}
# A stored chunk larger than its data plus deflate's worst-case growth is not a real chunk.
STORED_SLACK_BYTES = 64 * 1024


class ChunkError(ValueError):
    """A chunk or a filter pipeline that cannot be read safely; the message names the variable."""


def _hdf5_libraries() -> list[str]:
    """The HDF5 library h5py's wheel loaded (already in this process: loading it again is a lookup)."""
    return glob.glob(os.path.join(os.path.dirname(h5py.__file__), os.pardir, "h5py.libs", "libhdf5-*"))


def disable_filter_plugins() -> None:
    """No HDF5 filter plugin is ever loaded: the search path is emptied (h5py's API) and, where the
    library exposes it, plugin loading is switched off (H5PLset_loading_state(0))."""
    while h5py.h5pl.size():
        h5py.h5pl.remove(0)
    for path in _hdf5_libraries():
        # A build without the symbol: the empty search path holds on its own.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(path).H5PLset_loading_state(ctypes.c_uint(0))


def plugin_loading_state() -> int | None:
    """HDF5's plugin-loading mask (0: off), or None when the library does not expose it."""
    for path in _hdf5_libraries():
        state = ctypes.c_uint(0xFFFF)
        if ctypes.CDLL(path).H5PLget_loading_state(ctypes.byref(state)) >= 0:
            return state.value
    return None


def _filters(dataset: h5py.Dataset) -> list[tuple]:
    """(id, flags, values, name) of each of the dataset's filters, in the order applied on writing."""
    plist = dataset.id.get_create_plist()
    return [plist.get_filter(index) for index in range(plist.get_nfilters())]


def pipeline(dataset: h5py.Dataset) -> list[int]:
    """The dataset's filter ids, in the order they were applied on writing."""
    return [code for code, *_ in _filters(dataset)]


def unknown_filters(dataset: h5py.Dataset) -> list[str]:
    """The dataset's filters that are not deflate, shuffle or fletcher32, by id and name."""
    return [
        f"{code} ({name.decode(errors='replace') if isinstance(name, bytes) else name})"
        for code, _, _, name in _filters(dataset)
        if code not in ALLOWED_FILTERS
    ]


def read_box(dataset: h5py.Dataset, box: tuple[slice, ...], name: str) -> np.ndarray:
    """`dataset[box]` (one slice with start and stop per dimension). A filtered, chunked dataset is
    read chunk by chunk and decoded here within each chunk's declared size (`ChunkError` naming the
    variable and chunk otherwise); any other is read by HDF5, which cannot inflate it."""
    filters = pipeline(dataset)
    if not dataset.chunks or not filters:
        return np.asarray(dataset[box])
    if unknown := [code for code in filters if code not in ALLOWED_FILTERS]:
        raise ChunkError(
            f"{name}: '{dataset.name}' uses HDF5 filter(s) {unknown}: only deflate, shuffle and fletcher32"
        )
    starts = [s.start or 0 for s in box]
    stops = [s.stop if s.stop is not None else n for s, n in zip(box, dataset.shape, strict=True)]
    out = np.full([b - a for a, b in zip(starts, stops, strict=True)], dataset.fillvalue, dtype=dataset.dtype)
    chunks = dataset.chunks
    chunk_bytes = math.prod(chunks) * dataset.dtype.itemsize
    for offset, info in _chunks_in(dataset, starts, stops):
        if info.byte_offset is None:
            continue  # never written: the fill value, as HDF5 gives it
        where = f"{name}: '{dataset.name}' chunk at {offset}"
        if info.size > chunk_bytes + chunk_bytes // 10 + STORED_SLACK_BYTES:
            raise ChunkError(
                f"{where} is stored in {info.size:,} bytes, more than its {chunk_bytes:,} bytes of data"
            )
        mask, stored = dataset.id.read_direct_chunk(offset)
        data = decode(stored, filters, mask, chunk_bytes, dataset.dtype.itemsize, where)
        values = np.frombuffer(data, dtype=dataset.dtype).reshape(chunks)
        inside = tuple(
            slice(max(a, o) - o, min(b, o + c) - o)
            for a, b, o, c in zip(starts, stops, offset, chunks, strict=True)
        )
        target = tuple(
            slice(max(a, o) - a, min(b, o + c) - a)
            for a, b, o, c in zip(starts, stops, offset, chunks, strict=True)
        )
        out[target] = values[inside]
    return out


def _chunks_in(dataset: h5py.Dataset, starts: list[int], stops: list[int]) -> Iterator[tuple[tuple, Any]]:
    """(offset, chunk info from the index) of each chunk that intersects [starts, stops)."""
    chunks = dataset.chunks
    spans = [range(a // c, (b - 1) // c + 1) for a, b, c in zip(starts, stops, chunks, strict=True) if b > a]
    if len(spans) < len(chunks):
        return  # an empty box
    for index in itertools.product(*spans):
        offset = tuple(i * c for i, c in zip(index, chunks, strict=True))
        yield offset, dataset.id.get_chunk_info_by_coord(offset)


def stored_bytes(dataset: h5py.Dataset, box: tuple[slice, ...]) -> int:
    """Bytes the file stores for what a reader of `dataset[box]` must touch: the chunks that intersect
    the box (from the chunk index; a chunk never written stores nothing), or the whole of a dataset
    that is not chunked."""
    if not dataset.chunks:
        return int(dataset.id.get_storage_size())
    full = tuple(box) + (slice(None),) * (dataset.ndim - len(box))
    starts = [s.start or 0 for s in full]
    stops = [s.stop if s.stop is not None else n for s, n in zip(full, dataset.shape, strict=True)]
    return sum(info.size for _, info in _chunks_in(dataset, starts, stops) if info.byte_offset is not None)


def decode(
    stored: bytes, filters: list[int], mask: int, chunk_bytes: int, itemsize: int, where: str
) -> bytes:
    """A stored chunk through its filters in reverse (skipping those its mask says were not applied),
    never holding more than `chunk_bytes` (+1 to tell "more") inflated."""
    data = bytes(stored)
    for position in reversed(range(len(filters))):
        if mask & (1 << position):
            continue
        code = filters[position]
        if code == FLETCHER32:
            data = _check_fletcher32(data, where)
        elif code == DEFLATE:
            data = _inflate(data, chunk_bytes, where)
        elif code == SHUFFLE:
            data = _unshuffle(data, itemsize)
        else:
            raise ChunkError(f"{where}: HDF5 filter {code} is not allowed")
    if len(data) != chunk_bytes:
        raise ChunkError(f"{where} decodes to {len(data):,} bytes, not its declared {chunk_bytes:,}")
    return data


def _inflate(data: bytes, limit: int, where: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise ChunkError(f"{where}: corrupt deflate stream ({error})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise ChunkError(
            f"{where} inflates past its declared size of {limit:,} bytes (a deflate bomb): refused"
        )
    if not inflater.eof:
        raise ChunkError(f"{where}: truncated deflate stream")
    return out


def _unshuffle(data: bytes, itemsize: int) -> bytes:
    """HDF5's shuffle undone: byte j of element i was stored at j * count + i."""
    count = len(data) // itemsize
    if itemsize <= 1 or count <= 1:
        return data
    body = np.frombuffer(data, np.uint8, count * itemsize).reshape(itemsize, count).T.tobytes()
    return body + data[count * itemsize :]


def _check_fletcher32(data: bytes, where: str) -> bytes:
    """The chunk without its 4-byte checksum, once the checksum matches (as H5Z_filter_fletcher32)."""
    if len(data) < 4:
        raise ChunkError(f"{where}: too short for its fletcher32 checksum")
    body, stored = data[:-4], int.from_bytes(data[-4:], "little")
    computed = fletcher32(body)
    swapped = int.from_bytes(computed.to_bytes(4, "little")[::-1], "little")
    if stored not in (computed, swapped):
        raise ChunkError(f"{where}: fletcher32 checksum mismatch (corrupt chunk)")
    return body


def fletcher32(data: bytes) -> int:
    """H5_checksum_fletcher32: big-endian 16-bit words, sums folded every 360 words."""
    words = np.frombuffer(data, ">u2", len(data) // 2).astype(np.int64)
    sum1 = sum2 = 0
    for start in range(0, words.size, 360):
        block = words[start : start + 360]
        running = np.cumsum(block)
        sum2 += int(block.size) * sum1 + int(running.sum())
        sum1 += int(running[-1])
        sum1 = (sum1 & 0xFFFF) + (sum1 >> 16)
        sum2 = (sum2 & 0xFFFF) + (sum2 >> 16)
    if len(data) % 2:
        sum1 += data[-1] << 8
        sum2 += sum1
        sum1 = (sum1 & 0xFFFF) + (sum1 >> 16)
        sum2 = (sum2 & 0xFFFF) + (sum2 >> 16)
    sum1 = (sum1 & 0xFFFF) + (sum1 >> 16)
    sum2 = (sum2 & 0xFFFF) + (sum2 >> 16)
    return (sum2 << 16) | sum1
