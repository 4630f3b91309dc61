"""Fixtures of the end-to-end tests; shared ones are in tests/support/fixtures.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def test_route(db):
    """A saved route across the small bbox; removed afterwards with its exposure rows."""
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO saved_routes (name, origin_lon, origin_lat, dest_lon, dest_lat)"
            " VALUES ('e2e test route', -99.5, 35.5, -98.5, 36.5) RETURNING id"
        )
        route_id = cur.fetchone()[0]
    yield route_id
    with db.cursor() as cur:
        cur.execute("DELETE FROM route_exposure WHERE route_id = %s", (route_id,))
        cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))
