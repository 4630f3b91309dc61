"""`aeris_tempo_events`' plan: from CMR's granule events (aeris_lib.cmr_events) to the gas-hours they
complete or change, which then load through the hourly DAG's own per-gas tasks (tasks.tempo).

A message only says which granule changed. What to load is decided as the hourly DAG decides it: the
catalog's product line for the hour, then CMR's own listing (`assess`): an hour loads once every scan of
it is listed, and not again while its published slice came from exactly those granules at those
revisions (tasks.reconcile). So a duplicate message, one out of order, or one whose hour is not complete
yet does nothing; the hourly DAG stays the backstop for a message that never comes."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aeris.config import settings
from aeris.config.connections import aeris_db
from aeris.config.settings import checked
from aeris.hooks.cmr import CmrHook
from aeris.tasks import breaker, catalog, reconcile, schema
from airflow.sdk import task

from aeris_lib import cmr_events, config
from aeris_lib.cmr_events import GranuleEvent
from aeris_lib.gas_hour import GasHour
from aeris_lib.publication import Granule, assess, deadline_for, scan_expected, search_window

log = logging.getLogger(__name__)
# CMR sends an event once the granule is ingested; its search may list it a moment later. Looked for
# again this many times, this far apart, before the hour is left to the next event or the hourly DAG.
LISTING_LOOKS = 4
LISTING_PAUSE_S = 5.0
LOGGED_EVENTS = 20  # each event on its own line up to this many, then a count


def triggering_messages(context: dict[str, Any]) -> list[dict]:
    """The SQS messages of the asset events that started the run."""
    accessor = context.get("triggering_asset_events") or {}
    return cmr_events.messages_of(event.extra for asset in accessor for event in accessor[asset])


def parsed_events(messages: list[dict]) -> list[GranuleEvent]:
    """One event per granule (its newest revision); a message that is no granule event is logged."""
    events = []
    for message in messages:
        try:
            events.append(cmr_events.parse_message(message))
        except cmr_events.EventError as error:
            log.warning("Ignored: %s", error)
    kept = cmr_events.newest(events)
    for event in kept[:LOGGED_EVENTS]:
        log.info("CMR event: %s", event.describe())
    if len(kept) > LOGGED_EVENTS:
        log.info("... and %d more granule event(s)", len(kept) - LOGGED_EVENTS)
    if len(kept) < len(events):
        log.info(
            "%d message(s) repeated a granule's event or were older than its newest", len(events) - len(kept)
        )
    return kept


@task(multiple_outputs=False)
def find_event_hours(**context: Any) -> list[dict[str, Any]]:
    """The gas-hours the run's granule events complete or change, each with CMR's listing (pending
    schema migrations applied first); `[]` when none (then nothing else runs)."""
    params = context["params"]
    events = parsed_events(triggering_messages(context))
    for event in (e for e in events if e.mode == cmr_events.DELETE):
        # NRT granules leave CMR after 14 days: the slice loaded from one stays (retention decides).
        log.info("%s: deleted in CMR; a slice loaded from it stays as it is", event.granule_ur)
    live = [e for e in events if e.mode != cmr_events.DELETE]
    gases, bbox = settings.run_gases_and_bbox(params)
    entries = settings.load_catalog()
    wanted = [entries[g] for g in gases if entries[g].verified]
    by_hour: dict[datetime, list[GranuleEvent]] = {}
    for event in live:
        for hour in event.hours():
            by_hour.setdefault(hour, []).append(event)
    planned: list[dict[str, Any]] = []
    with aeris_db() as conn:
        schema.migrate(conn)  # current before anything reads it
        for hour in sorted(by_hour):
            lines, reasons = catalog.choose_lines(conn, wanted, hour, bbox)
            listings: dict[str, list[Granule]] = {}  # per collection: O3 and AI read one, one search
            for gas_hour in catalog.resolve(conn, wanted, hour, bbox, lines, reasons):
                hits = [e for e in by_hour[hour] if e.collection_id == gas_hour.collection_id]
                if not hits:
                    continue
                if gas_hour.collection_id not in listings:
                    listings[gas_hour.collection_id] = _listing(gas_hour, hits)
                listed = listings[gas_hour.collection_id]
                if (product := _complete(conn, gas_hour, hits, listed, context)) is not None:
                    planned.append(product)
    log.info("%d granule event(s) → %d gas-hour(s) to load: %s", len(live), len(planned),
             ", ".join(f"{p['gas']} {p['hour']}" for p in planned) or "none")  # fmt: skip
    return planned


def _complete(
    conn: Any, gas_hour: GasHour, hits: list[GranuleEvent], listed: list[Granule], context: dict
) -> dict[str, Any] | None:
    """The gas-hour's XCom with CMR's listing (`listed`: around the hour) when every scan of the hour is
    listed and its published slice did not come from exactly these granules; else None, with why logged."""
    where = f"{gas_hour.gas} {gas_hour.hour.isoformat()}"
    names, end = {e.granule_ur for e in hits}, gas_hour.hour + cmr_events.SCAN_SPAN
    if not any(g.name in names and g.start < end and g.end > gas_hour.hour for g in listed):
        return None  # the events' scans overlap the hour before or after this one
    publication = checked(config.Publication.from_env)
    decision = assess(
        gas_hour.hour, listed, now=datetime.now(UTC),
        deadline=deadline_for(gas_hour.hour, publication.deadline_minutes),
        no_scan_reason=scan_expected(gas_hour.hour, gas_hour.bbox),
    )  # fmt: skip
    if decision.state != "ready" or not decision.complete:
        log.info(
            "%s: not complete yet (%s); a later event or the hourly DAG loads it", where, decision.reason
        )
        return None
    listing = {"granules": [g.to_dict() for g in decision.granules], "complete": True}
    last = reconcile.published_from(conn, gas_hour, listing)
    if last is not None:
        log.info("%s: already published from these granules at these revisions (ledger row %d): nothing to do",
                 where, last.log_id)  # fmt: skip
        return None
    open_breaker = breaker.check_breaker(gas_hour.gas, context)
    if open_breaker:
        log.info("%s: %s; the hourly DAG decides", where, open_breaker)
        return None
    log.info("%s: complete in CMR (%s); loading", where, decision.reason)
    return replace(gas_hour, publication=listing).to_xcom()


def _listing(gas_hour: GasHour, hits: list[GranuleEvent]) -> list[Granule]:
    """CMR's granules around the hour, once it lists the events' granules at their revisions (looked
    for `LISTING_LOOKS` times at most: CMR's search may trail its events by a moment)."""
    hook = CmrHook()
    for look in range(LISTING_LOOKS):
        listed = hook.granules(gas_hour.collection_id, *search_window(gas_hour.hour), gas_hour.bbox)
        revisions = {g.name: g.revision for g in listed}
        # Not listed, or at an older revision (0: CMR gave none, so it cannot be behind).
        behind = [
            e.granule_ur for e in hits if (r := revisions.get(e.granule_ur)) is None or 0 < r < e.revision
        ]
        if not behind:
            return listed
        if look + 1 < LISTING_LOOKS:
            time.sleep(LISTING_PAUSE_S)
    log.info("%s %s: CMR's search does not list %s at its event's revision yet", gas_hour.gas,
             gas_hour.hour.isoformat(), ", ".join(behind))  # fmt: skip
    return listed
