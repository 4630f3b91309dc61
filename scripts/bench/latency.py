"""(i) LATENCY: from NASA listing an hour's last granule to the hour's slice being published, the event
path against the polling path, in one run on one machine.

Both paths run the real Airflow components on the local stack, NO2 over the benchmark's bbox, on recent
hours (inside NASA's 14-day NRT window, which the stack's emulator keeps too). The emulator publishes the
hours' scans one by one, `spacing_s` apart, as TEMPO's stream does (a scan completes the hour it ends in):
- event path: CMR's subscriptions on a local SQS queue; the triggerer watches it; `aeris_tempo_events`
  loads each hour its messages complete (scripts/event_path.py);
- polling path: one `aeris_tempo_hourly` run per hour, waiting in the triggerer, which asks CMR every
  `poll_s` seconds (AERIS_PUBLICATION_POLL_SECONDS: 300 s in production); the releases fall at any
  point of a run's polling cycle.
An hour's latency: its slice's `published_at` (ledger) minus the moment its last scan was listed.
Last line: LATENCY hours=… event_p50_s=… event_p95_s=… poll_p50_s=… poll_p95_s=… event_vs_poll_p50=…
"""

from __future__ import annotations

import math
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aeris_lib import config
from scripts import event_path
from scripts.event_path import GAS, HOURLY_DAG, listed_at, published, recent_hour, schedule_releases
from tests.support.catalog_ids import concept_id
from tests.support.cluster import AirflowCluster
from tests.support.emulator import Emulator

