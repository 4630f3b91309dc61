"""Scheduler-level acceptance: the real Airflow components as separate processes, driven like a user
drives them (REST API, `airflow backfill create`), on the local stack and the Harmony emulator."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.browser import logged_in_page
from tests.support.cluster import AirflowCluster, listening_addresses
from tests.support.cluster_policy.airflow_local_settings import CELERY_RUN_PREFIX
from tests.support.dag_runs import DAG_ID
from tests.support.db import forget_hours, ledger_rows, slice_snapshot

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GASES = ["NO2", "O3"]  # PM is left out: Harmony rejects its unverified catalog entry by design


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One cluster for both tests: LocalExecutor (the default) and CeleryExecutor side by side, with
    two Celery workers. A run whose id starts with CELERY_RUN_PREFIX goes to Celery (the test
    clusters' cluster policy); every other run, backfills included, to LocalExecutor. Worker 1 takes
    the staging tasks, worker 2 the loads (AERIS_STAGE_QUEUE / AERIS_LOAD_QUEUE): on Celery each gas's
    raster must travel from one worker to the other through S3, not a local file. One start instead
    of two saves ~30 s of CPU that the other test worker needs."""
    cluster = AirflowCluster(
        tmp_path_factory.mktemp("cluster"), executor="LocalExecutor,CeleryExecutor", celery_workers=2,
        worker_queues=["default,stage", "default,load"],
        extra_env={"AERIS_STAGE_QUEUE": "stage", "AERIS_LOAD_QUEUE": "load", "AERIS_STAGING": "s3"},
    ).start()  # fmt: skip
    try:
        cluster.wait_for(lambda: cluster.dag_parsed(DAG_ID), 120, "the dag-processor to parse the DAG")
        cluster.delete_queued_runs(DAG_ID)
        cluster.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
        yield cluster
        cluster.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": True})
    finally:
        cluster.stop()


