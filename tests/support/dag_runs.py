"""`dag.test()` runs for the end-to-end and operations tests, served by one child process per session
(dag_test_runner.py), with the StatsD lines each run sent collected on a real UDP socket."""

from __future__ import annotations

import atexit
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.dag_test_runner import RESULT_PREFIX

DAG_ID = "aeris_tempo_hourly"
# A 2° × 2° box (100 × 100 native cells per gas) keeps a five-gas run to seconds.
SMALL_BBOX = [-100.0, 35.0, -98.0, 37.0]
RUNNER = Path(__file__).with_name("dag_test_runner.py")
RUN_TIMEOUT_S = 600


class StatsdListener:
    """A real UDP socket collecting the StatsD lines Airflow sends (`env` points its metrics at it)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._listener = threading.Thread(target=self._listen, daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self.lines.extend(self.sock.recv(65535).decode().splitlines())
            except TimeoutError:
                continue

    @property
    def env(self) -> dict[str, str]:
        return {
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(self.sock.getsockname()[1]),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        }

    def settle(self, quiet_s: float = 0.3) -> None:
        """Wait until no datagram arrived for `quiet_s`: the run's last ones may still be in flight."""
        seen = -1
        while seen != len(self.lines):
            seen = len(self.lines)
            time.sleep(quiet_s)

    def close(self) -> None:
        # The listener must leave recv() before the socket goes, or it reads a closed descriptor.
        self._stop.set()
        self._listener.join(timeout=2)
        self.sock.close()


class DagTestServer:
    """The child process serving dag.test() runs; its output is read on a thread so it never blocks."""

    def __init__(self):
        self.statsd = StatsdListener()
        env = {**os.environ, "AERIS_RETRY_DELAY_SECONDS": "1", **self.statsd.env}
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.output: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.put(line.rstrip("\n"))
        self.output.put(None)  # the child exited

    def run(self, dag_id: str, logical_date: str, conf: dict, env: dict[str, str]) -> dict:
        # Connections (AIRFLOW_CONN_*) are looked up at use; every other Airflow setting is read at start.
        if any(name.startswith("AIRFLOW") and not name.startswith("AIRFLOW_CONN_") for name in env):
            raise ValueError(
                "Airflow settings are read once per interpreter; set them for the server instead"
            )
        first_metric = len(self.statsd.lines)
        request = {"dag_id": dag_id, "logical_date": logical_date, "conf": conf, "env": env}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        log: list[str] = []
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            try:
                if time.monotonic() > deadline:  # a run that logs on and on must time out too
                    raise queue.Empty
                line = self.output.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"dag.test() of {dag_id} gave no result in {RUN_TIMEOUT_S} s:\n" + _tail(log)
                ) from None
            if line is None:
                raise AssertionError(f"the dag.test() server exited ({self.proc.wait()}):\n" + _tail(log))
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line.removeprefix(RESULT_PREFIX))
                break
            log.append(line)
        if "error" in result:
            raise AssertionError(f"dag.test() of {dag_id} raised:\n{result['error']}\n" + _tail(log))
        result["log"] = log
        self.statsd.settle()
        result["metrics"] = {line.split(":", 1)[0] for line in self.statsd.lines[first_metric:]}
        return result

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.statsd.close()


def _tail(lines: list[str], chars: int = 4000) -> str:
    return "\n".join(lines)[-chars:]


_server: DagTestServer | None = None


def dag_test_server() -> DagTestServer:
    """The session's server, started on first use (tests/conftest.py starts it early, to warm up)."""
    global _server
    if _server is None or _server.proc.poll() is not None:
        _server = DagTestServer()
        atexit.register(_server.stop)
    return _server


def run_dag(logical_date: str, conf: dict | None = None, dag_id: str = DAG_ID, **env: str) -> dict:
    """`dag.test()` of one logical date; returns {"state", "run_id", "tis": {name: {"state", ...}},
    "log": [lines], "metrics": {StatsD names sent during the run}}. `env` applies to this run only."""
    return dag_test_server().run(dag_id, logical_date, conf or {}, env)


def ti_states(result: dict, task_id: str) -> dict[str, str]:
    """{gas: state} of a mapped task, e.g. ti_states(result, "gas.load_gas_hour")."""
    prefix = task_id + "["
    return {
        name[len(prefix) : -1]: ti["state"] for name, ti in result["tis"].items() if name.startswith(prefix)
    }
