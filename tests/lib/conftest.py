"""Unit tests here each get an emulator of their own (faults and stats of one test) and our client on it."""

from __future__ import annotations

import pytest


@pytest.fixture
def emulator(fresh_emulator):
    return fresh_emulator


@pytest.fixture
def client(harmony_client):
    return harmony_client
