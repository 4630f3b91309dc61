"""
### AERIS — upgrade hours to TEMPO's newest standard products, reload republished ones

The hourly DAG loads TEMPO's near-real-time (NRT) products where they exist (NO2, HCHO): they are
published within 2-3 hours. TEMPO's standard products come out later and are what the archive should
hold. Every day this DAG:

1. **find_upgrades** — lists the hours of the last `days` (the slices' retention) and picks those whose
   slice came from an NRT product, or from an older standard version than the newest (`newer_versions`),
   and the standard product now covers the hour in CMR; and those whose granules CMR lists with a new
   revision (republished under the same name);
2. per hour found (mapped) — the hourly DAG's own **harmony_job** (submit, then wait) →
   **load_gas_hour** (read the granules, write, check, then publish, then the audit copy; the ledger
   records what it replaced in `upgraded_from`: `nrt` or the older version);
3. **recompute_hours** — saved-route exposure of every upgraded hour.

An hour is upgraded once: its slice then says `standard` and its version, and a later NRT load never
replaces it. A republished hour whose file is byte-identical writes nothing (`unchanged`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aeris.config import settings
from aeris.tasks import reprocess, routes, tempo
from airflow.sdk import Param, dag

from aeris_lib.gases import GAS_NAMES


@dag(
    dag_id="aeris_tempo_reprocess",
    schedule="30 6 * * *",
    start_date=datetime(2024, 9, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "aeris-data", "retries": 2, "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True, "execution_timeout": timedelta(minutes=30),
    },
    tags=["aeris", "tempo", "reprocess"],
    doc_md=__doc__,
    params={
        "days": Param(7, type="number", minimum=0, title="Look back (days)",
                      description="Hours published within this many days (the slices' retention) are checked."),
        "newer_versions": Param(None, type=["null", "boolean"], title="Newer standard versions",
                                description="Reload standard hours whose product has a newer version. "
                                "Empty: AERIS_REPROCESS_NEWER_VERSIONS (default on)."),
        "max_hours": Param(48, type="integer", minimum=1, title="At most this many hours per run"),
        "bbox": Param(None, type=["null", "array"], items={"type": "number"}, minItems=4, maxItems=4,
                      title="Bounding box [west, south, east, north]",
                      description="The hourly runs' bbox. Empty: TEMPO_BBOX_WEST/SOUTH/EAST/NORTH, else CONUS."),
        "gases": Param(settings.default_gases(), type="array", items={"type": "string", "enum": list(GAS_NAMES)},
                       minItems=1, uniqueItems=True, title="Gases"),
    },
)  # fmt: skip
def aeris_tempo_reprocess():
    routes.recompute_hours(tempo.load_each(reprocess.find_upgrades(), group_id="upgrade"))


aeris_tempo_reprocess()
