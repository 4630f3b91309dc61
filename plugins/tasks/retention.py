"""TaskFlow steps of `aeris_retention`: thin Airflow adapters around `aeris_lib.retention`."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Variable, task

from aeris_lib import retention
from tasks.connections import S3_CONN_ID, aeris_db, audit_bucket

log = logging.getLogger(__name__)



def _now(context: dict[str, Any]) -> datetime:
    """The run's end of interval (reproducible for reruns), else now."""
    return context.get("data_interval_end") or datetime.now(UTC)


def _log_report(report: retention.PurgeReport) -> dict[str, Any]:
    verb = "would remove" if report.dry_run else "removed"
    log.info(
        "%s: %s %d item(s), %s rows, %.1f MB",
        report.what, verb, report.items, f"{report.rows:,}", report.bytes / 1e6,
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
    with aeris_db() as conn:
        report = retention.purge_slices(conn, _now(context), hours, params["dry_run"])
    return _log_report(report)


@task
def purge_audit_objects(**context: Any) -> dict[str, Any]:
    """Delete audit GeoTIFFs (and their companions) whose hour is older than the audit retention."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    params = context["params"]
    bucket = audit_bucket()
    hook = S3Hook(aws_conn_id=S3_CONN_ID)
    objects = [(item["Key"], item["Size"]) for item in hook.get_file_metadata(prefix="audit/", bucket_name=bucket)]
    expired = retention.expired_audit_objects(objects, _now(context), params["audit_retention_days"])
    report = retention.PurgeReport(f"audit objects in s3://{bucket}", params["dry_run"])
    report.items = len(expired)
    report.bytes = sum(size for _, size in expired)
    report.names = [key for key, _ in expired]
    if expired and not params["dry_run"]:
        hook.delete_objects(bucket=bucket, keys=report.names)  # batches of 1,000 inside
    return _log_report(report)


@task
def purge_ingest_log(**context: Any) -> dict[str, Any]:
    """Delete ledger rows older than the ledger retention (default 90 days)."""
    params = context["params"]
    with aeris_db() as conn:
        report = retention.purge_ledger(conn, _now(context), params["ledger_retention_days"], params["dry_run"])
    return _log_report(report)
