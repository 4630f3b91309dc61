"""Runs a soak's timeline through a real Airflow cluster and the stack's Harmony emulator."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from aeris_lib import config
from scripts.soak.plan import SoakPlan
from tests.support.cluster import AirflowCluster
from tests.support.db import airflow_db_url, forget_hours, reset_circuit_breakers
from tests.support.emulator import stack_emulator

HOURLY, REPROCESS, RETENTION, GAPS = (
    "aeris_tempo_hourly",
    "aeris_tempo_reprocess",
    "aeris_retention",
    "aeris_gap_report",
)
DAGS = (HOURLY, REPROCESS, RETENTION, GAPS)
FINISHED = ("success", "failed")
PAGE = 100  # the REST API's largest page
# When NASA lists a granule after its scan ended (reference: NRT "under 2-3 hours" after the
# observation; standard V04 a median ~3 h after the scan started, about 2 h after a one-hour scan ends).
# The stack's emulator waits 24 h for standard granules (a worst case); the soak models the median.
NRT_DELAY_S, STANDARD_DELAY_S = 45 * 60, 2 * 3600


class Soak:
    """One soak: the cluster, the emulator's schedule, and every DAG run it started (for the checks)."""

    def __init__(self, plan: SoakPlan, workdir: Path, say, retention_every_s: float = 60.0):
        self.plan, self.workdir, self.say = plan, workdir, say
        self.retention_every_s = retention_every_s
        self.emulator = stack_emulator()
        self.url = config.Databases.from_env().aeris
        self.started = datetime.now(UTC)
        self.retention_runs: list[str] = []
        self.cluster: AirflowCluster | None = None
        self.log_dir = workdir / "task-logs"

    # ------------------------------------------------------------------ setup
    def prepare(self) -> None:
        """Nothing of an earlier soak or test is left on these hours, and NASA's side is scheduled."""
        with psycopg.connect(self.url, autocommit=True) as db:
            forget_hours(db, list(self.plan.hours), keep_capabilities=True)
        reset_circuit_breakers()
        self.forget_runs()
        self.emulator.clear_faults()
        self.emulator.faults(self.plan.service_faults())
        self.emulator.publication(
            {
                "delay_s": NRT_DELAY_S,
                "standard_delay_s": STANDARD_DELAY_S,
                "nrt_window_days": self.plan.emulator_nrt_window_days,
                "holds": self.plan.holds(None, 3600 * 24),
            }
        )

    def forget_runs(self) -> None:
        """Airflow's own record of an earlier soak on these hours goes too (a backfill skips an hour that
        has a run), before the scheduler starts: a run it works on cannot be deleted."""
        hours = list(self.plan.hours)
        with psycopg.connect(airflow_db_url(), autocommit=True) as conn, conn.cursor() as cur:
            # A session an Airflow process left open (killed halfway) may hold the rows: say so, not hang.
            cur.execute("SET lock_timeout = '60s'")
            cur.execute(
                "UPDATE backfill SET completed_at = now() WHERE dag_id = %s AND completed_at IS NULL",
                (HOURLY,),
            )
            cur.execute(
                "DELETE FROM dag_run WHERE dag_id = %s AND data_interval_start = ANY(%s)", (HOURLY, hours)
            )

    def start_cluster(self) -> AirflowCluster:
        west, south, east, north = (str(v) for v in self.plan.bbox)
        self.cluster = AirflowCluster(
            self.workdir, executor="LocalExecutor",
            extra_env={
                "TEMPO_BBOX_WEST": west, "TEMPO_BBOX_SOUTH": south, "TEMPO_BBOX_EAST": east,
                "TEMPO_BBOX_NORTH": north,
                "AERIS_PUBLICATION_DEADLINE_MINUTES": f"{self.plan.deadline_minutes:.3f}",
                "AERIS_PUBLICATION_POLL_SECONDS": "3",
                "AERIS_NRT_WINDOW_DAYS": "14",  # production's: the older part finds the NRT line empty
                "AERIS_GASES": ",".join(self.plan.gases),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.log_dir),
            },
        ).start()  # fmt: skip
        cluster = self.cluster
        cluster.wait_for(
            lambda: all(cluster.dag_parsed(d) for d in DAGS), 240, "the dag-processor to parse the DAGs"
        )
        for dag_id in DAGS:
            cluster.delete_queued_runs(dag_id)
            cluster.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        cluster.cancel_backfills(HOURLY)
        return cluster

    # ------------------------------------------------------------------ the timeline
    def run(self) -> None:
        cluster = self.cluster
        assert cluster is not None
        ticker = RetentionTicker(self, self.retention_every_s)
        ticker.start()
        try:
            plan = self.plan
            self.backfill(plan.older[0], plan.older[-1])
            # The late hour is published now (after its deadline), and the day's first scan a little
            # after the second backfill has seen the scans that follow it.
            self.emulator.publication({"holds": plan.holds(0, 20)[1:]})
            self.backfill(plan.recent[0], plan.recent[-1])
            self.backfill(*plan.overlap, reprocess="completed")
        finally:
            ticker.stopped.set()
            ticker.join()
        self.emulator.republished(self.plan.republication())
        self.say(f"soak: {self.plan.republished_hour:%Y-%m-%d %H}:00 republished (revision 2)")
        self.trigger_and_wait(REPROCESS, self.plan.reprocess_conf(datetime.now(UTC)), timeout=3600)
        gaps_started = datetime.now(UTC)
        self.trigger_and_wait(GAPS, self.plan.gap_report_conf(), logical_date=self.plan.gap_report_date())
        refills = self.wait_refills(gaps_started)
        self.say(f"soak: the gap report refilled {len(refills)} hour(s)")
        self.wait_runs(RETENTION, self.retention_runs)

    def backfill(self, first: datetime, last: datetime, reprocess: str = "none") -> None:
        cluster = self.cluster
        started = time.monotonic()
        created = cluster.airflow_cli(
            "backfill", "create", "--dag-id", HOURLY, "--from-date", first.isoformat(),
            "--to-date", last.isoformat(), "--dag-run-conf", json.dumps({"gases": list(self.plan.gases)}),
            "--max-active-runs", "12", "--reprocess-behavior", reprocess,
        )  # fmt: skip
        if created.returncode != 0:
            raise RuntimeError(f"airflow backfill create failed: {created.stderr[-2000:]}")
        cluster.wait_for(lambda: _backfills_done(cluster), 7200, "the backfill to finish", interval=2.0)
        runs = [r for r in all_runs(cluster, HOURLY) if first.isoformat() <= _start(r) <= last.isoformat()]
        states = {s: sum(r["state"] == s for r in runs) for s in FINISHED}
        self.say(
            f"soak: backfill {first:%Y-%m-%d %H}:00 → {last:%Y-%m-%d %H}:00 ({reprocess=}): {len(runs)} runs,"
            f" {states['success']} green, {states['failed']} red, {time.monotonic() - started:.0f} s"
        )

    def trigger(self, dag_id: str, conf: dict, logical_date: datetime | None = None) -> str:
        body = {"conf": conf, "logical_date": logical_date.isoformat() if logical_date else None}
        return self.cluster.api("POST", f"/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def trigger_and_wait(self, dag_id: str, conf: dict, logical_date=None, timeout: float = 1800) -> dict:
        if logical_date:
            self.cluster.delete_runs(dag_id, [logical_date.isoformat()])
        run_id = self.trigger(dag_id, conf, logical_date)
        run = self.cluster.wait_for_run(dag_id, run_id, timeout)
        self.say(f"soak: {dag_id} {run_id} {run['state']} {json.dumps(conf)}")
        return run

    def wait_refills(self, since: datetime) -> list[dict]:
        """The hourly runs the gap report triggered (created after `since`), once finished."""

        def refills():
            triggered = all_runs(self.cluster, HOURLY, run_type="operator_triggered")
            return [r for r in triggered if _after(r, since)]

        time.sleep(2)
        self.cluster.wait_for(
            lambda: all(r["state"] in FINISHED for r in refills()), 3600, "the refill runs", interval=2.0
        )
        return refills()

    def wait_runs(self, dag_id: str, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.cluster.wait_for_run(dag_id, run_id, 900)

    def stop(self) -> None:
        if self.cluster:
            for dag_id in DAGS:
                with contextlib.suppress(AssertionError):  # stopping anyway
                    self.cluster.api("PATCH", f"/dags/{dag_id}", {"is_paused": True})
            self.cluster.stop()
        self.emulator.clear_faults()


class RetentionTicker(threading.Thread):
    """`aeris_retention` every `every_s` of wall time while the backfills run (its schedule: 6-hourly)."""

    def __init__(self, soak: Soak, every_s: float):
        super().__init__(daemon=True)
        self.soak, self.every_s, self.stopped = soak, every_s, threading.Event()

    def run(self) -> None:
        while True:  # the first one as the first backfill starts
            running = all_runs(self.soak.cluster, RETENTION, state=["queued", "running"])
            if not running:
                self.soak.retention_runs.append(self.soak.trigger(RETENTION, {}))
            if self.stopped.wait(self.every_s):
                return


def all_runs(cluster: AirflowCluster, dag_id: str, **filters) -> list[dict]:
    """Every run of the DAG matching the filters (the REST API's, e.g. run_type, state), all pages."""
    query = "&".join(
        f"{k}={v}"
        for k, values in filters.items()
        for v in (values if isinstance(values, list) else [values])
    )
    runs, offset = [], 0
    while True:
        page = cluster.api("GET", f"/dags/{dag_id}/dagRuns?limit={PAGE}&offset={offset}&{query}")["dag_runs"]
        runs += page
        if len(page) < PAGE:
            return runs
        offset += PAGE


def _start(run: dict) -> str:
    return (run.get("data_interval_start") or "").replace("Z", "+00:00")


def _after(run: dict, since: datetime) -> bool:
    return datetime.fromisoformat(run["run_after"].replace("Z", "+00:00")) >= since


def _backfills_done(cluster: AirflowCluster) -> bool:
    backfills = cluster.api("GET", f"/backfills?dag_id={HOURLY}&limit=20&order_by=-id")["backfills"]
    return all(b.get("completed_at") for b in backfills)
