"""The ingestion ledger (`ingest_log`): one row per attempt at a (gas, hour), whatever its outcome.

Loads write their own rows (aeris_lib.db.load, through start_load / finish_load below: running ->
success | unchanged | failed | quality_failed).
Outcomes that write no slice are recorded here in one statement each.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aeris_lib.db.sql import load_sql
from aeris_lib.redaction import redact

log = logging.getLogger(__name__)

# Outcomes without a load, and what the gap report makes of them.
NOT_PUBLISHED = "not_published"  # a gap: TEMPO scanned, nothing was published by the deadline
NO_SCAN = "no_scan"  # not a gap: night, or outside TEMPO's scan window
NO_PRODUCT = "no_product"  # not a gap: the catalog has no verified product for the gas
CIRCUIT_OPEN = "circuit_open"  # a gap: skipped by the circuit breaker
# Not a gap: asked again from the source its published slice was loaded from (`LastLoad.same_source`),
# nothing fetched. A load that fetched and found the same file says `unchanged` in its own row.
UNCHANGED = "unchanged"
# A gap: the product asked for lists nothing for the hour, another version of it does.
WRONG_VERSION = "wrong_version"
HARMONY_FAILED = "harmony_failed"
FAILED = "failed"
OUTCOMES = (
    NOT_PUBLISHED,
    NO_SCAN,
    NO_PRODUCT,
    CIRCUIT_OPEN,
    WRONG_VERSION,
    HARMONY_FAILED,
    FAILED,
    UNCHANGED,
)


@dataclass(frozen=True)
class Product:
    """Which product an attempt asked for, as the ledger records it (all empty when not known)."""

    line: str | None = None
    short_name: str | None = None
    version: str | None = None
    line_reason: str | None = None  # why that line (the plan's choice), e.g. older than the NRT window


def record_outcome(
    conn: Any,
    gas: str,
    hour: datetime,
    status: str,
    reason: str,
    *,
    job_id: str | None = None,
    granules: Sequence[str] | None = None,
    product: Product | None = None,
) -> int:
    """Insert and commit one finished ledger row; returns its id."""
    product = product or Product()
    if status not in OUTCOMES:
        raise ValueError(f"unknown ledger outcome {status!r}; expected one of {', '.join(OUTCOMES)}")
    with conn.cursor() as cur:
        cur.execute(
            load_sql("ingest/record_outcome.sql"),
            {
                "gas": gas,
                "hour": hour,
                "status": status,
                "reason": redact(reason)[:2000],  # the AERIS view and alerts show it
                "job_id": job_id,
                "granules": list(granules) if granules else None,
                "product_line": product.line,
                "short_name": product.short_name or None,
                "version": product.version or None,
                "line_reason": product.line_reason or None,
            },
        )
        row_id = cur.fetchone()[0]
    conn.commit()
    return row_id


# ------------------------------------------------------------- a load's own row
LOAD_FIELDS = ("sha256", "job_id", "max_cells", "granules", "product_line", "upgraded_from", "short_name",
               "version", "granule_revisions", "listed_at", "request_shape", "bytes_moved", "line_reason",
               "request_bbox")  # fmt: skip


def start_load(conn: Any, gas: str, hour: datetime, **fields: Any) -> int:
    """The `running` row of a load attempt; `fields` among LOAD_FIELDS (granule_revisions as JSON
    text), each one left out recorded as unknown."""
    unknown = set(fields) - set(LOAD_FIELDS)
    if unknown:
        raise ValueError(f"start_load: unknown field(s) {sorted(unknown)}; expected {', '.join(LOAD_FIELDS)}")
    with conn.cursor() as cur:
        cur.execute(
            load_sql("ingest/insert_ingest_log.sql"),
            {**dict.fromkeys(LOAD_FIELDS), **fields, "gas": gas, "hour": hour},
        )
        log_id = cur.fetchone()[0]
    conn.commit()
    return log_id


def finish_load(cur: Any, log_id: int, status: str, **counts: Any) -> None:
    params = {
        "cells_read": None,
        "cells_skipped": None,
        "cells_flagged": None,
        "rows_written": None,
        "error": None,
        **counts,
        "id": log_id,
        "status": status,
    }
    if params["error"]:
        params["error"] = redact(params["error"])
    cur.execute(load_sql("ingest/finish_ingest_log.sql"), params)


def record_load_failure(conn: Any, log_id: int, error: BaseException, counts: dict[str, int]) -> None:
    try:
        conn.rollback()
        with conn.cursor() as cur:
            finish_load(cur, log_id, "failed", error=f"{type(error).__name__}: {error}"[:2000], **counts)
        conn.commit()
    except Exception:  # the connection itself may be gone; the original error matters more
        log.warning("could not record the failed load in ingest_log (connection lost)")


# ------------------------------------------------------------- what a published slice came from
@dataclass(frozen=True)
class LastLoad:
    """The load the published slice of a (gas, hour) came from, as its ledger row says."""

    log_id: int
    status: str
    revisions: dict[str, int] | None  # {granule: CMR revision}; None when not recorded
    line: str | None
    short_name: str | None
    version: str | None
    max_cells: int | None
    bbox: tuple[float, ...] | None  # the bbox asked; None before migration 0016

    def same_source(
        self, revisions: dict[str, int], *, line: str, short_name: str, version: str,
        max_cells: int | None, bbox: Sequence[float],
    ) -> bool:  # fmt: skip
        """Whether asking for these granules (at these revisions) of this product over `bbox` can only
        give the slice back: the same granules at the same revisions, every one of them known, the same
        product and line, cell cap and bbox. Anything not recorded counts as different."""
        known = bool(revisions) and all(revisions.values())
        return (
            known
            and self.revisions == revisions
            and (self.line, self.short_name or "", self.version or "")
            == (line, short_name or "", version or "")
            and self.max_cells == max_cells
            and self.bbox is not None
            and _rounded(self.bbox) == _rounded(bbox)
        )


def _rounded(bbox: Sequence[float]) -> tuple[float, ...]:
    return tuple(round(float(v), 6) for v in bbox)


def last_load(conn: Any, gas: str, hour: datetime) -> LastLoad | None:
    """What the published slice of (gas, hour) was loaded from; None when no slice is published."""
    with conn.cursor() as cur:
        cur.execute(load_sql("ingest/find_last_load.sql"), {"gas": gas, "hour": hour})
        row = cur.fetchone()
    conn.rollback()
    if row is None:
        return None
    log_id, status, revisions, line, short_name, version, max_cells, bbox = row
    if isinstance(revisions, str):
        revisions = json.loads(revisions)
    return LastLoad(
        log_id, status, {k: int(v) for k, v in revisions.items()} if revisions else None, line, short_name,
        version, max_cells, tuple(bbox) if bbox else None,
    )  # fmt: skip
