"""Fixtures shared with the end-to-end and load tests."""

from tests.e2e.conftest import db, emulator  # noqa: F401
from tests.load.conftest import conn  # noqa: F401
