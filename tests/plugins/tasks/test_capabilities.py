"""aeris.tasks.capabilities: what Harmony offers for a collection, asked once and reused from the
database for AERIS_HARMONY_CAPABILITIES_TTL_HOURS, and the request shape chosen from it."""

from __future__ import annotations

import pytest
from aeris.hooks.harmony import HarmonyHook
from aeris.tasks.capabilities import capabilities, ttl_seconds
from airflow.sdk.exceptions import AirflowFailException

from aeris_lib.db.capabilities import forget_capabilities

COLLECTION = "C3685896708-LARC_CLOUD"


@pytest.mark.unit
def test_the_ttl_is_configured_in_hours(monkeypatch):
    monkeypatch.delenv("AERIS_HARMONY_CAPABILITIES_TTL_HOURS", raising=False)
    assert ttl_seconds() == 24 * 3600
    monkeypatch.setenv("AERIS_HARMONY_CAPABILITIES_TTL_HOURS", "0.5")
    assert ttl_seconds() == 1800
    monkeypatch.setenv("AERIS_HARMONY_CAPABILITIES_TTL_HOURS", "soon")
    with pytest.raises(AirflowFailException, match="AERIS_HARMONY_CAPABILITIES_TTL_HOURS must be a number"):
        ttl_seconds()


def test_capabilities_are_fetched_once_then_reused(conn, harmony_conn, monkeypatch):
    monkeypatch.delenv("AERIS_HARMONY_CAPABILITIES_TTL_HOURS", raising=False)
    forget_capabilities(conn, COLLECTION)
    hook = HarmonyHook(harmony_conn)
    try:
        fetched, source = capabilities(hook, "NO2", COLLECTION)
        assert source == "fetched now" and fetched is not None
        cached, source = capabilities(hook, "NO2", COLLECTION)
        assert source.startswith("cached ") and cached.summary() == fetched.summary()
    finally:
        forget_capabilities(conn, COLLECTION)


def test_an_unknown_collection_fails_the_gas(conn, harmony_conn):
    with pytest.raises(AirflowFailException, match="NO2: Harmony does not know collection C0-NOWHERE"):
        capabilities(HarmonyHook(harmony_conn), "NO2", "C0-NOWHERE")
