from __future__ import annotations

import pytest

from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient, build_session
from harmony_emulator.server import HarmonyEmulator
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER


@pytest.fixture
def emulator():
    """A fresh emulator on free ports (real HTTP), so faults and stats belong to one test. It offers a
    GeoTIFF subsetter: these tests are about the protocol; tests/shapes cover every capability mode."""
    server = HarmonyEmulator(job_seconds=0.5, capabilities="tiff").start()
    yield server
    server.stop()


@pytest.fixture
def client(emulator) -> HarmonyClient:
    tokens = TokenProvider(emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)
    return HarmonyClient(emulator.base_url, tokens, session=build_session(backoff_factor=0.1))
