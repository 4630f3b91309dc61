"""TaskFlow steps of `aeris_retention`: thin Airflow adapters around `aeris_lib.retention`."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from aeris.config.connections import aeris_db
from aeris.hooks import staging
from airflow.sdk import Variable, task

from aeris_lib import retention

log = logging.getLogger(__name__)


def _now(context: dict[str, Any]) -> datetime:
    """The clock, never the run's dates: a run dated in the future (or a backfill far ahead) must not
    make unexpired data look old. A rerun removes only what has expired since."""
    return datetime.now(UTC)


def _log_report(report: retention.PurgeReport) -> dict[str, Any]:
    verb = "would remove" if report.dry_run else "removed"
    related = "".join(f", {n:,} {table} rows" for table, n in report.related_rows.items())
    log.info(
        "%s: %s %d item(s), %s rows%s, %.1f MB",
        report.what, verb, report.items, f"{report.rows:,}", related, report.bytes / 1e6,
    )  # fmt: skip
    for name in report.names[:50]:
        log.info("  %s %s", verb, name)
    if len(report.names) > 50:
        log.info("  … and %d more", len(report.names) - 50)
    return report.summary()


@task
def purge_grid_slices(**context: Any) -> dict[str, Any]:
    """Drop (gas, hour) partitions older than the retention (default 168 h, per gas overridable)."""
    params = context["params"]
    overrides = json.loads(Variable.get("aeris_retention_hours_by_gas", default=None) or "{}")
    hours = retention.retention_hours_by_gas(params["retention_hours"], overrides)
    log.info(
        "Grid slice retention (Param retention_hours %s h; Variable aeris_retention_hours_by_gas %s): %s",
        params["retention_hours"], overrides or "not set", ", ".join(f"{gas} {h} h" for gas, h in hours.items()),
    )  # fmt: skip
    with aeris_db() as conn:
        report = retention.purge_slices(conn, _now(context), hours, params["dry_run"])
    return _log_report(report)


@task
def purge_audit_objects(**context: Any) -> dict[str, Any]:
    """Delete audit GeoTIFFs (and their companions) whose hour is older than the audit retention, and
    staged or shared objects written more than two days ago, in the bucket or, with AERIS_STAGING=local,
    the local staging directory."""
    params = context["params"]
    listed = [item for prefix in retention.PREFIXES for item in staging.store().list_objects(prefix)]
    expired = retention.expired_audit_objects(listed, _now(context), params["audit_retention_days"])
    report = retention.PurgeReport(f"audit objects in {staging.location()}", params["dry_run"])
    report.items = len(expired)
    report.bytes = sum(size for _, size in expired)
    report.names = [key for key, _ in expired]
    if not params["dry_run"]:
        staging.store().delete(report.names)
    return _log_report(report)


@task
def purge_ingest_log(**context: Any) -> dict[str, Any]:
    """Delete ledger rows older than the ledger retention (default 90 days)."""
    params = context["params"]
    with aeris_db() as conn:
        report = retention.purge_ledger(
            conn, _now(context), params["ledger_retention_days"], params["dry_run"]
        )
    return _log_report(report)
