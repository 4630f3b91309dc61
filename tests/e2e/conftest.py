"""Fixtures of the end-to-end tests; shared ones are in tests/support/fixtures.py."""

from __future__ import annotations

import pytest

from tests.support.db import saved_route


@pytest.fixture
def test_route(db):
    """A saved route across the small bbox; removed afterwards with its exposure rows."""
    route_id = saved_route(db, (-99.5, 35.5), (-98.5, 36.5), "e2e test route")
    yield route_id
    with db.cursor() as cur:
        cur.execute("DELETE FROM route_exposure WHERE route_id = %s", (route_id,))
        cur.execute("DELETE FROM saved_routes WHERE id = %s", (route_id,))
