"""mypy on aeris_lib and plugins (settings in pyproject.toml, [tool.mypy]): a wrong call or type at a
module boundary fails the test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MYPY = Path(sys.executable).with_name("mypy")

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_mypy_finds_nothing():
    result = subprocess.run([str(MYPY)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]
