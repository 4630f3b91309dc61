"""One Harmony job per request: (gas, hour, bbox, collection, variable, shape, granules) -> the job.

A retry or a clear of the submit step asks here first and reuses the job while Harmony still holds its
results; the granules are part of the key, so a granule published since makes a new job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
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


def find_job(conn: Any, gas: str, hour: datetime, key: str) -> tuple[str, str, datetime] | None:
    """(job_id, job_url, submitted_at) of the job already submitted for this request, if any."""
    with conn.cursor() as cur:
        cur.execute(load_sql("harmony/find_job.sql"), {"gas": gas, "hour": hour, "key": key})
        row = cur.fetchone()
    conn.rollback()
    return tuple(row) if row else None


def remember_job(conn: Any, gas: str, hour: datetime, key: str, job_id: str, job_url: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            load_sql("harmony/remember_job.sql"),
            {"gas": gas, "hour": hour, "key": key, "job_id": job_id, "job_url": job_url},
        )
    conn.commit()
