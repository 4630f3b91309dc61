"""The event path with the real Airflow components (scheduler, triggerer, dag-processor, api-server as
separate processes): the emulator lists an hour's granules and sends CMR's messages to a real SQS queue
(the stack's moto server); the triggerer's watcher takes them; `aeris_tempo_events` loads the slice with
no hourly run. A duplicate message does nothing; a republication reloads once; an hour whose message
never came is loaded by the hourly DAG, which finds the event path's hour `unchanged` at once."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from aeris.triggers.events import GRANULE_EVENTS

from aeris_lib.cmr_subscriptions import Subscription, SubscriptionClient
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.overview import load_overview
from harmony_emulator.scans import granule_concept_id, granule_name, scans_overlapping
from harmony_emulator.server import HarmonyEmulator
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.catalog_ids import concept_id
from tests.support.cluster import AirflowCluster
from tests.support.db import forget_hours, ledger_rows
from tests.support.emulator import Emulator

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS, HOURLY = "aeris_tempo_events", "aeris_tempo_hourly"
HOUR = datetime(2024, 9, 5, 16, tzinfo=UTC)  # its scans also end hour 15 and start hour 17
LOST = datetime(2024, 9, 5, 20, tzinfo=UTC)  # its message never comes
NO2 = concept_id("NO2", "nrt")  # the line an hour inside NASA's NRT window is asked of
TOUCHED = [HOUR - timedelta(hours=1), HOUR, HOUR + timedelta(hours=1), LOST - timedelta(hours=1), LOST,
           LOST + timedelta(hours=1)]  # fmt: skip


def hold(control: Emulator, *hours: datetime) -> None:
    """Keep exactly these hours' NO2 granules out of CMR (releasing any other held hour)."""
    control.publication({"holds": [{"start": h.isoformat(), "end": (h + timedelta(hours=1)).isoformat(),
                                    "available_in_s": None, "collection": NO2} for h in hours]})  # fmt: skip


@pytest.fixture
def world(tmp_path_factory, db, sqs_queue):
    endpoint = os.environ["AERIS_S3_ENDPOINT_URL"]
    sqs, url, arn = sqs_queue
    server = HarmonyEmulator(capabilities="tiff", job_seconds=0.5, nrt_window_days=0, sqs_endpoint=endpoint,
                             events_tick_s=0.5).start()  # fmt: skip
    control = Emulator(server.base_url)
    forget_hours(db, TOUCHED)
    db.commit()
    hold(control, HOUR, LOST)
    token = TokenProvider(server.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD).get()
    subscriptions = SubscriptionClient(server.base_url, token)
    subscription = subscriptions.put(Subscription(NO2, arn, ("New", "Update", "Delete")))
    harmony = {"conn_type": "harmony", "host": server.base_url, "login": EMULATOR_USER,
               "password": EMULATOR_PASSWORD, "extra": {"urs_url": server.base_url}}  # fmt: skip
    cluster = AirflowCluster(
        tmp_path_factory.mktemp("events-cluster"),
        extra_env={
            "AERIS_EVENTS_QUEUE_ARN": arn, "AERIS_GASES": "NO2",
            # Asset-triggered runs are made by the scheduler's own loop (the hourly DAG stays paused).
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",
            "AIRFLOW_CONN_HARMONY_DEFAULT": json.dumps(harmony), "HARMONY_BASE_URL": server.base_url,
            "EARTHDATA_URS_URL": server.base_url, "EARTHDATA_CMR_URL": server.base_url,
            "AERIS_EARTHDATA_DATA_ORIGINS": server.daac_url, "AERIS_PRIVATE_ORIGINS": server.files_url,
        },
    ).start()  # fmt: skip
    try:
        cluster.wait_for(lambda: cluster.dag_parsed(EVENTS) and cluster.dag_parsed(HOURLY), 120, "the DAGs")
        cluster.api("PATCH", f"/dags/{HOURLY}", {"is_paused": True})
        cluster.delete_queued_runs(HOURLY)
        cluster.delete_runs(HOURLY, [HOUR.isoformat(), LOST.isoformat()])
        cluster.watch_events(EVENTS, GRANULE_EVENTS)
        yield cluster, server, control, sqs, url, (subscriptions, subscription)
    finally:
        cluster.api("PATCH", f"/dags/{EVENTS}", {"is_paused": True})
        cluster.stop()
        server.stop()


def events_runs(cluster: AirflowCluster) -> list[dict]:
    return cluster.api("GET", f"/dags/{EVENTS}/dagRuns?limit=100&order_by=id")["dag_runs"]


def settled(cluster: AirflowCluster, before: int, timeout: float = 240) -> list[dict]:
    """The events runs started after the first `before`, once at least one started and all finished."""

    def done():
        runs = events_runs(cluster)[before:]
        return runs if runs and all(r["state"] in ("success", "failed") for r in runs) else None

    runs = cluster.wait_for(done, timeout, "the events DAG's runs", interval=1.0)
    time.sleep(3)  # a second batch of the same messages may start a run a moment later
    runs = cluster.wait_for(done, timeout, "the events DAG's runs", interval=1.0)
    assert all(r["state"] == "success" for r in runs), [(r["dag_run_id"], r["state"]) for r in runs]
    return runs


