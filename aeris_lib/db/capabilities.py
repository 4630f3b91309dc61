"""Harmony's capabilities documents, cached per collection in `harmony_capability`."""

from __future__ import annotations

import json
from typing import Any

from aeris_lib.db.sql import load_sql


def cached_capabilities(conn: Any, collection_id: str) -> tuple[dict, float] | None:
    """(document, age in seconds) of the last fetch for the collection, if any."""
    with conn.cursor() as cur:
        cur.execute(load_sql("harmony/find_capabilities.sql"), {"collection_id": collection_id})
        row = cur.fetchone()
    conn.rollback()
    if row is None:
        return None
    document = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return document, float(row[1])


def remember_capabilities(conn: Any, collection_id: str, document: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(
            load_sql("harmony/remember_capabilities.sql"),
            {"collection_id": collection_id, "document": json.dumps(document)},
        )
    conn.commit()


def forget_capabilities(conn: Any, collection_id: str) -> None:
    with conn.cursor() as cur:
        cur.execute(load_sql("harmony/forget_capabilities.sql"), {"collection_id": collection_id})
    conn.commit()
