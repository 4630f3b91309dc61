"""A soak's invariants, read back from the database, the bucket, the emulator and Airflow itself.

Each check returns what breaks it (empty: it holds), so a failing soak names the gas-hours at fault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

from aeris_lib import breaker, config, retention
from harmony_emulator.scans import collection_for
from scripts.soak.plan import HOUR, SoakPlan
from tests.support.bucket import audit_bucket
from tests.support.db import airflow_db_url

# Airflow's task runner logs the first when an on_*_callback raises (airflow.sdk.execution_time.task_runner);
# the others are our callbacks' own words when they caught an error (plugins/aeris/tasks/breaker.py).
CALLBACK_RAISED = (
    "Failed to run task callback",
    "could not record the failure",
    "could not record the failed try",
    "failure not recorded",
)
# design.md: staged and shared objects live two days after they were written.
STAGED_AGE = timedelta(days=retention.STAGED_DAYS)
# TEMPO's standard L3 products (reference: "Standard L3 is V04 now"): what NASA has published, per gas.
STANDARD_PRODUCTS = {
    "NO2": ("TEMPO_NO2_L3", "V04"),
    "CH2O": ("TEMPO_HCHO_L3", "V04"),
    "O3": ("TEMPO_O3TOT_L3", "V04"),
    "AI": ("TEMPO_O3TOT_L3", "V04"),
}
# Ledger rows that say why no load was tried (the publication sensor's), not a task attempt's.
OUTCOMES = ("not_published", "no_scan", "no_product", "wrong_version", "circuit_open")
# Every try of a load writes its own row; every failed try of the steps before it, one row (callbacks).
TRIES = """
WITH tries AS (
    SELECT task_id, state FROM task_instance
    WHERE dag_id IN ('aeris_tempo_hourly', 'aeris_tempo_events', 'aeris_tempo_reprocess') AND start_date >= %(since)s
    UNION ALL
    SELECT task_id, state FROM task_instance_history
    WHERE dag_id IN ('aeris_tempo_hourly', 'aeris_tempo_events', 'aeris_tempo_reprocess') AND start_date >= %(since)s
)
SELECT count(*) FILTER (WHERE task_id LIKE '%%.load_gas_hour' AND state IN ('success', 'failed', 'up_for_retry'))
     + count(*) FILTER (WHERE (task_id LIKE '%%.harmony_job' OR task_id LIKE '%%.stage_geotiff')
                        AND state IN ('failed', 'up_for_retry'))
