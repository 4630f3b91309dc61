"""The AERIS view's FastAPI app, mounted by the Airflow api-server at /aeris behind Airflow's own login
and permissions: every route depends on Airflow's `get_user` (the UI's session cookie or an API token)
and on read access to the AERIS DAGs whose runs it shows, as Airflow's own DAG views do. No OpenAPI
document or docs pages: they would answer before login."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from aeris.config import settings
from aeris.hooks import staging
from aeris.ui import data, page
from airflow.api_fastapi.core_api.security import GetUserDep, get_user, requires_access_dag
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

# The DAGs whose ledger rows, maps and audit objects the view shows.
SHOWN_DAGS = ("aeris_tempo_hourly", "aeris_tempo_events", "aeris_tempo_reprocess")


def can_read_aeris_dags(request: Request, user: GetUserDep) -> None:
    """403 unless the user may read every AERIS DAG the view shows (the auth manager decides)."""
    for dag_id in SHOWN_DAGS:
        requires_access_dag("GET", param_dag_id=dag_id)(request, user)


app = FastAPI(
    title="AERIS",
    dependencies=[Depends(get_user), Depends(can_read_aeris_dags)],
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)

# Audit objects the view may serve: nothing else in the bucket (or the staging directory) is reachable.
AUDIT_KEY = re.compile(r"^audit/geotiff/\d{4}-\d{2}-\d{2}/[A-Z0-9]{1,8}_\d{2}\.(tif|png|json)$")
MEDIA_TYPES = {"tif": "image/tiff", "png": "image/png", "json": "application/geo+json"}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@app.get("/", response_class=HTMLResponse)
def overview_page(
    until: Annotated[datetime | None, Query(description="End of the 24-hour window (UTC)")] = None,
) -> str:
    """Per gas, the last 24 hours from the ledger; newest maps; open circuit breakers; gaps."""
    waiting = data.waiting_now()
    try:
        view = data.overview(_utc(until) if until else None, settings.default_bbox())
    except LookupError as empty:  # nothing ingested yet: what the first hours wait for, if anything
        return (f"<!DOCTYPE html><html><body><h1>AERIS</h1><p>{empty}</p>"
                f"{page.waiting_section(waiting, data.airflow_url())}</body></html>")  # fmt: skip
    return page.render(view, data.open_breakers(settings.breaker_threshold()), waiting, data.airflow_url())


@app.get("/maps/{gas}.png")
def gas_map(gas: str, hour: Annotated[datetime, Query()]) -> Response:
    """The PNG map of one gas-hour from the audit archive."""
    body = staging.store().read_bytes(data.map_key(gas.upper(), _utc(hour)))
    if body is None:
        raise HTTPException(404, f"no map for {gas} at {hour.isoformat()}")
    return Response(body, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@app.get("/audit/{key:path}")
def audit_object(key: str) -> Response:
    """An audit object (COG, PNG map, STAC item) through the api-server: the task's extra links point
    here, so a link carries no credential and works wherever the UI does."""
    match = AUDIT_KEY.match(key)
    if not match:
        raise HTTPException(404, "not an AERIS audit object")
    body = staging.store().read_bytes(key)
    if body is None:
        raise HTTPException(404, f"{key} is not in the audit archive")
    name = key.rsplit("/", 1)[-1]
    return Response(body, media_type=MEDIA_TYPES[match.group(1)],
                    headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip
