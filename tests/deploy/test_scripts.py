"""scripts/lib.sh picks the PostgreSQL it finds: the newest installed major with PostGIS 3, else the
distribution's own (Debian 12 ships 15, Ubuntu 24.04 ships 16), never a hard-coded one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

ROOT = Path(__file__).resolve().parents[2]


def _pick(tmp_path: Path, installed: dict[str, bool], apt_default: str | None) -> str:
    """`pg_major; apt_packages` with fake server directories ({major: has PostGIS 3}) and a fake apt."""
    lib = tmp_path / "lib"
    for major, postgis in installed.items():
        (lib / major / "bin").mkdir(parents=True)
        (lib / major / "bin" / "initdb").write_text("#!/bin/sh\n")
        (lib / major / "bin" / "initdb").chmod(0o755)
        (lib / major / "lib").mkdir()
        if postgis:
            (lib / major / "lib" / "postgis-3.so").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt = bin_dir / "apt-cache"
    apt.write_text(
        "#!/bin/sh\n"
        + (f"echo postgresql\necho '  Depends: postgresql-{apt_default}'\n" if apt_default else "exit 100\n")
    )
    apt.chmod(0o755)
    result = subprocess.run(
        ["bash", "-c", f"source {ROOT / 'scripts/lib.sh'}; pg_major; apt_packages"],
        env={**os.environ, "AERIS_PG_LIB_ROOT": str(lib), "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True, text=True,
    )  # fmt: skip
    return (result.stdout + result.stderr).strip()


def test_the_newest_installed_major_with_postgis_wins(tmp_path):
    assert _pick(tmp_path, {"15": True, "16": True}, "15").splitlines() == [
        "16", "postgresql-16 postgresql-16-postgis-3 redis-server"
    ]  # fmt: skip


def test_a_major_without_postgis_is_passed_over(tmp_path):
    assert _pick(tmp_path, {"15": True, "17": False}, "17").splitlines()[0] == "15"


def test_nothing_installed_takes_the_distributions_postgresql(tmp_path):
    # Ubuntu 24.04: `postgresql` depends on postgresql-16.
    assert _pick(tmp_path, {}, "16").splitlines() == [
        "16",
        "postgresql-16 postgresql-16-postgis-3 redis-server",
    ]


def test_nothing_to_pick_from_says_so(tmp_path):
    assert "no PostgreSQL server with PostGIS 3" in _pick(tmp_path, {}, None)
