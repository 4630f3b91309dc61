"""Runs `dag.test()` for one logical date in a fresh interpreter and prints the outcome as JSON.

Used by the end-to-end tests: a child process keeps Airflow's settings and logging set-up out of the
pytest process, exactly as `airflow dags test` would.
    python dag_test_runner.py DAG_ID LOGICAL_DATE [RUN_CONF_JSON]
"""

from __future__ import annotations

import json
import sys
from datetime import datetime


def main() -> None:
    dag_id, logical_date = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    run_conf = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.session import create_session

    dag = DagBag().get_dag(dag_id)
    run = dag.test(logical_date=logical_date, run_conf=run_conf)
    with create_session() as session:
        tis = {
            f"{ti.task_id}[{ti.rendered_map_index or ti.map_index}]" if ti.map_index >= 0 else ti.task_id: {
                "state": ti.state,
                "try_number": ti.try_number,
                "next_method": ti.next_method,
            }
            for ti in run.get_task_instances(session=session)
        }
    print("DAG_TEST_RESULT " + json.dumps({"state": run.state, "run_id": run.run_id, "tis": tis}))


if __name__ == "__main__":
    main()
