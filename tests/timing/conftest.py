from tests.harmony.conftest import client, emulator  # noqa: F401 - a fresh emulator (with its CMR) per test
