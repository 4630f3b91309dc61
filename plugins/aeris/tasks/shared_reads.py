"""One read of a native granule for every gas of the run read from it (O3 and AI both come from the
O3TOT granule, as one Harmony job of that collection lists it).

The first stage task to take the granule's lock reads every variable the run wants from it in one
range-read session and leaves its companions' windows in the staging area, under the job and granule;
a companion's task, next in the lock, takes its window from there (and deletes it) instead of reading
the granule again. A window nobody takes (its gas skipped) stays until retention; a rerun of one gas
finds none and reads the granule itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from aeris.config.connections import aeris_db
from aeris.hooks import staging

from aeris_lib.db.jobs import request_lock
from aeris_lib.harmony.jobs import checked_job_id
from aeris_lib.tempo_l3 import GridWindow

SHARED_PREFIX = "shared/"


def window_key(hour: datetime, job_id: str, link: str, variable: str) -> str:
    """Built from hashes of the whole link and variable, under a checked job id: two links with the same
    file name never share a key, and nothing a server sends can make a key climb out of its prefix."""
    granule = hashlib.sha256(link.encode()).hexdigest()[:32]
    name = hashlib.sha256(variable.encode()).hexdigest()[:16]
    return f"{SHARED_PREFIX}{hour:%Y-%m-%d}/{checked_job_id(job_id)}/{granule}/{name}.npz"


@contextmanager
def granule_lock(hour: datetime, link: str) -> Iterator[None]:
    """Only one stage task reads a granule at a time; the next finds what the first left for it."""
    with aeris_db() as conn, request_lock(conn, hour, f"read|{urlsplit(link).path}"):
        yield


def put(key: str, window: GridWindow) -> None:
    where = {
        "west": float(window.west), "north": float(window.north), "step_x": float(window.step_x),
        "step_y": float(window.step_y), "granule_shape": [int(n) for n in window.granule_shape],
        "time_coverage": [str(t) for t in window.time_coverage], "former_grid": window.former_grid,
    }  # fmt: skip
    arrays: dict[str, Any] = {"values": window.values, "where": np.array(json.dumps(where))}
    if window.flags is not None:
        arrays["flags"] = window.flags
    with tempfile.TemporaryDirectory(prefix="aeris-shared-") as tmp:
        path = Path(tmp) / "window.npz"
        np.savez(path, **arrays)
        staging.store().put(path, key)


def take(key: str) -> GridWindow | None:
    """The window left under `key`, removed from the staging area; None when there is none."""
    body = staging.store().read_bytes(key)
    if body is None:
        return None
    with np.load(io.BytesIO(body), allow_pickle=False) as stored:
        where = json.loads(str(stored["where"]))
        window = GridWindow(
            values=stored["values"], flags=stored.get("flags"), west=where["west"], north=where["north"],
            step_x=where["step_x"], step_y=where["step_y"], granule_shape=tuple(where["granule_shape"]),
            time_coverage=tuple(where["time_coverage"]), former_grid=where.get("former_grid"),
        )  # fmt: skip
    staging.store().delete([key])
    return window
