"""Serves `dag.test()` runs to the end-to-end tests from one long-lived interpreter.

A child process keeps Airflow's settings and logging set-up out of the pytest process, exactly as
`airflow dags test` would. One child serves the whole session because importing Airflow, filling the
DagBag and starting dag.test()'s in-process execution API cost ~10 s, which a child per run paid again
for every run. Each run parses the DAG again under its own environment.

Protocol: one JSON request per line on stdin, {"dag_id", "logical_date", "conf", "env"}; after Airflow's
own log lines the answer is one stdout line "DAG_TEST_RESULT {...}" with the run's state, run id and
task instances, or {"error": traceback} when dag.test() itself raised. `env` is set for that run only:
it may change what the project's code reads at run time (AERIS_GASES, AERIS_CIRCUIT_BREAKER_FAILURES),
not Airflow's own settings, which an interpreter reads once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from datetime import datetime

RESULT_PREFIX = "DAG_TEST_RESULT "


@contextlib.contextmanager
def environment(overrides: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_once(request: dict) -> dict:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.session import create_session

    with environment(request.get("env") or {}):
        # Parsed again under the run's environment: params' defaults read it (AERIS_GASES), as the
        # dag-processor would. Less than a second; the interpreter and the execution API stay warm.
        dag = DagBag().get_dag(request["dag_id"])
        run = dag.test(
            logical_date=datetime.fromisoformat(request["logical_date"]), run_conf=request.get("conf")
        )
    with create_session() as session:
        tis = {
            f"{ti.task_id}[{ti.rendered_map_index or ti.map_index}]" if ti.map_index >= 0 else ti.task_id: {
                "state": ti.state,
                "try_number": ti.try_number,
                "next_method": ti.next_method,
            }
            for ti in run.get_task_instances(session=session)
        }
    return {"state": run.state, "run_id": run.run_id, "tis": tis}


def warm_up() -> None:
    """Pay the first run's one-off costs now, while the tests that start this server early run: the
    project's modules (a DAG parse imports them) and dag.test()'s in-process execution API, built and
    started by one request (~8 s together)."""
    import httpx
    from airflow.dag_processing.dagbag import DagBag

    DagBag()
    try:
        from airflow.sdk.execution_time.supervisor import in_process_api_server
    except ImportError:  # moved in another Airflow version: the first run pays for it instead
        return
    with httpx.Client(transport=in_process_api_server().transport, base_url="http://in-process") as client:
        client.get("/health").raise_for_status()


def main() -> None:
    try:
        warm_up()
    except Exception as error:  # only a head start: the first run pays instead
        print(f"dag.test() server warm-up skipped: {error!r}", file=sys.stderr, flush=True)
    for line in sys.stdin:
        try:
            result = run_once(json.loads(line))
        except Exception:
            result = {"error": traceback.format_exc()}
        # A newline first: the answer must start a line even if a log line was left unterminated.
        sys.stdout.write("\n" + RESULT_PREFIX + json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
