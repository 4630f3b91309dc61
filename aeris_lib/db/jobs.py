"""One Harmony job per request: (gas, hour, bbox, collection, variable, shape, granules) -> the job.

A retry or a clear of the submit step asks here first and reuses the job while Harmony still holds its
results; the granules are part of the key, so a granule published since makes a new job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aeris_lib.db.sql import load_sql


def request_key(
    bbox: Sequence[float], collection_id: str, variable: str, granules: Sequence[str], shape: str
) -> str:
    """A stable key of what was asked: readable prefix, digest of the granule names. The request shape
    is part of it: a job of native granules is no answer to a GeoTIFF request."""
    digest = hashlib.sha256("\n".join(sorted(granules)).encode()).hexdigest()[:16]
    return f"{json.dumps([round(float(v), 6) for v in bbox])}|{collection_id}|{variable}|{shape}|{digest}"


def find_job(
    conn: Any, gas: str, hour: datetime, key: str, *, any_gas: bool = False
) -> tuple[str, str, datetime] | None:
    """(job_id, job_url, submitted_at) of the job already submitted for this request, if any: this
    gas's, or (`any_gas`) whichever gas's asked the same (a request of native granules names no
    variable, so the gases read from one collection share it)."""
    with conn.cursor() as cur:
        sql = "harmony/find_shared_job.sql" if any_gas else "harmony/find_job.sql"
        cur.execute(load_sql(sql), {"gas": gas, "hour": hour, "key": key})
        row = cur.fetchone()
    conn.rollback()
    return tuple(row) if row else None


@contextmanager
def request_lock(conn: Any, hour: datetime, key: str) -> Iterator[None]:
    """Hold a session advisory lock on (hour, request) on `conn`: gases sharing a request submit it once."""
    params = {"hour": hour, "key": key}
    with conn.cursor() as cur:
        cur.execute(load_sql("harmony/lock_request.sql"), params)
    conn.commit()
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute(load_sql("harmony/unlock_request.sql"), params)
        conn.commit()


def remember_job(conn: Any, gas: str, hour: datetime, key: str, job_id: str, job_url: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            load_sql("harmony/remember_job.sql"),
            {"gas": gas, "hour": hour, "key": key, "job_id": job_id, "job_url": job_url},
        )
    conn.commit()