def _emulator_tokens(emulator) -> list[str]:
    """Every Earthdata token the emulator issued (its EDL token list, with the emulator's user)."""
    auth = base64.b64encode(f"{EMULATOR_USER}:{EMULATOR_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{emulator.base_url}/api/users/tokens", headers={"Authorization": f"Basic {auth}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        tokens = [item["access_token"] for item in json.loads(response.read())]
    assert tokens, "the run must have used a token"
    return tokens


def _trigger(cluster: AirflowCluster, logical_date: str, conf: dict, run_id: str | None = None) -> str:
    cluster.delete_runs(DAG_ID, [logical_date])
    body = {"logical_date": logical_date, "conf": conf, **({"dag_run_id": run_id} if run_id else {})}
    return cluster.api("POST", f"/dags/{DAG_ID}/dagRuns", body)["dag_run_id"]


def _executors(cluster: AirflowCluster, run_id: str) -> set[str]:
    """The executors the run's task instances went to (None: the default, LocalExecutor)."""
    return {ti["executor"] or "LocalExecutor" for ti in cluster.task_instances(DAG_ID, run_id)}


def _every_mapped_instance_shows_its_gas(cluster: AirflowCluster, run_id: str, waiting: str) -> None:
    """While a sensor waits in the triggerer, every mapped instance of the run the scheduler has made,
    those not yet run included, is listed by the REST API with its gas, not its number."""
    mapped = [ti for ti in cluster.task_instances(DAG_ID, run_id) if ti["map_index"] >= 0]
    labels = {(ti["task_id"], ti["map_index"]): ti["rendered_map_index"] for ti in mapped}
    assert {(waiting, index) for index in range(len(GASES))} <= set(labels), labels
    assert all(label == GASES[index] for (_, index), label in labels.items()), labels


def _wait_until_deferred(cluster: AirflowCluster, run_id: str, task_id: str, seen: dict) -> None:
    """Until every mapped instance of `task_id` is deferred (the run cannot get past it before)."""

    def deferred():
        states = [ti["state"] for ti in cluster.task_instances(DAG_ID, run_id) if ti["task_id"] == task_id]
        seen.setdefault(task_id, set()).update(states)
        return len(states) == len(GASES) and all(state == "deferred" for state in states)

    # Once a second: the emulator holds the wait until the test has seen it, and each listing costs the
    # api-server ~0.1 s of CPU.
    cluster.wait_for(deferred, 180, f"{task_id} deferred in the triggerer", interval=1.0)


def test_local_executor_trigger_logs_clear_and_backfill(cluster, emulator, db):
    # The local UI (admin/admin) answers on this machine only.
    assert listening_addresses(cluster.api_port) == {"127.0.0.1"}
    # TEMPO has not published the hour, and Harmony's jobs would run for an hour: each sensor must be
    # seen deferred (waiting in the triggerer) before the test lets its wait end.
    emulator.faults([{"fault": "slow_job", "seconds": 3600}])
    hour = datetime(2024, 9, 3, 16, tzinfo=UTC)
    forget_hours(db, [hour])
    emulator.hold(hour, available_in_s=None)
    run_id = _trigger(cluster, "2024-09-03T17:00:00+00:00", {"gases": GASES})
    seen: dict[str, set[str]] = {}
    # harmony_job waits in the triggerer twice: for CMR to list the hour, then for its Harmony job.
    _wait_until_deferred(cluster, run_id, "gas.harmony_job", seen)
    _every_mapped_instance_shows_its_gas(cluster, run_id, "gas.harmony_job")
    _the_aeris_view_shows_what_each_hour_waits_for(cluster, hour)
    submitted = emulator.stats()["rangeset_requests"]
    emulator.release()
    # Each gas's job (NO2's, O3's) submitted after the release, and every instance deferred again.
    cluster.wait_for(lambda: emulator.stats()["rangeset_requests"] >= submitted + len(GASES), 180,
                     "a Harmony job per gas after CMR listed the hour", interval=1.0)  # fmt: skip
    _wait_until_deferred(cluster, run_id, "gas.harmony_job", seen)
    assert emulator.finish_jobs() >= 1
    run = cluster.wait_for_run(DAG_ID, run_id, timeout=300, seen=seen)
    emulator.faults([])
    assert run["state"] == "success", seen
    assert _executors(cluster, run_id) == {"LocalExecutor"}

    before, first_hour = slice_snapshot(db, hour), hour
    assert set(before) == set(GASES)
    _the_aeris_view_shows_the_run(cluster, hour)
    _extra_links_lead_to_the_audit_objects(cluster, run_id, hour)

    log = cluster.task_log(DAG_ID, run_id, "gas.load_gas_hour", map_index=0)
    job_url = re.search(r"from Harmony job (http\S+/jobs/[0-9a-f-]+)", log)
    rows = re.search(r"([\d,]+) rows (?:checked and published|kept)", log)
    assert job_url and rows, log[-2000:]
    assert int(rows.group(1).replace(",", "")) == before["NO2"][0]
    # README: no token, password or pre-signed signature in task logs, read as a user reads them.
    logs = log + "".join(
        cluster.task_log(DAG_ID, run_id, task, map_index=0)
        for task in ("gas.harmony_job", "gas.stage_geotiff")
    )
    assert "granule 1/" in logs and "bytes from" in logs  # the downloads are logged...
    for secret in [*_emulator_tokens(emulator), EMULATOR_PASSWORD, "X-Amz-Signature", "X-Amz-Credential"]:
        assert secret not in logs  # ...without a token, password or signature

    # Clear NO2's load in the UI's way: it reruns (try 2) and leaves the same rows.
    cluster.api(
        "POST",
        f"/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": [["gas.load_gas_hour", 0]],
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    cluster.wait_for(
        lambda: (
            cluster.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/gas.load_gas_hour/0")[
                "try_number"
            ]
            == 2
        ),
        60,
        "the cleared task to be queued again",
    )
    assert cluster.wait_for_run(DAG_ID, run_id)["state"] == "success"
    cleared = cluster.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/gas.load_gas_hour/0")
    assert (cleared["state"], cleared["try_number"]) == ("success", 2)
    assert slice_snapshot(db, hour) == before
    # One ledger row per attempt: the first load, and the cleared one (same file: nothing written).
    assert [status for _, status, _, _ in ledger_rows(db, hour, "NO2")] == ["success", "unchanged"]

    # Backfill two hours x two gases from the CLI (PM beside them: skipped, no product): two runs, each
    # loading its own hour; one slice per gas-hour, one ledger row per attempt of each gas.
    hours = [datetime(2024, 9, 4, h, tzinfo=UTC) for h in (14, 15)]
    cluster.delete_runs(DAG_ID, [h.isoformat() for h in hours])
    forget_hours(db, hours)
    for backfill in cluster.api("GET", f"/backfills?dag_id={DAG_ID}&limit=100")["backfills"]:
        if not backfill.get("completed_at"):  # one backfill per DAG: one left by an interrupted session
            cluster.api("PUT", f"/backfills/{backfill['id']}/cancel")
    created = cluster.airflow_cli(
        "backfill", "create", "--dag-id", DAG_ID,
        "--from-date", hours[0].isoformat(), "--to-date", hours[-1].isoformat(),
        "--dag-run-conf", json.dumps({"gases": [*GASES, "PM"]}), "--max-active-runs", "2",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr[-2000:]

    def backfill_runs():
        runs = cluster.api("GET", f"/dags/{DAG_ID}/dagRuns?run_type=backfill&limit=100")["dag_runs"]
        return [
            r
            for r in runs
            if r["data_interval_start"].replace("Z", "+00:00") in {h.isoformat() for h in hours}
        ]

    cluster.wait_for(
        lambda: len(runs := backfill_runs()) == 2 and all(r["state"] in ("success", "failed") for r in runs),
        420,
        "two backfill runs to finish",
        interval=1.0,
    )
    runs = backfill_runs()
    assert sorted(r["state"] for r in runs) == ["success"] * 2, runs
    assert set().union(*(_executors(cluster, r["dag_run_id"]) for r in runs)) == {"LocalExecutor"}
    for run in runs:
        hour = datetime.fromisoformat(run["data_interval_start"].replace("Z", "+00:00"))
        with db.cursor() as cur:
            cur.execute(
                "SELECT gas_type, count(*) FROM obs_partition WHERE obs_time = %s GROUP BY gas_type", (hour,)
            )
            assert dict(cur.fetchall()) == dict.fromkeys(GASES, 1), hour  # one slice per gas-hour
            cur.execute(
                "SELECT gas_type, status FROM ingest_log WHERE obs_time = %s ORDER BY gas_type, id", (hour,)
            )
            ledger = cur.fetchall()
        tries = {
            ti["rendered_map_index"]: ti["try_number"]
            for ti in cluster.task_instances(DAG_ID, run["dag_run_id"])
            if ti["task_id"] == "gas.load_gas_hour" and ti["state"] == "success"
        }
        assert tries == dict.fromkeys(GASES, 1), tries
        # One row per attempt: each gas's load ran once and wrote one row; PM's skip wrote one.
        assert ledger == sorted([*((gas, "success") for gas in GASES), ("PM", "no_product")]), hour
    # PM (no verified product) was skipped at its publication wait: its later tasks never ran, and the
    # scheduler's listener still labelled each of them with the gas (not "1").
    labels = {
        (ti["task_id"], ti["rendered_map_index"])
        for ti in cluster.task_instances(DAG_ID, runs[0]["dag_run_id"])
        if ti["task_id"].startswith("gas.")
    }
    assert ("gas.load_gas_hour", "PM") in labels and ("gas.harmony_job", "PM") in labels
    assert {label for _, label in labels} == {*GASES, "PM"}
    _the_freshness_chart_shows_every_loaded_hour(cluster, [first_hour, *hours])


def test_celery_executor_two_workers_full_run(cluster, emulator, db):
    hour = datetime(2024, 9, 5, 16, tzinfo=UTC)
    # Two gases: each Celery task starts a task process of its own (~4 s of CPU), and two show the
    # routing as well as four did (every gas's stage on worker 1, its load on worker 2).
    gases = ["NO2", "O3"]
    forget_hours(db, [hour])
    run_id = _trigger(
        cluster, "2024-09-05T17:00:00+00:00", {"gases": gases}, CELERY_RUN_PREFIX + hour.isoformat()
    )
    run = cluster.wait_for_run(DAG_ID, run_id, timeout=420)
    assert run["state"] == "success", cluster.task_instances(DAG_ID, run_id)
    assert _executors(cluster, run_id) == {"CeleryExecutor"}
    assert set(slice_snapshot(db, hour)) == set(gases)
    # Every gas was staged on worker 1 and loaded on worker 2, each with its own temp directory; only
    # this run reached a Celery worker (the LocalExecutor test's runs did not).
    ran = [_workloads(cluster.log_tail(f"worker{n}", 400000)) for n in (1, 2)]
    assert {ran_in for ran_in, _, _ in ran[0] | ran[1]} == {run_id}
    on_worker1 = {(task, index) for _, task, index in ran[0]}
    on_worker2 = {(task, index) for _, task, index in ran[1]}
    for index in range(len(gases)):
        assert ("gas.stage_geotiff", index) in on_worker1 - on_worker2, index
        assert ("gas.load_gas_hour", index) in on_worker2 - on_worker1, index


def _workloads(worker_log: str) -> set[tuple[str, str, int]]:
    """(run id, task id, map index) of every workload a Celery worker executed, from its log paths."""
    found = re.findall(
        r"log_path='dag_id=[^/]+/run_id=([^/]+)/task_id=([^/]+)/(?:map_index=(\d+)/)?", worker_log
    )
    return {(run, task, int(index or -1)) for run, task, index in found}


ARTIFACTS = Path(__file__).resolve().parents[2] / ".aeris" / "test-artifacts"


@contextmanager
def _aeris_browser(cluster: AirflowCluster):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with logged_in_page(cluster.base_url) as page:
        yield page


def _the_aeris_view_shows_what_each_hour_waits_for(cluster: AirflowCluster, hour: datetime) -> None:
    """While the hour is held and its sensors wait in the triggerer: "Waiting now" lists each gas's
    hour with what is missing and its deadline, linked to its task instance."""
    with _aeris_browser(cluster) as page:
        page.goto(f"{cluster.base_url}/aeris/")
        for index, gas in enumerate(GASES):
            line = page.locator(f"#waiting li[data-gas='{gas}'][data-hour='{hour:%Y-%m-%dT%H}']")
            text = line.inner_text()
            assert f"missing {hour:%H}:00-{hour + timedelta(hours=1):%H}:00 UTC (60 min)" in text, text
            assert re.search(r"deadline \d{4}-\d\d-\d\d \d\d:\d\d UTC", text) and "next check" in text, text
            href = line.locator("a").get_attribute("href")
            assert href.endswith(f"/tasks/gas.harmony_job/mapped/{index}"), href
        page.locator("#waiting").screenshot(path=str(ARTIFACTS / "aeris_waiting.png"))


def _the_aeris_view_shows_the_run(cluster: AirflowCluster, hour: datetime) -> None:
    """The AERIS view in a real browser: behind Airflow's login, in the UI's navigation, showing this
    run's ledger cells, a map, where each hour came from and the freshness chart; screenshots kept."""
    status, _, body = cluster.fetch("/aeris/", auth=False)
    assert status == 401, body[:200]  # the same login as the rest of the UI
    until = (hour.replace(tzinfo=None) + timedelta(hours=1)).isoformat()
    with _aeris_browser(cluster) as page:
        page.goto(cluster.base_url + "/plugin/aeris")  # the "AERIS" entry of the UI's navigation
        frame = page.frame_locator("iframe").first
        frame.locator("h1").wait_for(timeout=30_000)
        assert "AERIS" in frame.locator("h1").inner_text()
        page.screenshot(path=str(ARTIFACTS / "aeris_view_in_airflow.png"))

        page.goto(f"{cluster.base_url}/aeris/?until={until}")
        row = page.locator(f"tr[data-hour='{hour:%Y-%m-%dT%H}']")
        for gas in GASES:
            assert row.locator(f"td[data-gas='{gas}'] .cell").inner_text() == "loaded", gas
        # Under the outcome, the product the hour came from: NO2's near-real-time V02 here.
        assert row.locator("td[data-gas='NO2'] .product").inner_text() == "V02 NRT"
        image = page.locator("img[alt='NO2 map']")
        image.wait_for()
        src = image.get_attribute("src")
        status, media_type, png = cluster.fetch(f"/aeris/{src}")
        assert (status, media_type) == (200, "image/png"), (src, status, png[:300])
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") > 100
        # Where the hour came from: product, line, granules, request shape, bytes moved.
        source = page.locator(f"#provenance tr[data-gas='NO2'][data-hour='{hour:%Y-%m-%dT%H}']").inner_text()
        assert "TEMPO_NO2_L3_NRT V02" in source and "nrt" in source and "MB" in source, source
        page.screenshot(path=str(ARTIFACTS / "aeris_view.png"), full_page=True)


def _the_freshness_chart_shows_every_loaded_hour(cluster: AirflowCluster, hours: list[datetime]) -> None:
    """After several hours were loaded: the week's chart has a point per gas-hour, NO2 near real time
    (triangles) apart from O3 standard (dots), with daily median lines, and each gas's current lag."""
    until = (max(hours).replace(tzinfo=None) + timedelta(hours=1)).isoformat()
    with _aeris_browser(cluster) as page:
        page.goto(f"{cluster.base_url}/aeris/?until={until}")
        chart = page.locator("svg#freshness")
        for gas in GASES:
            assert chart.locator(f".point[data-gas='{gas}']").count() >= len(hours), gas
            assert chart.locator(f"polyline.median[data-gas='{gas}']").count() >= 1, gas
        assert chart.locator(".point.nrt[data-gas='NO2']").count() >= 1  # triangles
        assert chart.locator(".point.standard[data-gas='O3']").count() >= len(hours)  # dots
        assert all(gas in page.locator("#lag").inner_text() for gas in GASES)
        chart.screenshot(path=str(ARTIFACTS / "aeris_freshness.png"))


def _extra_links_lead_to_the_audit_objects(cluster: AirflowCluster, run_id: str, hour: datetime) -> None:
    """The per-gas tasks' extra links open the hour's COG, PNG map and STAC item (through the
    api-server, behind the login; no credential in the link)."""
    from aeris.hooks import staging

    links = cluster.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/gas.load_gas_hour/links?map_index=0"
    )
    expected = {"Audit COG": (".tif", "image/tiff"), "PNG map": (".png", "image/png"),
                "STAC item": (".json", "application/geo+json")}  # fmt: skip
    for name, (suffix, media_type) in expected.items():
        url = links["extra_links"][name]
        key = staging.audit_key("NO2", hour, suffix)
        assert url and url.endswith(f"/aeris/audit/{key}"), (name, url)
        assert "Signature" not in url and "token" not in url.lower()
        status, content_type, body = cluster.fetch(url)
        assert (status, content_type) == (200, media_type), (name, status, body[:200])
        assert body == staging.store().read_bytes(key), name
        assert cluster.fetch(url, auth=False)[0] == 401
    harmony = cluster.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/gas.harmony_job/links?map_index=0"
    )
    assert "/jobs/" in harmony["extra_links"]["Harmony job"]
    # Tasks without an audit object show no audit link.
    plan = cluster.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/plan/links")
    assert not any(plan["extra_links"].get(name) for name in expected)
