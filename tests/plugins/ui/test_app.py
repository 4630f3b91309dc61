"""The AERIS view's app against the real PostGIS and S3 endpoint (its browser test: tests/e2e/test_scheduler.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.hooks import staging
from aeris.ui.app import app
from airflow.api_fastapi.app import create_auth_manager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.api_fastapi.core_api.security import get_user
from fastapi.testclient import TestClient

HOUR = datetime(2031, 6, 2, 17, tzinfo=UTC)  # a window no other test writes


@pytest.fixture
def login():
    """`login(role)`: the app as a user of `role` sees it (login itself: e2e); Airflow's auth manager
    decides access."""

    def as_user(role: str | None) -> TestClient:
        create_auth_manager()
        app.dependency_overrides[get_user] = lambda: SimpleAuthManagerUser(username=f"a-{role}", role=role)
        return TestClient(app)

    yield as_user
    app.dependency_overrides.clear()


@pytest.fixture
def view_client(login):
    return login("viewer")


@pytest.fixture
def ledger(db):
    rows = [("NO2", HOUR, "success", None, "TEMPO_NO2_L3_NRT", "V02"),
            ("CH2O", HOUR, "harmony_failed", "Harmony job j-1 failed: x", None, None),
            ("O3", HOUR.replace(hour=16), "not_published", "not published by 19:00", "TEMPO_O3TOT_L3", "V04"),
            ("AI", HOUR.replace(hour=15), "wrong_version", "TEMPO_O3TOT_L3 V03 lists no granule", "TEMPO_O3TOT_L3",
             "V03")]  # fmt: skip
    with db.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE obs_time >= '2031-01-01'")
        for gas, hour, status, error, short_name, version in rows:
            cur.execute(
                "INSERT INTO ingest_log (gas_type, obs_time, status, error_message, short_name, version)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (gas, hour, status, error, short_name, version),
            )
    yield
    with db.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE obs_time >= '2031-01-01'")


PAGES = ("/", "/maps/NO2.png?hour=2031-06-02T17:00:00Z", "/audit/audit/geotiff/2031-06-02/NO2_17.png")


@pytest.mark.unit
def test_without_a_login_nothing_is_served():
    anonymous = TestClient(app)
    for path in PAGES:
        assert anonymous.get(path).status_code == 401, path


@pytest.mark.unit
def test_the_docs_routes_answer_nothing(login):
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert TestClient(app).get(path).status_code in (401, 404), path
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert login("viewer").get(path).status_code == 404, path


def test_a_user_without_dag_access_gets_403(login):
    for path in PAGES:
        assert login(None).get(path).status_code == 403, path


def test_the_page_shows_each_gas_hour_from_the_ledger(view_client, ledger):
    page = view_client.get("/", params={"until": "2031-06-02T18:00:00Z"})
    assert page.status_code == 200
    html = page.text
    assert "2031-06-01 18:00 – 2031-06-02 18:00 UTC" in html
    assert "data-hour='2031-06-02T17'><th>06-02 17:00</th><td data-gas='NO2'><span" in html
    assert ">loaded</span>" in html and ">failed</span>" in html and ">not published</span>" in html
    assert "Harmony job j-1 failed: x" in html  # the reason, as the cell's tooltip
    assert "maps/NO2.png?hour=2031-06-02T17%3A00%3A00%2B00%3A00" in html
    # Each hour says which product it came from; a wrong version is its own warning, with the reason.
    assert '<span class="product" title="TEMPO_NO2_L3_NRT V02">V02 NRT</span>' in html
    assert '<span class="product" title="TEMPO_O3TOT_L3 V04">V04</span>' in html
    assert ">wrong version</span>" in html
    assert (
        "<li class='warn' data-gas='AI'>AI 2031-06-02 15:00 UTC: TEMPO_O3TOT_L3 V03 lists no granule</li>"
        in html
    )


def test_audit_objects_are_served_and_nothing_else(view_client, tmp_path):
    key = "audit/geotiff/2031-06-02/NO2_17.png"
    (tmp_path / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n fake map")
    staging.store().put(tmp_path / "map.png", key)
    try:
        response = view_client.get(f"/audit/{key}")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content == b"\x89PNG\r\n\x1a\n fake map"
        assert (
            view_client.get("/maps/NO2.png", params={"hour": "2031-06-02T17:00:00Z"}).content
            == response.content
        )
    finally:
        staging.store().delete([key])
    for outside in ("audit/../secrets.txt", "other/NO2_17.png", "audit/geotiff/2031-06-02/NO2_17.png.bak"):
        assert view_client.get(f"/audit/{outside}").status_code == 404, outside
    assert view_client.get("/audit/audit/geotiff/2031-06-02/O3_03.tif").status_code == 404
