"""`aeris_tempo_reprocess`'s search: published hours to load again, because

- their slice came from a near-real-time product and the standard product now covers the hour;
- their slice came from an older version of the standard product than the newest one (setting
  `newer_versions`, default on: AERIS_REPROCESS_NEWER_VERSIONS);
- a granule they were loaded from was republished under the same name (CMR's revision changed).

One paged CMR search per product and run of loaded hours, not one per hour. The loads reuse the
hourly DAG's tasks (Harmony job, download, write-audit-publish); the file checksum then decides whether
a reload writes anything."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aeris.config import settings
from aeris.config.connections import aeris_db
from aeris.config.settings import checked
from aeris.hooks.cmr import CmrHook
from aeris.tasks import catalog, schema
from airflow.sdk import task

from aeris_lib import config
from aeris_lib.cmr import version_key
from aeris_lib.db.sql import load_sql
from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import NRT, STANDARD
from aeris_lib.publication import LOOKAHEAD, LOOKBEHIND, Granule, assess

log = logging.getLogger(__name__)
# The standard product is judged on its own coverage only: no deadline makes a partial hour "ready".
NO_DEADLINE = timedelta(days=3650)
# Loaded hours closer than this are listed by one CMR search.
SPAN_GAP = timedelta(days=1)


@dataclass(frozen=True)
class LoadedSlice:
    gas: str
    hour: datetime
    line: str
    version: str | None
    revisions: dict[str, int] | None  # {granule: CMR revision} of its last load; None when not recorded


def newer_versions_default() -> bool:
    return checked(config.Publication.from_env).reprocess_newer_versions


def why_reload(loaded: LoadedSlice, standard: GasHour, newer_versions: bool) -> str | None:
    """Why the slice should come again from `standard` (the catalog's standard product as resolved
    now), or None. Republished granules are judged later, against CMR's listing."""
    if loaded.line == NRT:
        return NRT
    if newer_versions and loaded.version and version_key(loaded.version) < version_key(standard.version):
        return f"{standard.short_name} {loaded.version}"
    return None


def republished(loaded: LoadedSlice, granules: tuple[Granule, ...]) -> list[str]:
    """Granules of the hour whose CMR revision differs from the one the slice was loaded from (or
    that it was not loaded from): `[]` when nothing changed or nothing was recorded to compare."""
    if not loaded.revisions or not all(loaded.revisions.values()):
        return []
    now = {g.name: g.revision for g in granules}
    if not all(now.values()):
        return []
    return sorted(name for name, revision in now.items() if loaded.revisions.get(name) != revision)


@task
def find_upgrades(**context: Any) -> list[dict[str, Any]]:
    """The (gas, hour)s to load again, oldest first, at most `max_hours` (pending schema migrations
    applied first)."""
    params = context["params"]
    gases, bbox = settings.run_gases_and_bbox(params)
    entries = settings.load_catalog()
    wanted = [entries[g] for g in gases if entries[g].verified]
    newer = params.get("newer_versions")
    newer = newer_versions_default() if newer is None else bool(newer)
    since = datetime.now(UTC) - timedelta(days=float(params["days"]))
    with aeris_db() as conn:
        schema.migrate(conn)  # current before anything reads it
        with conn.cursor() as cur:
            cur.execute(
                load_sql("grid/loaded_slices.sql"), {"gases": [e.gas for e in wanted], "since": since}
            )
            slices = [LoadedSlice(*row) for row in cur.fetchall()]
        if not slices:
            log.info("No published hour of %s since %s: nothing to reload",
                     ",".join(e.gas for e in wanted) or "(no verified gas)", since.isoformat())  # fmt: skip
            return []
        resolved = catalog.resolve(conn, wanted, since, bbox, {e.gas: STANDARD for e in wanted})
    standard = {gas_hour.gas: gas_hour for gas_hour in resolved}
    candidates = []
    for loaded in slices:
        upgrade = why_reload(loaded, standard[loaded.gas], newer)
        # An older version kept on purpose (newer_versions off): its granules are not compared.
        if upgrade or not loaded.version or loaded.version == standard[loaded.gas].version:
            candidates.append((loaded, upgrade))
    listings = _listings(CmrHook(), [(standard[c.gas].collection_id, c.hour) for c, _ in candidates], bbox)
    now = datetime.now(UTC)
    reloads: list[dict[str, Any]] = []
    for loaded, upgrade in candidates:
        if len(reloads) >= int(params["max_hours"]):
            log.info("Reached max_hours=%s; the remaining hours wait for the next run", params["max_hours"])
            break
        product = standard[loaded.gas]
        listed = listings[product.collection_id]
        decision = assess(loaded.hour, listed, now=now, deadline=now + NO_DEADLINE)
        where = f"{loaded.gas} {loaded.hour.isoformat()}"
        if decision.state != "ready" or not decision.complete:
            if upgrade:
                log.info("%s: %s not published for the hour yet (%s)", where, product.label, decision.reason)
            continue
        changed = [] if upgrade else republished(loaded, decision.granules)
        if upgrade:
            log.info(
                "%s: %s published, replacing the %s slice: %s", where, product.label, upgrade, decision.reason
            )
        elif changed:
            log.info("%s: republished in CMR (new revision): %s; loading it again", where, ", ".join(changed))
        else:
            continue
        listing = {"granules": [g.to_dict() for g in decision.granules], "complete": True}
        reloads.append(
            replace(product, hour=loaded.hour, upgraded_from=upgrade, publication=listing).to_xcom()
        )
    log.info("%d of %d published hour(s) to load again", len(reloads), len(slices))
    return reloads


def _listings(hook: CmrHook, wanted: list[tuple[str, datetime]], bbox: Any) -> dict[str, list[Granule]]:
    """{collection: granules} around the hours asked: one paged CMR search per run of hours less than a
    day apart (a week of hourly slices is one search; scattered old hours are a few small ones)."""
    listings: dict[str, list[Granule]] = {}
    for collection in sorted({c for c, _ in wanted}):
        hours = sorted({h for c, h in wanted if c == collection})
        spans: list[list[datetime]] = []
        for hour in hours:
            if spans and hour - spans[-1][1] <= SPAN_GAP:
                spans[-1][1] = hour
            else:
                spans.append([hour, hour])
        found = {
            granule
            for start, end in spans
            for granule in hook.granules_between(collection, start - LOOKBEHIND, end + LOOKAHEAD, bbox)
        }
        listings[collection] = sorted(found, key=lambda g: g.start)
    return listings