def loads(db, hour: datetime) -> list[str]:
    db.rollback()
    return [status for _, status, _, _ in ledger_rows(db, hour, "NO2")]


def test_events_load_an_hour_once_ignore_duplicates_reload_a_republication_and_the_hourly_reconciles(
    world, db
):
    cluster, server, control, sqs, url, (subscriptions, subscription) = world
    scans = scans_overlapping(HOUR, HOUR + timedelta(hours=1))

    # 1. NASA lists the hour's last granules: its slice is published with no hourly run.
    released, since = time.monotonic(), datetime.now(UTC)
    hold(control, LOST)
    runs = settled(cluster, 0)
    cluster.wait_for(lambda: "success" in loads(db, HOUR), 60, "the hour's load")
    print(f"event path: slice published {time.monotonic() - released:.1f} s after its granules were listed")
    # Written once: a second run planning the hour at the same time finds the file published (`unchanged`).
    first = loads(db, HOUR)
    assert first.count("success") == 1 and set(first) <= {"success", "unchanged"}, first
    hourly = cluster.api(
        "GET", f"/dags/{HOURLY}/dagRuns?run_after_gte={since.isoformat().replace('+00:00', 'Z')}"
    )
    assert hourly["total_entries"] == 0, hourly
    loaded_in = [ti for r in runs for ti in cluster.task_instances(EVENTS, r["dag_run_id"])
                 if ti["task_id"] == "gas.load_gas_hour" and ti["state"] == "success"]  # fmt: skip
    assert {ti["rendered_map_index"] for ti in loaded_in} == {"NO2"}
    # The AERIS view's freshness chart (and its ledger) count the event path's hour like any other.
    overview = load_overview(db, ["NO2"], HOUR + timedelta(hours=2))
    assert [p.line for p in overview.lags if p.hour == HOUR] == ["nrt"]
    assert overview.cells[("NO2", HOUR)].status in first  # the ledger's newest row: a load of it

    # 2. The same message again (SQS delivers at least once): a run that plans nothing.
    body = {"concept-id": granule_concept_id(NO2, scans[-1]), "revision-id": "1",
            "granule-ur": granule_name(NO2, scans[-1]), "producer-granule-id": granule_name(NO2, scans[-1]),
            "location": f"{server.base_url}/search/concepts/{granule_concept_id(NO2, scans[-1])}/1"}  # fmt: skip
    envelope = {"Type": "Notification", "Subject": "New Notification", "Message": json.dumps(body),
                "MessageAttributes": {"collection-concept-id": {"Type": "String", "Value": NO2},
                                      "mode": {"Type": "String", "Value": "New"}}}  # fmt: skip
    before, jobs = len(events_runs(cluster)), server.state.stats["rangeset_requests"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    [duplicate] = settled(cluster, before)
    states = {ti["task_id"]: ti["state"] for ti in cluster.task_instances(EVENTS, duplicate["dag_run_id"])}
    assert states["find_event_hours"] == "success" and states.get("gas.harmony_job") in (None, "skipped")
    assert loads(db, HOUR) == first and server.state.stats["rangeset_requests"] == jobs

    # 3. NASA republishes the hour's granules (new revisions, same names): loaded again, once.
    before = len(events_runs(cluster))
    control.republish(HOUR, 2, NO2)
    settled(cluster, before)
    assert loads(db, HOUR).count("success") == 2, loads(db, HOUR)

    # 4. An hour whose message never comes (CMR sent nothing: the subscription is gone): the hourly DAG
    #    loads it, and finds the event path's hour unchanged at once, without a Harmony job.
    subscriptions.delete(subscription)
    hold(control)
    cluster.api("PATCH", f"/dags/{HOURLY}", {"is_paused": False})
    jobs = server.state.stats["rangeset_requests"]
    for hour, expected in ((LOST, "success"), (HOUR, "skipped")):
        conf = {"hour": hour.isoformat(), "gases": ["NO2"]}
        run_id = cluster.api(
            "POST", f"/dags/{HOURLY}/dagRuns", {"logical_date": hour.isoformat(), "conf": conf}
        )["dag_run_id"]
        cluster.wait_for_run(HOURLY, run_id, timeout=240)
        states = {ti["task_id"]: ti["state"] for ti in cluster.task_instances(HOURLY, run_id)}
        assert states["gas.harmony_job"] == expected, states
    cluster.api("PATCH", f"/dags/{HOURLY}", {"is_paused": True})
    assert loads(db, LOST) == ["success"]
    assert loads(db, HOUR)[-1] == "unchanged"
    assert server.state.stats["rangeset_requests"] == jobs + 1  # LOST's job only
