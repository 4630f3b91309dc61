"""Every file in dags/ parses with no services and no secrets, and every DAG carries the operational
defaults users rely on (tags, owner, retries >= 2). One test id per DAG file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))

# Runs in a clean interpreter whose environment holds no connection, token or service URL, so a DAG
# that touches the network, a database or a secret at parse time fails here. One interpreter parses
# each file on its own DagBag (an Airflow start-up per file cost ~2.5 s each).
_CHECK = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
results = {}
for path in sys.argv[1:]:
    bag = DagBag(dag_folder=path)
    results[path] = {
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "dags": {d.dag_id: {"tags": sorted(d.tags), "owners": [t.owner for t in d.tasks],
                            "retries": [t.retries for t in d.tasks],
                            "max_active_runs": d.max_active_runs,
                            "pools": {t.task_id: t.pool for t in d.tasks},
                            "waits_for_cmr": sorted(t.task_id for t in d.tasks
                                                    if getattr(t, "wait_for_publication", False)),
                            "retry_delays": sorted({(t.retry_delay.total_seconds(), bool(t.retry_exponential_backoff),
                                                     (t.max_retry_delay.total_seconds() if t.max_retry_delay else None))
                                                    for t in d.tasks}),
                            "upstream": {t.task_id: sorted(t.get_flat_relative_ids(upstream=True))
                                         for t in d.tasks}} for d in bag.dags.values()},
    }
print(json.dumps(results))
"""


def _clean_env(tmp_path: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "PYTHONPATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path}/unused.db",
        # Any network or DB access during parsing would need these; pointing them nowhere makes it fail.
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
    )
    return env


def test_dags_folder_is_not_empty():
    assert DAG_FILES, f"no DAG files found in {DAGS_DIR}"


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict[str, dict]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHECK, *map(str, DAG_FILES)],
        env=_clean_env(tmp_path_factory.mktemp("airflow_home")),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_dag_file_parses_with_operational_defaults(dag_file: Path, parsed: dict[str, dict]):
    result = parsed[str(dag_file)]
    assert result["errors"] == {}, result["errors"]
    assert result["dags"], f"{dag_file.name} defines no DAG"
    for dag_id, dag in result["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert all(owner and owner != "airflow" for owner in dag["owners"]), f"{dag_id}: set an owner"
        assert min(dag["retries"]) >= 2, f"{dag_id}: every task needs retries >= 2"


def test_no_harmony_call_for_a_gas_before_its_publication_wait(parsed: dict[str, dict]):
    """The hourly DAG's `harmony_job` waits for CMR to list the hour before it asks Harmony, and every
    other per-gas task (the load, which also archives) comes after it: nothing asks Harmony or reads a granule
    before CMR lists the hour. The reprocess DAG's hours are listed already: it does not wait."""
    hourly = _hourly(parsed)
    upstream = hourly["upstream"]
    assert hourly["waits_for_cmr"] == ["gas.harmony_job"]
    gas_tasks = [t for t in upstream if t.startswith("gas.") and t != "gas.harmony_job"]
    assert "gas.load_gas_hour" in gas_tasks
    for task_id in gas_tasks:
        assert "gas.harmony_job" in upstream[task_id], f"{task_id} can start before the wait"
    assert upstream["gas.harmony_job"] == ["plan"]
    assert upstream["plan"] == []  # plan migrates the schema first: nothing reads it before
    reprocess = next(
        r["dags"]["aeris_tempo_reprocess"] for r in parsed.values() if "aeris_tempo_reprocess" in r["dags"]
    )
    assert reprocess["waits_for_cmr"] == []


def _hourly(parsed: dict[str, dict]) -> dict:
    return next(r["dags"]["aeris_tempo_hourly"] for r in parsed.values() if "aeris_tempo_hourly" in r["dags"])


def test_max_active_runs_outlasts_the_publication_deadline(parsed: dict[str, dict]):
    """README: deadline in hours + 2 (5 at the default 180 min), so waiting hours never hold back the next."""
    assert _hourly(parsed)["max_active_runs"] == 5


def test_retries_back_off_exponentially_from_120_s_to_at_most_20_min(parsed: dict[str, dict]):
    """README: retries start 120 s apart (AERIS_RETRY_DELAY_SECONDS), double per try, at most 20 min."""
    assert _hourly(parsed)["retry_delays"] == [[120.0, True, 1200.0]]


def test_granule_reads_and_harmony_calls_take_their_pools(parsed: dict[str, dict]):
    """The task that reads granules at the DAAC (load_gas_hour, which stages in its own process on one
    queue; stage_geotiff when it runs apart) takes the daac_reads pool, which caps how many read at once
    (ASDC throttles bursts); harmony_job takes harmony_api."""
    for result in parsed.values():
        for dag_id, dag in result["dags"].items():
            for task_id, pool in dag["pools"].items():
                if task_id.endswith(("stage_geotiff", "load_gas_hour")):
                    assert pool == "daac_reads", (dag_id, task_id)
                if task_id.endswith("harmony_job"):
                    assert pool == "harmony_api", (dag_id, task_id)
    assert _hourly(parsed)["pools"]["gas.load_gas_hour"] == "daac_reads"


def test_the_aeris_viewer_role_names_every_dag(parsed: dict[str, dict]):
    from aeris.ui.viewer_role import AERIS_DAGS

    assert sorted(AERIS_DAGS) == sorted(dag_id for result in parsed.values() for dag_id in result["dags"])
