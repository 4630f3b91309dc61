"""aeris_lib.defaults: the project's defaults, declared once, importable with the standard library only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aeris_lib.defaults import CONUS, libpq_url
from aeris_lib.gases import CONUS as CATALOG_CONUS

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg2://aeris:pw@127.0.0.1:55432/airflow",
            "postgresql://aeris:pw@127.0.0.1:55432/airflow",
        ),
        ("postgresql+psycopg://a@h/db", "postgresql://a@h/db"),
        ("postgresql://a@h/db", "postgresql://a@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_libpq_url_drops_only_the_driver(url, expected):
    assert libpq_url(url) == expected


def test_one_conus_everywhere():
    assert CONUS == CATALOG_CONUS == (-125.0, 24.0, -66.0, 50.0)


def test_the_stack_script_imports_the_defaults_with_the_standard_library_only():
    """scripts/stack_env.py runs under the system python3 before the venv exists (-I -S: no site packages)."""
    code = "import sys; sys.argv = ['stack_env']; import runpy; runpy.run_path('scripts/stack_env.py', run_name='not_main')"
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
