"""Concept ids CMR gave for product names (short name, version, provider), cached in `cmr_collection`."""

from __future__ import annotations

from typing import Any

from aeris_lib.cmr import TEMPO_PROVIDER, CmrError, UnknownCollection, resolve_collection
from aeris_lib.db.sql import load_sql


def cached_collection(conn: Any, short_name: str, version: str, provider: str) -> tuple[str, float] | None:
    """(concept id, age in seconds) of the last resolution of the name, if any."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("cmr/find_collection.sql"),
            {"short_name": short_name, "version": version, "provider": provider},
        )
        row = cur.fetchone()
    conn.rollback()
    return None if row is None else (row[0], float(row[1]))


def remember_collection(conn: Any, short_name: str, version: str, provider: str, concept_id: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            load_sql("cmr/remember_collection.sql"),
            {"short_name": short_name, "version": version, "provider": provider, "concept_id": concept_id},
        )
    conn.commit()


def resolve_cached(
    conn: Any, session: Any, cmr_url: str, short_name: str, version: str, *, ttl_s: float,
    provider: str = TEMPO_PROVIDER,
) -> tuple[str, str]:  # fmt: skip
    """(concept id, where it came from) for a product name: the cached answer while younger than
    `ttl_s`, else CMR's (then cached). CMR unreachable with a cached answer of any age: the cached one."""
    cached = cached_collection(conn, short_name, version, provider)
    if cached and cached[1] < ttl_s:
        return cached[0], f"cached {cached[1] / 3600:.1f} h ago"
    try:
        concept_id = resolve_collection(session, cmr_url, short_name, version, provider)
    except UnknownCollection:
        raise
    except CmrError as error:
        if cached is None:
            raise
        return cached[0], f"cached {cached[1] / 3600:.1f} h ago; CMR did not answer ({error})"
    remember_collection(conn, short_name, version, provider, concept_id)
    return concept_id, "CMR"
