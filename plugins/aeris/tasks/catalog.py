"""The gas catalog resolved for a run: each gas's product line and its CMR concept id.

Names are resolved through CMR's collection search and cached in `cmr_collection` for
AERIS_CMR_COLLECTION_TTL_HOURS (default 24), so a run asks CMR at most once a day per product; an
explicit concept id in the catalog wins. An unknown name fails the run with a message naming it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aeris.config.settings import checked
from aeris.hooks.cmr import CmrHook
from airflow.sdk.exceptions import AirflowFailException

from aeris_lib import config
from aeris_lib.cmr import CmrError, UnknownCollection
from aeris_lib.db.collections import resolve_cached
from aeris_lib.db.sql import load_sql
from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import AUTO_LINE, LATEST, NRT, STANDARD, GasProduct
from aeris_lib.publication import deadline_for, search_window

log = logging.getLogger(__name__)


def _ttl_s() -> float:
    return checked(config.Earthdata.from_env).collection_ttl_hours * 3600


def resolve(
    conn: Any,
    entries: list[GasProduct],
    hour: datetime,
    bbox: Sequence[float],
    lines: dict[str, str] | None = None,
    reasons: dict[str, str] | None = None,
) -> list[GasHour]:
    """Each entry as the `GasHour` the per-gas tasks take, for the line `lines` gives its gas (else the
    entry's own choice), with its concept id resolved; `reasons`: why each line (for the ledger)."""
    hook = CmrHook()
    products = []
    for entry in entries:
        chosen = (lines or {}).get(entry.gas) or entry.chosen_line()
        why = (reasons or {}).get(entry.gas, "")
        concept_id, short_name, version, source = _product(conn, hook, entry, chosen)
        gas_hour = GasHour(entry, hour, tuple(bbox), concept_id, chosen, short_name, version, line_reason=why)  # type: ignore[arg-type]
        log.info("%s: %s product %s = %s (%s)%s", entry.gas, chosen, gas_hour.product_name or concept_id,
                 concept_id, source, f"; {why}" if why else "")  # fmt: skip
        products.append(gas_hour)
    return with_companions(products)


def _product(conn: Any, hook: CmrHook, entry: GasProduct, line: str) -> tuple[str, str, str, str]:
    """(concept id, short name, version as resolved, where the id came from) of the entry's product on
    `line`: the catalog's pinned id, else its name resolved through CMR (cached)."""
    short_name, asked, explicit = entry.product_name(line)
    if explicit:
        # A pinned concept id: its version is whatever the catalog says beside it, if anything.
        return explicit, short_name, "" if asked == LATEST else asked, "the catalog's collection id"
    try:
        resolved = resolve_cached(conn, hook.session, hook.base_url, short_name, asked, ttl_s=_ttl_s())
    except UnknownCollection as error:
        raise AirflowFailException(f"{entry.gas}: {error}") from None
    source = f"version latest = {resolved.version}; {resolved.source}" if asked == LATEST else resolved.source
    return resolved.concept_id, short_name, resolved.version, source


def with_companions(products: list[GasHour]) -> list[GasHour]:
    """Each product with the other gases read from its collection this run (O3 and AI share O3TOT)."""
    return [
        replace(
            product,
            companions=tuple(
                (other.gas, other.entry.variable, other.entry.quality_variable or "")
                for other in products
                if other.collection_id == product.collection_id and other.gas != product.gas
            ),
        )
        for product in products
    ]


def choose_lines(
    conn: Any, entries: list[GasProduct], hour: datetime, bbox: Sequence[float]
) -> tuple[dict[str, str], dict[str, str]]:
    """({gas: line}, {gas: why}) for the hourly plan. Near-real-time first where TEMPO has it; the
    standard line for an hour NASA no longer keeps on the NRT line (AERIS_NRT_WINDOW_DAYS), for a slice
    already upgraded, and for an hour past its publication deadline that the NRT line lists nothing
    for while the standard line does (a backfill, a refill, a late clear): such an hour loads instead
    of being written off as not published."""
    publication = checked(config.Publication.from_env)
    now = datetime.now(UTC)
    chosen = {e.gas: e.line_for_hour(hour, now, publication.nrt_window_days) for e in entries}
    for gas in upgraded_gases(conn, hour, entries):
        # A rerun or backfill asks the standard product again: the NRT one could never replace it.
        chosen[gas] = (STANDARD, "the slice was already upgraded to the standard line; asking for it again")
    if now >= deadline_for(hour, publication.deadline_minutes):
        for entry in entries:
            if (
                entry.line == AUTO_LINE
                and chosen[entry.gas][0] == NRT
                and _only_standard_lists(conn, entry, hour, bbox)
            ):
                chosen[entry.gas] = (
                    STANDARD,
                    "the near-real-time line lists nothing for the hour; the standard line does",
                )
    for gas, (line, why) in chosen.items():
        log.info("%s %s: %s line: %s", gas, hour.isoformat(), line, why)
    return {gas: line for gas, (line, _) in chosen.items()}, {gas: why for gas, (_, why) in chosen.items()}


def _only_standard_lists(conn: Any, entry: GasProduct, hour: datetime, bbox: Sequence[float]) -> bool:
    """Whether CMR lists no NRT granule over the hour and at least one standard one. A CMR that does
    not answer decides nothing: the NRT line stays, and its sensor waits for an answer."""
    hook, end = CmrHook(), hour + timedelta(hours=1)
    try:
        for line, wanted in ((NRT, False), (STANDARD, True)):
            concept_id = _product(conn, hook, entry, line)[0]
            listed = hook.granules(concept_id, *search_window(hour), bbox)
            if any(g.start < end and g.end > hour for g in listed) != wanted:
                return False
    except CmrError as error:
        log.warning(
            "%s %s: could not compare the product lines in CMR: %s", entry.gas, hour.isoformat(), error
        )
        return False
    return True


def upgraded_gases(conn: Any, hour: datetime, entries: list[GasProduct]) -> dict[str, str]:
    """{gas: standard} for the gases whose slice of `hour` already comes from the standard product:
    a rerun or backfill asks the standard product again instead of the near-real-time one (which
    could never replace it). A catalog entry that says `line: nrt` explicitly still asks for NRT."""
    with conn.cursor() as cur:
        cur.execute(load_sql("grid/slice_lines.sql"), {"hour": hour})
        standard = {gas for gas, line in cur.fetchall() if line == STANDARD}
    return {e.gas: STANDARD for e in entries if e.gas in standard and e.line == AUTO_LINE and e.has_nrt}