FIRST_HOUR_UTC = 13  # TEMPO scans CONUS in daylight: 13:00-23:00 UTC holds ten such hours
PRODUCTION_POLL_S = 300.0


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile (of 10 values: the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _bbox_env(bbox: tuple[float, ...]) -> dict[str, str]:
    return dict(zip(("TEMPO_BBOX_WEST", "TEMPO_BBOX_SOUTH", "TEMPO_BBOX_EAST", "TEMPO_BBOX_NORTH"),
                    (str(v) for v in bbox), strict=True))  # fmt: skip


def _wait_published(
    url: str, hours: list[datetime], since: datetime, timeout_s: float
) -> dict[datetime, float]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = published(url, hours, since)
        if len(done) == len(hours):
            return done
        time.sleep(1.0)
    missing = sorted(set(hours) - set(published(url, hours, since)))
    raise RuntimeError(f"LATENCY: not published within {timeout_s:.0f} s: {[h.isoformat() for h in missing]}")


def _task_means(cluster: AirflowCluster, dag_id: str, runs: list[dict]) -> str:
    """'<task> <mean s> (x<instances>)' over the runs' task instances that ran."""
    durations: dict[str, list[float]] = {}
    for run in runs:
        for ti in cluster.task_instances(dag_id, run["dag_run_id"]):
            if ti.get("duration") is not None:
                durations.setdefault(ti["task_id"], []).append(float(ti["duration"]))
    return f"{len(runs)} runs; mean task seconds: " + ", ".join(
        f"{task} {statistics.mean(values):.1f} (x{len(values)})" for task, values in durations.items()
    )


def event_latencies(
    url: str, workdir: Path, hours: list[datetime], spacing_s: float, bbox, say
) -> list[float]:
    control, collection = Emulator(config.Earthdata.from_env().cmr_url), concept_id(GAS, "nrt")
    event_path.forget(url, hours)
    schedule_releases(control, collection, hours, first_in_s=None, spacing_s=0)  # held before subscribing
    queue_url, arn = event_path.local_queue()
    event_path.subscriptions("create", arn)
    try:
        cluster = event_path.event_cluster(workdir, arn, **_bbox_env(bbox))
        try:
            since = datetime.now(UTC)
            releases = schedule_releases(control, collection, hours, first_in_s=5, spacing_s=spacing_s)
            say(
                f"(i) event path: {len(releases)} scans listed {spacing_s:.0f} s apart; CMR's messages to the queue"
            )
            done = _wait_published(url, hours, since, 5 + len(releases) * spacing_s + 300)
            # The neighbours' loads (the last scan completes the next hour too) end before the stop.
            runs = cluster.wait_for(lambda: event_path.finished_runs(cluster), 300, "the events DAG's runs")
            say("(i) event path: " + _task_means(cluster, event_path.EVENTS_DAG, runs))
        finally:
            cluster.api("PATCH", f"/dags/{event_path.EVENTS_DAG}", {"is_paused": True})
            cluster.stop()
    finally:
        control.release()
        event_path.subscriptions("delete", arn)
        event_path.sqs_client().delete_queue(QueueUrl=queue_url)
    return [done[h] - listed_at(releases, h) for h in hours]


def polling_latencies(url: str, workdir: Path, hours: list[datetime], spacing_s: float, poll_s: float, bbox,
                      say) -> list[float]:  # fmt: skip
    control, collection = Emulator(config.Earthdata.from_env().cmr_url), concept_id(GAS, "nrt")
    event_path.forget(url, hours)
    schedule_releases(control, collection, hours, first_in_s=None, spacing_s=0)
    cluster = AirflowCluster(workdir, extra_env={"AERIS_GASES": GAS, "AERIS_PUBLICATION_POLL_SECONDS": str(poll_s),
                                                 **_bbox_env(bbox)}).start()  # fmt: skip
    try:
        cluster.wait_for(lambda: cluster.dag_parsed(HOURLY_DAG), 180, "the hourly DAG")
        cluster.delete_queued_runs(HOURLY_DAG)
        cluster.delete_runs(HOURLY_DAG, [h.isoformat() for h in hours])
        cluster.api("PATCH", f"/dags/{HOURLY_DAG}", {"is_paused": False})
        runs = [
            cluster.api("POST", f"/dags/{HOURLY_DAG}/dagRuns",
                        {"logical_date": h.isoformat(), "conf": {"hour": h.isoformat(), "gases": [GAS]}})["dag_run_id"]
            for h in hours
        ]  # fmt: skip
        cluster.wait_for(
            lambda: all(any(t["task_id"] == "gas.harmony_job" and t["state"] == "deferred"
                            for t in cluster.task_instances(HOURLY_DAG, run)) for run in runs),
            300, "every hour's publication wait to be deferred", interval=1.0,
        )  # fmt: skip
        since = datetime.now(UTC)
        releases = schedule_releases(control, collection, hours, first_in_s=5, spacing_s=spacing_s)
        say(f"(i) polling path: {len(runs)} hourly runs waiting, CMR asked every {poll_s:.0f} s; "
            f"{len(releases)} scans listed {spacing_s:.0f} s apart")  # fmt: skip
        done = _wait_published(url, hours, since, 5 + len(releases) * spacing_s + poll_s + 300)
        cluster.wait_for(
            lambda: all(cluster.api("GET", f"/dags/{HOURLY_DAG}/dagRuns/{run}")["state"] in ("success", "failed")
                        for run in runs), 300, "the hourly runs",
        )  # fmt: skip
        cluster.api("PATCH", f"/dags/{HOURLY_DAG}", {"is_paused": True})
    finally:
        cluster.stop()
        control.release()
    return [done[h] - listed_at(releases, h) for h in hours]


def latency_benchmark(url: str, workdir: Path, say, hour_count: int = 10, spacing_s: float = 30.0,
                      poll_s: float = PRODUCTION_POLL_S, bbox=(-125.0, 24.0, -66.0, 50.0)) -> str:  # fmt: skip
    """The LATENCY line: `hour_count` hours through each path (yesterday's for the events, the day
    before's for the polling), scans `spacing_s` apart (ten of 30 s span one 300-s poll cycle: every
    phase of it), the hourly DAG asking CMR every `poll_s`."""
    event_hours = [recent_hour(1, FIRST_HOUR_UTC) + timedelta(hours=k) for k in range(hour_count)]
    poll_hours = [recent_hour(2, FIRST_HOUR_UTC) + timedelta(hours=k) for k in range(hour_count)]
    events = event_latencies(url, workdir / "events", event_hours, spacing_s, bbox, say)
    polling = polling_latencies(url, workdir / "polling", poll_hours, spacing_s, poll_s, bbox, say)
    for name, values in (("event", events), ("polling", polling)):
        say(f"(i) {name} path, s from the last granule listed to the slice published: "
            + ", ".join(f"{v:.0f}" for v in values))  # fmt: skip
    event_p50, poll_p50 = statistics.median(events), statistics.median(polling)
    return (
        f"LATENCY hours={hour_count} event_p50_s={event_p50:.1f} event_p95_s={p95(events):.1f}"
        f" poll_p50_s={poll_p50:.1f} poll_p95_s={p95(polling):.1f} poll_interval_s={poll_s:.0f}"
        f" event_vs_poll_p50={event_p50 / poll_p50:.2f}"
    )
