"""The ingestion ledger (`ingest_log`): one row per attempt at a (gas, hour), whatever its outcome.

Loads write their own rows (aeris_lib.db.load: running -> success | unchanged | failed | quality_failed).
Outcomes that write no slice are recorded here in one statement each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aeris_lib.db.sql import load_sql
from aeris_lib.redaction import redact

# Outcomes without a load, and what the gap report makes of them.
NOT_PUBLISHED = "not_published"  # a gap: TEMPO scanned, nothing was published by the deadline
NO_SCAN = "no_scan"  # not a gap: night, or outside TEMPO's scan window
NO_PRODUCT = "no_product"  # not a gap: the catalog has no verified product for the gas
CIRCUIT_OPEN = "circuit_open"  # a gap: skipped by the circuit breaker
# A gap: the product asked for lists nothing for the hour, another version of it does.
WRONG_VERSION = "wrong_version"
HARMONY_FAILED = "harmony_failed"
FAILED = "failed"
OUTCOMES = (NOT_PUBLISHED, NO_SCAN, NO_PRODUCT, CIRCUIT_OPEN, WRONG_VERSION, HARMONY_FAILED, FAILED)


@dataclass(frozen=True)
class Product:
    """Which product an attempt asked for, as the ledger records it (all empty when not known)."""

    line: str | None = None
    short_name: str | None = None
    version: str | None = None


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
            },
        )
        row_id = cur.fetchone()[0]
    conn.commit()
    return row_id
