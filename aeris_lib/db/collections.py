"""Concept ids CMR gave for product names (short name, version, provider), cached in `cmr_collection`.

A version `latest` is cached like any other name, with the version CMR resolved it to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aeris_lib.cmr import TEMPO_PROVIDER, CmrError, UnknownCollection, resolve_collection, resolve_latest
from aeris_lib.db.sql import load_sql
from aeris_lib.gases import LATEST


@dataclass(frozen=True)
class Resolved:
    """A product name resolved: its concept id, its version (`latest` resolved), and where from."""

    concept_id: str
    version: str
    source: str


def cached_collection(
    conn: Any, short_name: str, version: str, provider: str
) -> tuple[str, str, float] | None:
    """(concept id, resolved version, age in seconds) of the last resolution of the name, if any."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("cmr/find_collection.sql"),
            {"short_name": short_name, "version": version, "provider": provider},
        )
        row = cur.fetchone()
    conn.rollback()
    return None if row is None else (row[0], row[1], float(row[2]))


def remember_collection(
    conn: Any, short_name: str, version: str, provider: str, concept_id: str, resolved_version: str
) -> None:
    with conn.cursor() as cur:
        cur.execute(
            load_sql("cmr/remember_collection.sql"),
            {"short_name": short_name, "version": version, "provider": provider, "concept_id": concept_id,
             "resolved_version": resolved_version},
        )  # fmt: skip
    conn.commit()


def forget_collection(conn: Any, short_name: str, version: str, provider: str = TEMPO_PROVIDER) -> None:
    """The next resolution of the name asks CMR again."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("cmr/forget_collection.sql"),
            {"short_name": short_name, "version": version, "provider": provider},
        )
    conn.commit()


def resolve_cached(
    conn: Any, session: Any, cmr_url: str, short_name: str, version: str, *, ttl_s: float,
    provider: str = TEMPO_PROVIDER,
) -> Resolved:  # fmt: skip
    """The product name resolved: the cached answer while younger than `ttl_s`, else CMR's (then
    cached). CMR unreachable with a cached answer of any age: the cached one. `version` may be
    `latest`: the newest version CMR lists for the short name."""
    cached = cached_collection(conn, short_name, version, provider)
    if cached and cached[2] < ttl_s:
        return Resolved(cached[0], cached[1], f"cached {cached[2] / 3600:.1f} h ago")
    try:
        if version == LATEST:
            resolved_version, concept_id = resolve_latest(session, cmr_url, short_name, provider)
        else:
            resolved_version = version
            concept_id = resolve_collection(session, cmr_url, short_name, version, provider)
    except UnknownCollection:
        raise
    except CmrError as error:
        if cached is None:
            raise
        return Resolved(
            cached[0], cached[1], f"cached {cached[2] / 3600:.1f} h ago; CMR did not answer ({error})"
        )
    remember_collection(conn, short_name, version, provider, concept_id, resolved_version)
    return Resolved(concept_id, resolved_version, "CMR" if version != LATEST else "CMR, newest version")
