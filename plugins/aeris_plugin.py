"""The AERIS Airflow plugin: what the scheduler and the UI need beyond the DAGs.

- a listener that labels every mapped per-gas task instance with its gas, also those that never ran;
- the AERIS view (FastAPI app at /aeris, behind Airflow's login) in the UI's navigation;
- extra links from the per-gas tasks to the hour's audit COG, PNG map and STAC item.
"""

from __future__ import annotations

from aeris.listeners.map_index import map_index_labels
from aeris.ui.app import app
from aeris.ui.links import AuditLink, AuditMapLink, AuditStacLink
from airflow.plugins_manager import AirflowPlugin


class AerisPlugin(AirflowPlugin):
    name = "aeris"
    listeners = [map_index_labels]
    fastapi_apps = [{"app": app, "url_prefix": "/aeris", "name": "AERIS view"}]
    external_views = [
        {
            "name": "AERIS",
            "href": "/aeris/",
            "url_route": "aeris",
            "destination": "nav",
            "category": "browse",
        },
    ]
    global_operator_extra_links = [AuditLink(), AuditMapLink(), AuditStacLink()]
