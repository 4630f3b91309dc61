"""Extra links on the per-gas tasks: the hour's audit COG, PNG map and STAC item.

Global links, computed by the api-server when the task's panel opens: no link is stored, none expires.
A link points at the AERIS app (`/aeris/audit/<key>`, behind Airflow's login), or at
AERIS_AUDIT_PUBLIC_URL + key when the archive has a public or console address. It carries no credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aeris.hooks import staging
from aeris.run_plan import planned_items
from airflow.sdk import BaseOperatorLink

from aeris_lib import config

# The per-gas steps whose hour has an audit copy (the Harmony job link is harmony_job's own).
PER_GAS_TASKS = ("stage_geotiff", "load_gas_hour")


def audit_key_of(dag_id: str, run_id: str, map_index: int, suffix: str) -> str | None:
    """The audit object of the gas-hour behind a mapped task instance, or None."""
    from airflow.utils.session import create_session

    with create_session() as session:
        planned = planned_items(session, dag_id, run_id)
    if not 0 <= map_index < len(planned) or not isinstance(planned[map_index], dict):
        return None
    item = planned[map_index]
    hour = datetime.fromisoformat(item["hour"])
    return staging.audit_key(item["gas"], hour, suffix)


def link_for(key: str) -> str:
    public = config.Storage.from_env().audit_public_url
    if public:
        return f"{public}/{key}"
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="").rstrip("/")
    return f"{base}/aeris/audit/{key}"


class AuditLink(BaseOperatorLink):
    """One kind of audit object; empty (hidden) for other tasks and before the object exists."""

    suffix = ".tif"
    name = "Audit COG"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        if operator.task_id.rsplit(".", 1)[-1] not in PER_GAS_TASKS or ti_key.map_index < 0:
            return ""
        key = audit_key_of(ti_key.dag_id, ti_key.run_id, ti_key.map_index, self.suffix)
        if key is None or not staging.store().exists(key):
            return ""
        return link_for(key)


class AuditMapLink(AuditLink):
    suffix = ".png"
    name = "PNG map"


class AuditStacLink(AuditLink):
    suffix = ".json"
    name = "STAC item"
