"""Redis `tempo:last_update` on the real Redis of the stack: the product's own key, its TTL, and an
advance that never moves it back (the compare-and-set script, not a plain SET)."""

from __future__ import annotations

import os

import pytest
import redis

pytestmark = pytest.mark.integration


@pytest.fixture
def app_redis():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete("tempo:last_update")
    yield client
    client.delete("tempo:last_update")


def test_last_update_advances_with_a_ttl_and_never_moves_back(app_redis):
    from aeris.tasks.routes import LAST_UPDATE_TTL_S, publish_last_update

    newer, older = "2024-09-01T16:00:00+00:00", "2024-09-01T15:00:00+00:00"
    publish_last_update({"hour": older, "newest_hour": newer})
    assert app_redis.get("tempo:last_update") == newer.encode()
    assert LAST_UPDATE_TTL_S - 5 <= app_redis.ttl("tempo:last_update") <= LAST_UPDATE_TTL_S == 3600
    app_redis.expire("tempo:last_update", 100)
    publish_last_update({"hour": older, "newest_hour": older})  # a rerun of an older hour
    assert app_redis.get("tempo:last_update") == newer.encode()
    assert app_redis.ttl("tempo:last_update") <= 100  # left alone: not even its TTL renewed
    newest = "2024-09-01T17:00:00+00:00"
    publish_last_update({"hour": newest, "newest_hour": newer})
    assert app_redis.get("tempo:last_update") == newest.encode()
    assert app_redis.ttl("tempo:last_update") > 3000
