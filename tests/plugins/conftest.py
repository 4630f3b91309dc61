"""Unit tests here each get an emulator of their own (faults and stats of one test) and our client on it."""

from __future__ import annotations

import json

import pytest

from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER


@pytest.fixture
def emulator(fresh_emulator):
    return fresh_emulator


@pytest.fixture
def client(harmony_client):
    return harmony_client


CONN_ID = "harmony_trigger_test"


@pytest.fixture
def harmony_conn(emulator, monkeypatch):
    """A `harmony` connection to this test's emulator, from the environment as in production."""
    conn = {
        "conn_type": "harmony",
        "host": emulator.base_url,
        "login": EMULATOR_USER,
        "password": EMULATOR_PASSWORD,
        "extra": {"urs_url": emulator.base_url},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    return CONN_ID
