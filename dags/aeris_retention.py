"""
### AERIS — retention

Every 6 hours (UTC) removes what is older than its retention, measured from the clock (`now()`), never
from the run's dates (a run dated in the future must not make young data look old):

- **grid slices** older than `retention_hours` (default 168 h; per gas with the Variable
  `aeris_retention_hours_by_gas`, e.g. `{"NO2": 336}`), each dropped as a whole partition with the
  saved routes' exposure rows computed from it;
- **audit objects** (GeoTIFF and companions under `audit/geotiff/`) older than `audit_retention_days`,
  in the bucket or, with `AERIS_STAGING=local`, the local staging directory;
- **ingest_log** rows older than `ledger_retention_days` (default 90).

Trigger with `dry_run` on to list what would go. Logs and return values give counts and bytes. A
second run in a row removes nothing more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aeris.tasks import retention as steps
from airflow.sdk import Param, dag

from aeris_lib import config

# Defaults of the trigger form (AERIS_RETENTION_HOURS, AERIS_AUDIT_RETENTION_DAYS, AERIS_LEDGER_RETENTION_DAYS).
RETENTION = config.Retention.from_env()


@dag(
    dag_id="aeris_retention",
    schedule="0 */6 * * *",
    start_date=datetime(2024, 9, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "aeris-data",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "execution_timeout": timedelta(hours=1),
    },
    tags=["aeris", "operations", "retention"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean", title="Dry run: list what would be removed"),
        "retention_hours": Param(
            RETENTION.grid_hours,
            type="integer", minimum=1, title="Keep grid slices for (hours)",
        ),
        "audit_retention_days": Param(
            RETENTION.audit_days,
            type="integer", minimum=1, title="Keep audit objects for (days)",
        ),
        "ledger_retention_days": Param(
            RETENTION.ledger_days, type="integer", minimum=1, title="Keep ingest_log rows for (days)",
        ),
    },
)  # fmt: skip
def aeris_retention():
    steps.purge_grid_slices()
    steps.purge_audit_objects()
    steps.purge_ingest_log()


aeris_retention()
