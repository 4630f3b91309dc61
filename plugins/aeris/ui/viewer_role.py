"""The "AERIS Viewer" role of Airflow's FAB auth manager, the production login (docker-compose.yaml).

It may read the AERIS DAGs (their runs, task instances, logs, code and versions) and open the AERIS view,
whose every route asks the auth manager for read access to those DAGs. Nothing else: no other DAG, no
connection, variable, pool, configuration or audit log, and no trigger, clear or edit anywhere.

    python -m aeris.ui.viewer_role    # make the role, or put it back to exactly these permissions

Idempotent (compose's airflow-init runs it on every start). People get the role with
`airflow users create --role "AERIS Viewer" ...`.
"""

from __future__ import annotations

from airflow.providers.fab.www.security import permissions as fab

ROLE = "AERIS Viewer"

# Every DAG in dags/ (tests/plugins/ui/test_viewer_role.py holds this list to the DagBag).
AERIS_DAGS = (
    "aeris_tempo_hourly", "aeris_tempo_events", "aeris_tempo_reprocess", "aeris_gap_report", "aeris_retention",
)  # fmt: skip

# What a DAG's pages read besides the DAG itself. FAB grants these per kind, not per DAG: the auth
# manager lets them through only for DAGs the user may read (is_authorized_dag checks both).
DAG_PAGES = (
    fab.RESOURCE_DAG_RUN,
    fab.RESOURCE_TASK_INSTANCE,
    fab.RESOURCE_TASK_LOG,
    fab.RESOURCE_DAG_CODE,
    fab.RESOURCE_DAG_VERSION,
    fab.RESOURCE_DAG_WARNING,
    fab.RESOURCE_DAG_DEPENDENCIES,
)

# The UI shell: log in, see the DAGs menu, change one's own password. Reading "Plugins" lists the
# installed plugins' names and links; the UI needs it to show the AERIS view's entry in the navigation.
UI_SHELL = (
    (fab.ACTION_CAN_READ, fab.RESOURCE_WEBSITE),
    (fab.ACTION_CAN_ACCESS_MENU, fab.RESOURCE_BROWSE_MENU),
    (fab.ACTION_CAN_ACCESS_MENU, fab.RESOURCE_DAG),
    (fab.ACTION_CAN_READ, fab.RESOURCE_PLUGIN),
    (fab.ACTION_CAN_READ, fab.RESOURCE_MY_PROFILE),
    (fab.ACTION_CAN_EDIT, fab.RESOURCE_MY_PROFILE),
    (fab.ACTION_CAN_READ, fab.RESOURCE_MY_PASSWORD),
    (fab.ACTION_CAN_EDIT, fab.RESOURCE_MY_PASSWORD),
)


def role_permissions() -> set[tuple[str, str]]:
    """(action, resource) pairs of the role, as FAB stores them."""
    per_dag = {(fab.ACTION_CAN_READ, fab.resource_name(dag_id, fab.RESOURCE_DAG)) for dag_id in AERIS_DAGS}
    return per_dag | {(fab.ACTION_CAN_READ, page) for page in DAG_PAGES} | set(UI_SHELL)


def sync_role(security_manager) -> tuple[int, int]:
    """Make ROLE hold exactly role_permissions(): returns (added, removed)."""
    role = security_manager.find_role(ROLE) or security_manager.add_role(ROLE)
    held = {(perm.action.name, perm.resource.name): perm for perm in role.permissions}
    missing, extra = role_permissions() - held.keys(), held.keys() - role_permissions()
    for action, resource in sorted(missing):
        # create_permission makes the resource when missing: a DAG need not be parsed yet.
        security_manager.add_permission_to_role(role, security_manager.create_permission(action, resource))
    for key in sorted(extra):
        security_manager.remove_permission_from_role(role, held[key])
    return len(missing), len(extra)


def main() -> None:
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    with get_application_builder() as appbuilder:
        added, removed = sync_role(appbuilder.sm)
    print(f"role {ROLE!r}: {len(role_permissions())} permissions ({added} added, {removed} removed)")


if __name__ == "__main__":
    main()
