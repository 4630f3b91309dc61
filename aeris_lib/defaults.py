"""The project's defaults, declared once. Standard library only: `scripts/stack_env.py` imports it
before any dependency is installed, and so do the hooks, the catalog and the benchmarks."""

from __future__ import annotations

from pathlib import Path

# NASA's production services (the local stack points all three at the Harmony emulator).
HARMONY_URL = "https://harmony.earthdata.nasa.gov"
EARTHDATA_LOGIN_URL = "https://urs.earthdata.nasa.gov"
CMR_URL = "https://cmr.earthdata.nasa.gov"
# The gases AERIS ingests, in the order runs list them.
GAS_NAMES = ("NO2", "CH2O", "AI", "PM", "O3")
# The default region: the contiguous United States [west, south, east, north].
CONUS = (-125.0, 24.0, -66.0, 50.0)
# The Airflow pool that caps concurrent Harmony submissions (created by the init step).
HARMONY_POOL = "harmony_api"
# The Airflow pool that caps the tasks reading granules at the DAAC at once: a backfill must not
# burst ASDC's CloudFront into throttling (403 "Request blocked").
DAAC_POOL = "daac_reads"
# All of the project's SQL (migrations under `migrations/`).
SQL_DIR = Path(__file__).resolve().parents[1] / "include" / "sql"


def libpq_url(sqlalchemy_url: str) -> str:
    """A SQLAlchemy database URL (`postgresql+psycopg://…`) as libpq/psycopg take it (`postgresql://…`)."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"
