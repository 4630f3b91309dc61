"""The DAAC's native granules as files on disk: each built once (concurrent requests wait for the one
build), kept between runs under AERIS_EMULATOR_CACHE_DIR, and built ahead on a background thread as soon
as a Harmony job lists it, as NASA's files exist before anyone asks for them."""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
from pathlib import Path

from harmony_emulator.netcdf import pad_to_real_size, real_sizes, write_granule
from harmony_emulator.scans import Scan, granule_name

# Native granules (full field of regard, ~20-30 MB, a few seconds to build) are kept on disk between
# runs: the same granule is byte-identical every time. Bump when the files' content changes.
GRANULE_CACHE_VERSION = "3"  # 3: TEMPO's dtypes and chunking, root weight


_building: dict[Path, threading.Lock] = {}
_building_lock = threading.Lock()


def granule_cache_dir() -> Path:
    return Path(os.environ.get("AERIS_EMULATOR_CACHE_DIR") or Path(tempfile.gettempdir()) / "aeris-emulator")


# The DAAC's native granules are files that exist before anyone asks for them; the emulator writes
# each (~5 s for a full-disk granule) on one background thread as soon as a job lists it, so the
# download finds it ready, or waits only for the rest of its build. A daemon thread: an exiting
# emulator drops what is queued (a build cut short leaves only its .partial file).
_queued_builds: queue.SimpleQueue = queue.SimpleQueue()
_builder_started = threading.Event()


def build_soon(collection: str, scan: Scan, fault: str | None) -> None:
    if not _builder_started.is_set():
        with _building_lock:
            if not _builder_started.is_set():
                threading.Thread(target=_build_queued, name="granule-build", daemon=True).start()
                _builder_started.set()
    _queued_builds.put((collection, scan, fault))


def _build_queued() -> None:
    while True:
        collection, scan, fault = _queued_builds.get()
        with contextlib.suppress(Exception):  # the download builds it again and reports the error
            native_granule(collection, scan, fault)


def native_granule(collection: str, scan: Scan, fault: str | None = None) -> Path:
    """The native granule's file, built once (concurrent requests for it wait for the one build)."""
    name = granule_name(collection, scan).removesuffix(".nc")
    name += f".r{scan.revision}" if scan.revision > 1 else ""
    name += ".former-grid" if scan.former_grid else ""
    name += ".real" if real_sizes() else ""
    path = granule_cache_dir() / f"v{GRANULE_CACHE_VERSION}" / f"{name}{'.' + fault if fault else ''}.nc"
    with _building_lock:
        lock = _building.setdefault(path, threading.Lock())
    with lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            write_granule(partial, collection, scan, fault=fault)
            if real_sizes():
                pad_to_real_size(partial, collection)
            partial.replace(path)
    return path
