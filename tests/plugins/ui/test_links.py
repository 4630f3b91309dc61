"""aeris.ui.links: the audit links on a gas's task instances: to the AERIS view's audit route, or to a
public URL in front of the bucket; hidden where there is no audit object. Links on real runs:
tests/e2e/test_scheduler.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aeris.ui import links

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

KEY = "audit/geotiff/2024-09-01/NO2_15.tif"


def test_links_go_to_the_view_or_the_public_url(monkeypatch):
    monkeypatch.delenv("AERIS_AUDIT_PUBLIC_URL", raising=False)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example/")
    assert links.link_for(KEY) == f"https://airflow.example/aeris/audit/{KEY}"
    monkeypatch.setenv("AERIS_AUDIT_PUBLIC_URL", "https://cdn.example/aeris/")
    assert links.link_for(KEY) == f"https://cdn.example/aeris/{KEY}"


@pytest.mark.parametrize(
    ("task_id", "map_index"), [("plan", -1), ("gas.harmony_job", 0), ("gas.load_gas_hour", -1)]
)
def test_no_link_where_no_gas_hour_has_an_audit_object(task_id, map_index):
    ti_key = SimpleNamespace(dag_id="aeris_tempo_hourly", run_id="r", map_index=map_index)
    assert links.AuditLink().get_link(SimpleNamespace(task_id=task_id), ti_key=ti_key) == ""


def test_each_kind_of_audit_object_has_its_link():
    kinds = {kind.name: kind.suffix for kind in (links.AuditLink, links.AuditMapLink, links.AuditStacLink)}
    assert kinds == {"Audit COG": ".tif", "PNG map": ".png", "STAC item": ".json"}
