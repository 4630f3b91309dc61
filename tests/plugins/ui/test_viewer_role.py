"""The AERIS Viewer role under Airflow's FAB auth manager, on the real metadata DB: made by the shipped
command, then asked of FabAuthManager itself, as the api-server asks it for every page and API call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import yaml
from aeris.ui.viewer_role import ROLE, role_permissions

ROOT = Path(__file__).resolve().parents[3]

FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"

# In a child interpreter: the auth manager is chosen once per process, and the suite's is Simple.
_CHILD = r"""
import json, sys
from airflow.api_fastapi.app import create_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import (
    AccessView, ConfigurationDetails, ConnectionDetails, DagAccessEntity, DagDetails, PoolDetails,
    VariableDetails)
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
from aeris.ui.viewer_role import ROLE, main as sync_main, sync_role

sync_main()  # the shipped command, as compose's airflow-init runs it
with get_application_builder() as appbuilder:
    sm = appbuilder.sm
    again = sync_role(sm)
    user = sm.find_user("aeris-viewer-test") or sm.add_user(
        "aeris-viewer-test", "Test", "Viewer", "viewer@example.invalid", sm.find_role(ROLE), password="x" * 16)
    am = create_auth_manager()
    def dag(dag_id, method="GET", entity=None):
        return am.is_authorized_dag(method=method, user=user, access_entity=entity, details=DagDetails(id=dag_id))
    answers = {
        "resync": list(again),
        "manager": type(am).__name__,
        "read hourly": dag("aeris_tempo_hourly"),
        "read reprocess": dag("aeris_tempo_reprocess"),
        "read retention": dag("aeris_retention"),
        "runs of hourly": dag("aeris_tempo_hourly", entity=DagAccessEntity.RUN),
        "logs of hourly": dag("aeris_tempo_hourly", entity=DagAccessEntity.TASK_LOGS),
        "list dags": am.is_authorized_dag(method="GET", user=user),
        "read another dag": dag("example_bash_operator"),
        "runs of another dag": dag("example_bash_operator", entity=DagAccessEntity.RUN),
        "trigger hourly": dag("aeris_tempo_hourly", "POST", DagAccessEntity.RUN),
        "pause hourly": dag("aeris_tempo_hourly", "PUT"),
        "clear a task": dag("aeris_tempo_hourly", "PUT", DagAccessEntity.TASK_INSTANCE),
        "connections": am.is_authorized_connection(method="GET", user=user, details=ConnectionDetails(conn_id="x")),
        "variables": am.is_authorized_variable(method="GET", user=user, details=VariableDetails(key="x")),
        "pools": am.is_authorized_pool(method="GET", user=user, details=PoolDetails(name="daac_reads")),
        "config": am.is_authorized_configuration(method="GET", user=user, details=ConfigurationDetails(section="core")),
        "providers": am.is_authorized_view(access_view=AccessView.PROVIDERS, user=user),
        "triggers": am.is_authorized_view(access_view=AccessView.TRIGGERS, user=user),
        "import errors": am.is_authorized_view(access_view=AccessView.IMPORT_ERRORS, user=user),
        "plugins": am.is_authorized_view(access_view=AccessView.PLUGINS, user=user),
        "website": am.is_authorized_view(access_view=AccessView.WEBSITE, user=user),
    }
print(json.dumps(answers))
"""


def fab_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return {**os.environ, "AIRFLOW__CORE__AUTH_MANAGER": FAB, "AIRFLOW__FAB__CONFIG_FILE": str(tmp_path / "none.py"),
            "PATH": path, **extra}  # fmt: skip


def compose_fab_setup() -> str:
    """The FAB part of compose's airflow-init, as the container's shell runs it."""
    compose = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    script = compose["services"]["airflow-init"]["command"][1].replace("$$", "$")
    return script[script.index("python -m aeris.ui.viewer_role") : script.index("; } &&") + 3]


def test_compose_init_makes_the_role_and_the_first_admin_once(tmp_path):
    admin = f"admin-{uuid.uuid4().hex[:8]}"
    env = fab_env(tmp_path, AIRFLOW_ADMIN_USER=admin, AIRFLOW_ADMIN_PASSWORD="p" * 20,
                  AIRFLOW_ADMIN_EMAIL=f"{admin}@example.invalid")  # fmt: skip
    runs = [subprocess.run(["bash", "-c", compose_fab_setup()], env=env, capture_output=True, text=True, timeout=240)
            for _ in range(2)]  # fmt: skip
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr[-2000:]
    assert "created" in runs[0].stdout and "created" not in runs[1].stdout, [run.stdout for run in runs]
    assert "0 added, 0 removed" in runs[1].stdout


def test_the_aeris_viewer_reads_the_aeris_dags_and_their_view_and_nothing_else(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], env=fab_env(tmp_path), capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith(f"role {ROLE!r}: {len(role_permissions())} permissions") for line in lines), (
        lines
    )
    answers = json.loads(lines[-1])
    assert answers.pop("manager") == "FabAuthManager"
    assert answers.pop("resync") == [0, 0], "a second sync changed the role"
    allowed = {"read hourly", "read reprocess", "read retention", "runs of hourly", "logs of hourly", "list dags",
               "plugins", "website"}  # fmt: skip
    assert {check for check, yes in answers.items() if yes} == allowed, answers


def test_the_role_reads_only_and_names_each_aeris_dag():
    dag_resources = {resource for _, resource in role_permissions() if resource.startswith("DAG:")}
    assert dag_resources == {"DAG:aeris_tempo_hourly", "DAG:aeris_tempo_events", "DAG:aeris_tempo_reprocess",
                             "DAG:aeris_gap_report", "DAG:aeris_retention"}  # fmt: skip
    assert {action for action, _ in role_permissions()} <= {"can_read", "menu_access", "can_edit"}
    assert {resource for action, resource in role_permissions() if action == "can_edit"} == {
        "My Profile",
        "My Password",
    }