FROM tries
"""


@dataclass
class Findings:
    gas_hours: int = 0
    slices: int = 0
    ledger_rows: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)
    storage_mb: float = 0.0

    def add(self, name: str, problems: list[str]) -> None:
        self.failures[name] = problems

    @property
    def ok(self) -> bool:
        return not any(self.failures.values())

    def count(self, name: str) -> int:
        return len(self.failures.get(name, []))

    def summary(self) -> list[str]:
        return [
            f"{name}: {', '.join(p[:12])}{' …' if len(p) > 12 else ''}"
            for name, p in self.failures.items()
            if p
        ]


def _label(gas: str, hour: datetime) -> str:
    return f"{gas}@{hour.astimezone(UTC):%m-%d %H}h"


class Checks:
    def __init__(self, plan: SoakPlan, url: str, since: datetime):
        self.plan, self.url, self.since = plan, url, since
        self._listings: dict[tuple[tuple[str, str], datetime], dict[str, int]] = {}
        self.s3, self.bucket = audit_bucket()
        self.cmr = config.Earthdata.from_env().cmr_url

    def _query(self, sql: str, *args) -> list[tuple]:
        with psycopg.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    # ------------------------------------------------------------------ loads
    def loads(self, findings: Findings) -> None:
        hours = list(self.plan.hours)
        slices = {
            (gas, hour): line
            for gas, hour, line in self._query(
                "SELECT gas_type, obs_time, product_line FROM obs_partition WHERE obs_time = ANY(%s)", hours
            )
        }
        # Every hour NASA published over the bbox (CMR lists a standard granule for it), daylight or not:
        # the hourly run loads what is listed, the end of the day's last scan included.
        expected = [
            (gas, hour)
            for hour in hours
            for gas in self.plan.gases
            if self._listed(STANDARD_PRODUCTS[gas], hour)
        ]
        findings.gas_hours, findings.slices = len(expected), len(slices)
        findings.add("lost", [_label(g, h) for g, h in expected if (g, h) not in slices])
        # Every hour of the soak is listed on the standard line (published ~2 h after its scan): the
        # reprocess run must have upgraded every NRT load.
        findings.add("left_on_nrt", [_label(g, h) for (g, h), line in slices.items() if line == "nrt"])
        doubles = self._query(
            "SELECT gas_type, obs_time, count(*) FROM ingest_log WHERE status = 'success' AND obs_time = ANY(%s)"
            " GROUP BY gas_type, obs_time, product_line, version, granule_revisions::text HAVING count(*) > 1",
            hours,
        )
        findings.add("double_loads", [f"{_label(g, h)} x{n}" for g, h, n in doubles])
        last = self._last_success(hours)
        incomplete, stale = [], []
        for (gas, hour), (_, granules, revisions, product) in last.items():
            listed = self._listed(product, hour)
            if set(granules) != set(listed):
                incomplete.append(f"{_label(gas, hour)} {len(granules)} of {len(listed)} granules")
            elif revisions != listed:
                stale.append(f"{_label(gas, hour)} revisions {revisions} while CMR lists {listed}")
        findings.add("incomplete", incomplete)
        findings.add("not_at_newest_revision", stale)
        first = self.plan.first_scan_hour
        with_s001 = {
            g
            for (g, h), (_, granules, _, _) in last.items()
            if h == first and any("S001" in n for n in granules)
        }
        findings.add(
            "first_scan_written_off", [_label(g, first) for g in self.plan.gases if g not in with_s001]
        )
        running = self._query(
            "SELECT gas_type, obs_time FROM ingest_log WHERE status = 'running' AND obs_time = ANY(%s)", hours
        )
        findings.add("ledger_rows_left_running", [_label(g, h) for g, h in running])
        findings.ledger_rows = self._query("SELECT count(*) FROM ingest_log WHERE obs_time = ANY(%s)", hours)[
            0
        ][0]

    def _last_success(
        self, hours: list[datetime]
    ) -> dict[tuple[str, datetime], tuple[str, list, dict, tuple]]:
        """{(gas, hour): (source sha256, granules, {granule: revision}, (short name, version))} of the
        load each published slice holds."""
        rows = self._query(
            "SELECT DISTINCT ON (gas_type, obs_time) gas_type, obs_time, source_sha256, granules,"
            " granule_revisions, short_name, version FROM ingest_log"
            " WHERE status = 'success' AND obs_time = ANY(%s) ORDER BY gas_type, obs_time, id DESC",
            hours,
        )
        return {
            (g, h): (sha, granules or [], revisions or {}, (short, version))
            for g, h, sha, granules, revisions, short, version in rows
        }

    def _listed(self, product: tuple[str, str], hour: datetime) -> dict[str, int]:
        """{granule: revision} CMR lists for the hour over the bbox, of the product (asked once per check run)."""
        if (product, hour) in self._listings:
            return self._listings[product, hour]
        query = {
            "collection_concept_id": collection_for(*product),
            "temporal": f"{hour:%Y-%m-%dT%H:%M:%SZ},{hour + HOUR:%Y-%m-%dT%H:%M:%SZ}",
            "bounding_box": ",".join(str(v) for v in self.plan.bbox),
            "page_size": 100,
        }
        answer = requests.get(f"{self.cmr}/search/granules.umm_json", params=query, timeout=30)
        answer.raise_for_status()
        listed = {item["umm"]["GranuleUR"]: item["meta"]["revision-id"] for item in answer.json()["items"]}
        self._listings[product, hour] = listed
        return listed

    def attempts(self, findings: Findings) -> None:
        """One ledger row per task attempt since the soak began: each load try, and each failed try of the
        steps before it."""
        with psycopg.connect(airflow_db_url()) as conn, conn.cursor() as cur:
            cur.execute(TRIES, {"since": self.since})
            tries = cur.fetchone()[0]
        # Every hour's: the reprocess run also reloads slices of other hours when NASA changed them.
        # The reconcile's `unchanged` (harmony_job's skip: no file read) is no attempt at a load either.
        rows = self._query(
            "SELECT count(*) FROM ingest_log WHERE started_at >= %s AND status <> ALL(%s)"
            " AND NOT (status = 'unchanged' AND rows_written IS NULL)",
            self.since,
            list(OUTCOMES),
        )[0][0]
        findings.add(
            "ledger_rows_not_one_per_attempt", [] if rows == tries else [f"{rows} rows for {tries} tries"]
        )

    # ------------------------------------------------------------------ audit copies
    def audit(self, findings: Findings) -> None:
        """Every published slice's audit COG is there, and its STAC item names the file the slice holds."""
        wrong = []
        for (gas, hour), (sha, _, _, _) in self._last_success(list(self.plan.hours)).items():
            stem = f"audit/geotiff/{hour:%Y-%m-%d}/{gas}_{hour:%H}"
            try:
                self.s3.head_object(Bucket=self.bucket, Key=f"{stem}.tif")
                item = json.loads(self.s3.get_object(Bucket=self.bucket, Key=f"{stem}.json")["Body"].read())
            except self.s3.exceptions.ClientError as error:
                wrong.append(f"{_label(gas, hour)} {error.response['Error']['Code']}")
                continue
            if item["properties"].get("aeris:source_sha256") != sha:
                wrong.append(f"{_label(gas, hour)} COG of another file")
        findings.add("audit_cog_mismatch", wrong)

    # ------------------------------------------------------------------ Airflow and the emulator
    def airflow(self, findings: Findings, cluster, retention_runs: list[str], log_dir: Path) -> None:
        open_breakers = []
        for gas in self.plan.gases:
            try:
                value = cluster.api("GET", f"/variables/{breaker.variable_key(gas)}")["value"]
            except AssertionError:
                continue  # no Variable: closed
            state = breaker.BreakerState.parse(value)
            if state.is_open(breaker.DEFAULT_THRESHOLD):
                open_breakers.append(f"{gas} ({state.describe()})")
        findings.add("breaker_open", open_breakers)
        raised = []
        cutoff = self.since.timestamp()
        for path in log_dir.rglob("*.log"):
            if path.stat().st_mtime >= cutoff:
                text = path.read_text(errors="replace")
                if any(words in text for words in CALLBACK_RAISED):
                    raised.append(str(path.relative_to(log_dir)))
        findings.add("callbacks_raised", raised)
        states = [cluster.api("GET", f"/dags/aeris_retention/dagRuns/{r}")["state"] for r in retention_runs]
        findings.add(
            "retention_runs_failed",
            [r for r, s in zip(retention_runs, states, strict=True) if s != "success"],
        )
        if not retention_runs:
            findings.add("retention_never_ran", ["no retention run during the backfills"])

    def faults_served(self, findings: Findings, stats: dict) -> None:
        wanted = {rule["fault"]: rule["times"] for rule in self.plan.service_faults()}
        # The emulator counts its service faults under their names (job_failed shows in the ledger).
        findings.add(
            "faults_not_served",
            [f"{f} {stats[f]}/{n}" for f, n in wanted.items() if f in stats and stats[f] < n],
        )

    # ------------------------------------------------------------------ storage, after the final retention
    def storage(self, findings: Findings, now: datetime, retention_hours: int, audit_days: int) -> None:
        """Nothing outlives its retention: slices by their hour, audit objects by the hour they hold,
        staged and shared objects by their own age."""
        cutoff = now - timedelta(hours=retention_hours)
        old = self._query("SELECT gas_type, obs_time FROM obs_partition WHERE obs_time < %s", cutoff)
        findings.add("slices_past_retention", [_label(g, h) for g, h in old])
        audit_cutoff = (now - timedelta(days=audit_days)).replace(minute=0, second=0, microsecond=0)
        too_old, total = [], 0
        for item in self._objects():
            key, size, modified = item["Key"], item["Size"], item["LastModified"]
            total += size
            staged_too_old = key.startswith(("staging/", "shared/")) and modified < now - STAGED_AGE
            audit = retention.AUDIT_KEY.match(key)
            audit_too_old = audit is not None and _audit_hour(audit) < audit_cutoff - HOUR
            if staged_too_old or audit_too_old:
                too_old.append(key)
        findings.add("objects_past_retention", too_old)
        slice_bytes = self._query(
            "SELECT coalesce(sum(pg_total_relation_size(quote_ident(table_name))), 0) FROM obs_partition"
        )[0][0]
        findings.storage_mb = (total + int(slice_bytes)) / 1e6

    def _objects(self):
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            yield from page.get("Contents", [])


def _audit_hour(audit) -> datetime:
    """The hour an audit key (retention.AUDIT_KEY's match: day, gas, hour) holds."""
    day, _, hour = audit.groups()
    return datetime.fromisoformat(f"{day}T{hour}:00+00:00")
