"""Real Airflow components as separate processes (api-server, scheduler, dag-processor, triggerer, and
Celery workers when asked), sharing the local stack's metadata DB, driven through the REST API."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.support.dag_runs import SMALL_BBOX
from tests.support.db import airflow_db_url

POLICY_DIR = Path(__file__).with_name("cluster_policy")
AIRFLOW = str(Path(shutil.which("airflow") or Path(sys.executable).with_name("airflow")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """IPv4 addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add("::" if set(address) == {"0"} else address)
    return found


@dataclass
class AirflowCluster:
    workdir: Path
    executor: str = "LocalExecutor"
    celery_workers: int = 0
    # Celery queues per worker (worker n takes worker_queues[n - 1]); default: Airflow's default queue.
    worker_queues: list[str] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    api_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self, **extra: str) -> dict[str, str]:
        west, south, east, north = (str(v) for v in SMALL_BBOX)
        return {
            **os.environ,
            # The test clusters' cluster policy (airflow_local_settings.py) before the project's paths.
            "PYTHONPATH": os.pathsep.join([str(POLICY_DIR), os.environ.get("PYTHONPATH", "")]),
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "5",
            # The DAG files do not change during a test: parse them at start, not every 30 s again
            # (CPU the other test worker needs).
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            # Only the runs a test starts (REST trigger, backfill): unpausing the DAG would otherwise
            # schedule the current hour, which waits for TEMPO in the triggerer until the cluster stops.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # The scheduler's idle sleep stays at Airflow's 1 s: at 0.25 s its loop (trigger rules of
            # every running TI, 4 times a second) took ~40 s more CPU per cluster test and made the
            # tests slower, not faster (measured: 190 → 148 s CPU, 128 → 111 s).
            "AIRFLOW__CELERY__BROKER_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/5",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + airflow_db_url(),
            # Small region, and CMR asked every 2 s while an hour is not yet published.
            "TEMPO_BBOX_WEST": west,
            "TEMPO_BBOX_SOUTH": south,
            "TEMPO_BBOX_EAST": east,
            "TEMPO_BBOX_NORTH": north,
            "AERIS_PUBLICATION_POLL_SECONDS": "2",
            # The test hours are from 2024: a deadline far ahead lets them be "published late".
            "AERIS_PUBLICATION_DEADLINE_MINUTES": "10000000",
            "AERIS_RETRY_DELAY_SECONDS": "1",
            **self.extra_env,
            **extra,
        }

    def _spawn(self, name: str, args: list[str], cwd: Path, **extra: str) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            [AIRFLOW, *args],
            cwd=cwd,
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> AirflowCluster:
        for component in ("api-server", "scheduler", "dag-processor", "triggerer"):
            self._spawn(component, [component], self.workdir / component)
        for n in range(1, self.celery_workers + 1):
            # Separate working and temp directories: a task must not rely on another task's disk.
            home = self.workdir / f"worker{n}"
            (home / "tmp").mkdir(parents=True, exist_ok=True)
            self._spawn(
                f"worker{n}",
                [
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"aeris-worker{n}@%h",
                    "--concurrency",
                    "4",
                    *(["--queues", self.worker_queues[n - 1]] if self.worker_queues else []),
                ],
                home,
                TMPDIR=str(home / "tmp"),
            )
        self.wait_for(self._healthy, 180, "the api-server to answer")
        return self

    def _healthy(self) -> bool:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise AssertionError(f"airflow {name} exited: {self.log_tail(name)}")
        try:
            with urllib.request.urlopen(f"{self.base_url}/api/v2/monitor/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def log_tail(self, name: str, lines: int = 40) -> str:
        text = (self.workdir / f"{name}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_s: float = 2.0) -> None:
        """SIGTERM to every component at once, then SIGKILL what is left after `grace_s`: the test has
        asserted what it needed, and a Celery warm shutdown alone can take several seconds."""
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    # ------------------------------------------------------------------ REST API
    def _token_now(self) -> str:
        if self._token is None:
            body = {"username": "admin", "password": os.environ.get("AIRFLOW_ADMIN_PASSWORD", "admin")}
            self._token = self._request("POST", "/auth/token", body, auth=False)["access_token"]
        return self._token

    def renew_login(self) -> None:
        """The next request logs in again (a token expires by the api-server's clock)."""
        self._token = None

    def _request(self, method: str, path: str, body: object = None, *, auth: bool = True, raw: bool = False):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._token_now()}"
        request = urllib.request.Request(
            self.base_url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code}: {error.read()[:500]!r}") from None
        return data.decode() if raw else json.loads(data or b"null")

    def fetch(self, url: str, *, auth: bool = True) -> tuple[int, str, bytes]:
        """(status, content type, body) of a GET of any URL of this api-server (e.g. an extra link)."""
        headers = {"Authorization": f"Bearer {self._token_now()}"} if auth else {}
        request = urllib.request.Request(url if "://" in url else self.base_url + url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()

    def api(self, method: str, path: str, body: object = None, **kwargs):
        return self._request(method, "/api/v2" + path, body, **kwargs)

    @staticmethod
    def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

    def wait_for_run(
        self, dag_id: str, run_id: str, timeout: float = 300, seen: dict[str, set[str]] | None = None
    ) -> dict:
        """Waits for the run to finish; `seen` collects every state each task instance was seen in."""

        def finished():
            if seen is not None:
                for ti in self.task_instances(dag_id, run_id):
                    name = f"{ti['task_id']}[{ti.get('rendered_map_index') or ti['map_index']}]"
                    seen.setdefault(name, set()).add(ti["state"])
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            return run if run["state"] in ("success", "failed") else None

        return self.wait_for(finished, timeout, f"run {run_id} to finish", interval=1.0)

    def dag_parsed(self, dag_id: str) -> bool:
        """Whether the dag-processor has parsed the DAG (the API knows it)."""
        try:
            return self.api("GET", f"/dags/{dag_id}")["dag_id"] == dag_id
        except AssertionError:
            return False

    def watch_events(self, dag_id: str, asset_name: str) -> None:
        """Unpause the event-driven `dag_id` and wait until the triggerer watches its queue. Runs and
        events of `asset_name` an earlier session left (its emulator and queue gone) are removed first:
        they would otherwise start or feed this session's runs."""
        for run in self.api("GET", f"/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]:
            self.delete_run(dag_id, run)
        with psycopg.connect(airflow_db_url()) as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM asset WHERE name = %s", (asset_name,))
            for (asset_id,) in cur.fetchall():
                cur.execute("DELETE FROM asset_dag_run_queue WHERE asset_id = %s", (asset_id,))
                cur.execute("DELETE FROM asset_event WHERE asset_id = %s", (asset_id,))
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        # A watcher runs for an unpaused DAG from its next parse on: ask for that parse now, as the UI's
        # "Reparse DAG" does (else up to min_file_process_interval later).
        token = self.api("GET", f"/dags/{dag_id}/details")["file_token"]
        self.api("PUT", f"/parseDagFile/{token}", raw=True)
        self.wait_for(
            lambda: "SQS sensor trigger" in self.log_tail("triggerer", 400), 90, "the queue's watcher"
        )

    def cancel_backfills(self, dag_id: str) -> None:
        """Airflow runs one backfill per DAG at a time: cancel any left unfinished (a run stopped halfway)."""
        for backfill in self.api("GET", f"/backfills?dag_id={dag_id}&limit=20&order_by=-id")["backfills"]:
            if not backfill.get("completed_at"):
                self.api("PUT", f"/backfills/{backfill['id']}/cancel")

    def delete_queued_runs(self, dag_id: str) -> None:
        """Removes runs left queued by earlier sessions, so only this test's runs compete for slots."""
        runs = self.api("GET", f"/dags/{dag_id}/dagRuns?state=queued&limit=100")["dag_runs"]
        for run in runs:
            self.api("DELETE", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}", raw=True)

    def delete_runs(self, dag_id: str, logical_dates: list[str]) -> None:
        """Removes earlier runs at these logical dates, so a trigger or backfill creates fresh ones."""
        runs = self.api("GET", f"/dags/{dag_id}/dagRuns?limit=100&order_by=-id")["dag_runs"]
        for run in runs:
            if run["logical_date"] and run["logical_date"].replace("Z", "+00:00") in logical_dates:
                self.delete_run(dag_id, run)

    def delete_run(self, dag_id: str, run: dict) -> None:
        """Removes a run; one left running by a stopped cluster is marked failed first (a running run
        cannot be deleted)."""
        if run["state"] not in ("success", "failed", "queued"):
            self.api("PATCH", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}", {"state": "failed"})
        self.api("DELETE", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}", raw=True)

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int = 1) -> str:
        path = (
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}?map_index={map_index}"
        )
        return "\n".join(str(line.get("event", "")) for line in self.api("GET", path)["content"])

    def airflow_cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [AIRFLOW, *args], env=self.env(), capture_output=True, text=True, timeout=300, check=False
        )

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
