"""`make screenshots`: the README's pictures of the AERIS view, taken after days of the hourly DAG on
hours that just ended, on a stack whose clock is shifted (scripts/timelapse/plan.py says why and how).

    python -m scripts.timelapse clock --days 3 --clock-file F   # sets the clock; prints the first day
    python -m scripts.timelapse run --first-day D --days 3 --clock-file F --out docs

scripts/timelapse.sh runs both around its own stack; this process itself runs on the real clock.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from aeris_lib import config, defaults
from aeris_lib.db.sql import load_sql
from scripts.soak.drive import NRT_DELAY_S, STANDARD_DELAY_S
from scripts.timelapse.clock import ShiftedClock
from scripts.timelapse.plan import START_OF_DAY, TimelapsePlan, first_day
from tests.support.browser import logged_in_page
from tests.support.cluster import AirflowCluster
from tests.support.db import airflow_db_url
from tests.support.emulator import stack_emulator

HOURLY = "aeris_tempo_hourly"
# A task that works, or is about to: the clock must not jump under it (its heartbeat would look stale).
BUSY_STATES = ("scheduled", "queued", "running", "restarting")
SETTLE_S = 3.0  # after a jump: every process reads the new offset (1 s) and acts on it (scheduler, triggers)
IDLE_TIMEOUT_S = 1800.0
PICTURES = {"view": "aeris-view.png", "waiting": "aeris-waiting.png", "freshness": "aeris-freshness.png"}


def make_plan(first_day: date, days: int) -> TimelapsePlan:
    publication = config.Publication()
    return TimelapsePlan(first_day, days, NRT_DELAY_S, STANDARD_DELAY_S,
                         publication.deadline_minutes, publication.poll_seconds)  # fmt: skip


def production_settings() -> dict[str, str]:
    """The pipeline's own defaults (CONUS, a 300-s poll, a 3-h deadline), over the test clusters' ones."""
    publication, scheduling = config.Publication(), config.Scheduling()
    return {
        **{name: f"{value:g}" for name, value in zip(config.BBOX_NAMES, defaults.CONUS, strict=True)},
        "AERIS_PUBLICATION_POLL_SECONDS": f"{publication.poll_seconds:g}",
        "AERIS_PUBLICATION_DEADLINE_MINUTES": f"{publication.deadline_minutes:g}",
        "AERIS_RETRY_DELAY_SECONDS": str(scheduling.retry_delay_seconds),
        # The scheduler starts each hour's run itself, as in production (the test clusters do not).
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",
    }


def jumping_clock_settings() -> dict[str, str]:
    """Airflow's liveness checks, each longer than the clock's longest jump (an hour: every hour's end
    is an instant). Else, after a jump, the scheduler takes itself for dead and resets its own task
    instances, and the triggerer its runner (measured: duplicate ledger rows, "Task Instance not found").
    No task runs across a jump, so nothing that really hangs goes unseen for long."""
    limit = str(2 * 3600)
    return {
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": limit,
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": limit,
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": limit,
        "AIRFLOW__TRIGGERER__RUNNER_HEALTH_CHECK_THRESHOLD": limit,
        "AIRFLOW__DAG_PROCESSOR__HEALTH_CHECK_THRESHOLD": limit,
        "AIRFLOW__EXECUTION_API__JWT_EXPIRATION_TIME": limit,
    }


class Timelapse:
    def __init__(self, plan: TimelapsePlan, clock: ShiftedClock, workdir: Path, out: Path, say):
        self.plan, self.clock, self.workdir, self.out, self.say = plan, clock, workdir, out, say
        self._cluster: AirflowCluster | None = None
        self.taken: dict[str, Path] = {}

    def start(self) -> None:
        stack_emulator().publication({
            "delay_s": self.plan.nrt_delay_s, "standard_delay_s": self.plan.standard_delay_s,
        })  # fmt: skip
        self._cluster = AirflowCluster(self.workdir, extra_env={
            **self.clock.environment(), **production_settings(), **jumping_clock_settings(),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.workdir / "task-logs"),
        }).start()  # fmt: skip
        self.cluster.wait_for(
            lambda: self.cluster.dag_parsed(HOURLY), 300, f"the dag-processor to parse {HOURLY}"
        )
        self._check_clock()
        self.cluster.api("PATCH", f"/dags/{HOURLY}", {"is_paused": False})
        self.say(f"timelapse: {HOURLY} unpaused at {self.clock.now():%Y-%m-%d %H:%M} UTC (shifted clock)")

    @property
    def cluster(self) -> AirflowCluster:
        if self._cluster is None:
            raise RuntimeError("the time-lapse's Airflow components are not started")
        return self._cluster

    def _check_clock(self) -> None:
        """The database and the api-server keep the shifted time: else every lag would be off by the shift."""
        (db_now,) = one(config.Databases.from_env().aeris, "SELECT now()")
        drift = abs((db_now - self.clock.now()).total_seconds())
        if drift > 120:
            raise SystemExit(
                f"PostgreSQL says {db_now:%Y-%m-%d %H:%M} UTC, the shifted clock {self.clock.now():%Y-%m-%d %H:%M}:"
                " the stack was not started on the shifted clock (run scripts/timelapse.sh)"
            )

    def run(self) -> None:
        instants = self.plan.instants()
        self.say(f"timelapse: {len(instants)} instants from {instants[0]:%Y-%m-%d %H:%M} to "
                 f"{instants[-1]:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        last_said = None
        for instant in instants:
            self.clock.advance_to(instant)
            self.cluster.renew_login()  # the api-server's tokens expire by its (shifted) clock
            time.sleep(SETTLE_S)
            self._wait_idle()
            if instant.hour != last_said:
                last_said = instant.hour
                self.say(f"timelapse: {instant:%Y-%m-%d %H:%M} UTC  {self._progress()}")
            if "waiting" not in self.taken and instant >= self.plan.waiting_shot_at():
                self._shoot_waiting()
        self._shoot_view()

    def _wait_idle(self) -> None:
        def idle() -> bool:
            (busy,) = one(airflow_db_url(), "SELECT (SELECT count(*) FROM task_instance WHERE state = ANY(%s))"
                          " + (SELECT count(*) FROM dag_run WHERE state = 'queued')", (list(BUSY_STATES),))  # fmt: skip
            return busy == 0

        def idle_twice() -> bool:  # a trigger that just fired makes its task scheduled a moment later
            if not idle():
                return False
            time.sleep(1.5)
            return idle()

        self.cluster.wait_for(idle_twice, IDLE_TIMEOUT_S, "the tasks to finish")

    def _progress(self) -> str:
        published, waiting = one(
            config.Databases.from_env().aeris,
            "SELECT (SELECT count(*) FROM ingest_log WHERE status = 'success' AND published_at IS NOT NULL),"
            "       (SELECT count(*) FROM publication_wait)",
        )
        return f"{published} gas-hours published, {waiting} waiting"

    # ------------------------------------------------------------------ pictures
    def _page(self):
        return logged_in_page(self.cluster.base_url, width=1400, height=1100)

    def _shoot_waiting(self) -> None:
        with self._page() as page:
            page.goto(f"{self.cluster.base_url}/aeris/")
            if page.locator("#waiting li").count() == 0:
                return  # nothing waits at this instant: the next one
            self._save(page.locator("#waiting"), "waiting")

    def _shoot_view(self) -> None:
        with self._page() as page:
            page.goto(f"{self.cluster.base_url}/aeris/")
            page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
            self._save(page.locator("svg#freshness"), "freshness")
            self._save(page, "view", full_page=True)

    def _save(self, target, name: str, **options) -> None:
        path = self.out / PICTURES[name]
        target.screenshot(path=str(path), **options)
        self.taken[name] = path
        self.say(f"timelapse: {path} at {self.clock.now():%Y-%m-%d %H:%M} UTC (shifted clock)")

    def summary(self) -> tuple[str, int]:
        """One line (lags from each hour's end to its publication, per product line, as the chart shows),
        and how many gas-hours failed or were never published: none should, NASA's side has no fault."""
        aeris = config.Databases.from_env().aeris
        with psycopg.connect(aeris) as conn:
            rows = conn.execute(load_sql("ui/freshness.sql"),
                                {"start": self.plan.start, "end": self.plan.end}).fetchall()  # fmt: skip
        gaps, failed = one(
            aeris,
            "SELECT count(*) FILTER (WHERE status = 'not_published'),"
            "       count(*) FILTER (WHERE status IN ('failed', 'harmony_failed', 'quality_failed'))"
            " FROM ingest_log WHERE obs_time >= %s",
            (self.plan.start,),
        )
        parts = [
            f"TIMELAPSE days={self.plan.days} gas_hours={len(rows)} never_published={gaps} failed={failed}"
        ]
        for line in ("nrt", "standard"):
            lags = sorted(float(r[3]) for r in rows if r[1] == line)
            if lags:
                p95 = lags[min(len(lags) - 1, round(0.95 * (len(lags) - 1)))]
                parts.append(f"{line}_lag_p50_min={statistics.median(lags):.0f} {line}_lag_p95_min={p95:.0f}")
        return " ".join(parts), gaps + failed

    def stop(self) -> None:
        if self._cluster is not None:
            self._cluster.stop()


def one(url: str, sql: str, params: tuple = ()) -> tuple:
    """The one row a query returns."""
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {sql!r}")
    return tuple(row)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=("clock", "run"))
    parser.add_argument("--days", type=int, default=3, help="whole days of hourly runs (default 3)")
    parser.add_argument("--clock-file", type=Path, required=True, help="the offset file libfaketime reads")
    parser.add_argument("--first-day", type=date.fromisoformat, help="run: the day `clock` printed")
    parser.add_argument("--workdir", type=Path, help="run: the Airflow components' directory")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="run: where the pictures go")
    args = parser.parse_args()
    clock = ShiftedClock(args.clock_file)
    if args.step == "clock":
        day = first_day(datetime.now(UTC), args.days)
        clock.set(datetime.combine(day, START_OF_DAY, UTC))
        print(day.isoformat())
        return 0
    if args.first_day is None or args.workdir is None:
        parser.error("run needs --first-day and --workdir")

    def say(message: str) -> None:
        print(f"[aeris] {message}", file=sys.stderr, flush=True)

    # A stop (kill, Ctrl-C) still stops the Airflow components it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    timelapse = Timelapse(make_plan(args.first_day, args.days), clock, args.workdir, args.out, say)
    try:
        timelapse.start()
        timelapse.run()
        line, wrong = timelapse.summary()
        print(f"{line} wall_s={time.monotonic() - started:.0f}", flush=True)
    finally:
        timelapse.stop()
    missing = sorted(set(PICTURES) - set(timelapse.taken))
    if missing:
        say(f"timelapse FAILED: no picture of {', '.join(missing)}")
    if wrong:
        say(
            f"timelapse FAILED: {wrong} gas-hour(s) failed or never published (ledger: {args.workdir.parent})"
        )
    return 1 if missing or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
