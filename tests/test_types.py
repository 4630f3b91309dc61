"""mypy on aeris_lib and plugins (settings in pyproject.toml, [tool.mypy]): a wrong call or type at a
module boundary fails the test command. Not in `make unit`: cold, mypy alone takes ~20 s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MYPY = Path(sys.executable).with_name("mypy")


def test_mypy_finds_nothing():
    result = subprocess.run([str(MYPY)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]
