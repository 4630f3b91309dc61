"""`make events`: the event path once, end to end, on the local stack (docs/deployment.md, "Granule events
from CMR"). `make run` keeps the hourly DAG's path; this one shows the other:

1. an SQS queue on the stack's S3 server (moto serves SQS too) and CMR's subscriptions to it, made by
   the real command (`python -m scripts.cmr_subscriptions create`) against the emulator's CMR;
2. the real Airflow components (api-server, scheduler, dag-processor, triggerer) with
   AERIS_EVENTS_QUEUE_ARN set: the triggerer watches the queue for `aeris_tempo_events`;
3. the emulator publishes an hour's NO2 granules, scan by scan, as NASA does; it sends CMR's message for
   each to the queue; the events DAG loads the hour; the summary says how long after its last granule
   was listed the slice was published.

The benchmark's LATENCY line (scripts/bench/latency.py) measures the same path over many hours,
against the polling path.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from aeris_lib import config
from harmony_emulator.scans import Scan, scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.cluster import AirflowCluster
from tests.support.db import forget_hours
from tests.support.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DAG, HOURLY_DAG = "aeris_tempo_events", "aeris_tempo_hourly"
GRANULE_EVENTS = "aeris_tempo_granule_events"  # aeris.triggers.events.GRANULE_EVENTS
GAS = "NO2"


def recent_hour(days_ago: int, hour: int) -> datetime:
    """A daytime hour of a recent day: inside NASA's 14-day NRT window (the stack's emulator keeps its
    NRT granules that long, as NASA does), and long enough ago to be published but for our holds."""
    day = datetime.now(UTC).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def say(message: str) -> None:
    print(message, flush=True)


def sqs_client():
    """SQS through the `aeris_events` connection (the stack's moto server: `make stack`)."""
    from airflow.providers.amazon.aws.hooks.sqs import SqsHook

    return SqsHook(aws_conn_id="aeris_events").get_conn()


def local_queue() -> tuple[str, str]:
    """(url, arn) of a new queue on the stack's moto server."""
    sqs = sqs_client()
    url = sqs.create_queue(QueueName=f"aeris-granule-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def subscriptions(action: str, arn: str) -> None:
    """The real subscriptions command, with the pipeline's Earthdata login (the emulator's here)."""
    from scripts.cmr_subscriptions import main as command

    if command([action, "--queue-arn", arn]) != 0:
        raise RuntimeError(f"cmr_subscriptions {action} failed")


@dataclass(frozen=True)
class Release:
    """A scan published at `at` (epoch seconds), with the hours it overlaps."""

    scan: Scan
    at: float


def schedule_releases(control: Emulator, collection: str, hours: list[datetime], first_in_s: float | None,
                      spacing_s: float) -> list[Release]:  # fmt: skip
    """Hold every scan overlapping `hours` and publish them one by one, in time order, the first in
    `first_in_s` seconds and then every `spacing_s` (the emulator lists each at its time, and sends its
    message then); `first_in_s` None: held until asked again. Replaces any other hold."""
    scans = scans_overlapping(hours[0], hours[-1] + timedelta(hours=1))
    now = time.time()
    holds, releases = [], []
    for k, scan in enumerate(scans):
        wait = None if first_in_s is None else first_in_s + k * spacing_s
        # A range strictly inside the scan: it overlaps that scan only, not its neighbours.
        holds.append({"start": (scan.start + timedelta(seconds=1)).isoformat(),
                      "end": (scan.end - timedelta(seconds=1)).isoformat(),
                      "available_in_s": wait, "collection": collection})  # fmt: skip
        releases.append(Release(scan, now + (wait if wait is not None else float("inf"))))
    control.publication({"holds": holds})
    return releases


def listed_at(releases: list[Release], hour: datetime) -> float:
    """When the last scan of `hour` was listed (epoch seconds)."""
    return max(r.at for r in releases if r.scan.overlaps(hour, hour + timedelta(hours=1)))


def published(url: str, hours: list[datetime], since: datetime) -> dict[datetime, float]:
    """{hour: epoch seconds its NO2 slice was published} for loads since `since`."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT obs_time, min(published_at) FROM ingest_log WHERE gas_type = %s AND status = 'success'"
            " AND obs_time = ANY(%s) AND published_at >= %s GROUP BY obs_time",
            (GAS, hours, since),
        )
        return {hour: at.timestamp() for hour, at in cur.fetchall()}


def finished_runs(cluster: AirflowCluster) -> list[dict] | None:
    """The events DAG's runs once every one has finished (None while one runs)."""
    runs = cluster.api("GET", f"/dags/{EVENTS_DAG}/dagRuns?limit=50&order_by=id")["dag_runs"]
    return runs if runs and all(r["state"] in ("success", "failed") for r in runs) else None


def ledger_since(url: str, since: datetime) -> list[tuple]:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT obs_time, status, rows_written, granules FROM ingest_log WHERE gas_type = %s"
                    " AND started_at >= %s ORDER BY obs_time, id", (GAS, since))  # fmt: skip
        return cur.fetchall()


def forget(url: str, hours: list[datetime]) -> None:
    """The hours and their neighbours unloaded, so their loads are this run's."""
    with psycopg.connect(url, autocommit=True) as conn:
        around = sorted({h + timedelta(hours=k) for h in hours for k in (-1, 0, 1)})
        forget_hours(conn, around, keep_capabilities=True)


def event_cluster(workdir: Path, arn: str, **env: str) -> AirflowCluster:
    """The Airflow components with the queue watched for the events DAG (the hourly DAG paused)."""
    cluster = AirflowCluster(
        workdir, extra_env={"AERIS_EVENTS_QUEUE_ARN": arn, "AERIS_GASES": GAS,
                            # asset-triggered runs come from the scheduler's own loop
                            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True", **env},
    ).start()  # fmt: skip
    try:
        cluster.wait_for(
            lambda: cluster.dag_parsed(EVENTS_DAG) and cluster.dag_parsed(HOURLY_DAG), 180, "the DAGs"
        )
        cluster.api("PATCH", f"/dags/{HOURLY_DAG}", {"is_paused": True})
        cluster.watch_events(EVENTS_DAG, GRANULE_EVENTS)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def demo(workdir: Path) -> int:
    url = config.Databases.from_env().aeris
    control = Emulator(config.Earthdata.from_env().cmr_url)
    queue_url, arn = local_queue()
    say(f"queue {arn} on the local SQS ({queue_url})")
    hour = recent_hour(1, 17)
    hours, collection = [hour], concept_id(GAS, "nrt")
    forget(url, hours)
    # Held before the subscription: CMR sends events of what is listed after it, not before.
    schedule_releases(control, collection, hours, first_in_s=None, spacing_s=0)
    subscriptions("create", arn)
    since = datetime.now(UTC)
    cluster = event_cluster(workdir / "cluster", arn)
    try:
        releases = schedule_releases(control, collection, hours, first_in_s=2, spacing_s=5)
        say(
            f"the emulator publishes {len(releases)} {GAS} scans over {hours[0]:%Y-%m-%d %H}:00 UTC, 5 s apart"
        )
        done = cluster.wait_for(lambda: published(url, hours, since).get(hour), 300, "the hour's slice")
        runs = cluster.wait_for(lambda: finished_runs(cluster), 300, "the events DAG's runs")
        say(
            f"{len(runs)} run(s) of {EVENTS_DAG}: "
            + ", ".join(f"{r['dag_run_id']} {r['state']}" for r in runs)
        )
        for obs_time, status, rows, granules in ledger_since(url, since):
            say(
                f"  ledger: {GAS} {obs_time:%Y-%m-%d %H}:00 {status}, {rows or 0:,} rows, from {', '.join(granules or [])}"
            )
        say(f"{GAS} {hour.isoformat()}: published {done - listed_at(releases, hour):.1f} s after its "
            f"last granule was listed, with no hourly run")  # fmt: skip
    finally:
        cluster.api("PATCH", f"/dags/{EVENTS_DAG}", {"is_paused": True})
        cluster.stop()
        control.release()
        subscriptions("delete", arn)
        sqs_client().delete_queue(QueueUrl=queue_url)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=str(ROOT / ".aeris" / "events"))
    args = parser.parse_args()
    return demo(Path(args.workdir))


if __name__ == "__main__":
    sys.exit(main())
