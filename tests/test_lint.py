"""The code passes `make lint` (ruff check + format check with the pinned ruff), so style drift fails
the test command instead of piling up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff(command: list[str]):
    result = subprocess.run([str(RUFF), *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


def test_the_pipeline_never_imports_the_emulator():
    """dags/, plugins/ and aeris_lib/ run in production: none of them may depend on the emulator."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("dags", "plugins", "aeris_lib")
        for path in (ROOT / folder).rglob("*.py")
        if "harmony_emulator" in path.read_text()
    ]
    assert offenders == []
