"""Airflow's metadata DB and the project's pools, checked without starting Airflow when nothing changed.

Exit 0 when the metadata DB is at Airflow's head revision and the pool is set; exit 3 when it needs
`airflow db migrate`, which the caller runs before calling this again.

    python scripts/airflow_init.py STAMP_FILE

Importing Airflow to check costs ~5 s per command. So once Airflow itself has confirmed the head
revision for these pinned requirements, STAMP_FILE records it; later calls only compare the DB's
`alembic_version` and pool row with it (one psycopg query) and fall back to Airflow on any difference.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aeris_lib import config
from aeris_lib.defaults import DAAC_POOL, HARMONY_POOL, libpq_url

NEEDS_MIGRATION = 3
POOL_DESCRIPTIONS = {
    HARMONY_POOL: "Caps concurrent NASA Harmony requests",
    DAAC_POOL: "Caps the tasks reading granules at the DAAC at once (ASDC throttles bursts)",
}


def pool_slots() -> dict[str, int]:
    return {
        HARMONY_POOL: config.Scheduling.from_env().harmony_pool_slots,
        DAAC_POOL: config.Earthdata.from_env().daac_pool_slots,
    }


def requirements_digest() -> str:
    return hashlib.sha256((Path(__file__).resolve().parents[1] / "requirements.txt").read_bytes()).hexdigest()


def db_state() -> dict | None:
    """The metadata DB's revision and pool slots, or None when it cannot be read this way."""
    import psycopg

    url = config.Databases.from_env().airflow
    if not url.startswith("postgresql"):
        return None
    try:
        with (
            psycopg.connect(libpq_url(url), connect_timeout=5) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SELECT version_num FROM alembic_version ORDER BY 1")
            revisions = [row[0] for row in cur.fetchall()]
            cur.execute("SELECT pool, slots FROM slot_pool WHERE pool = ANY(%s)", (list(POOL_DESCRIPTIONS),))
            pools = dict(cur.fetchall())
        conn.close()
    except psycopg.Error:
        return None  # no table yet, or another problem: let Airflow tell
    return {"revisions": revisions, "pool_slots": pools}


def expected_state(revisions: list[str]) -> dict:
    return {"requirements": requirements_digest(), "revisions": revisions, "pool_slots": pool_slots()}


def check_with_airflow(stamp: Path) -> int:
    from airflow.models.pool import Pool
    from airflow.utils import db

    try:
        db.check_migrations(timeout=0)
    except TimeoutError:
        return NEEDS_MIGRATION
    for pool, slots in pool_slots().items():
        Pool.create_or_update_pool(
            pool, slots=slots, description=POOL_DESCRIPTIONS[pool], include_deferred=False
        )
    state = db_state()
    if state is not None:
        stamp.write_text(json.dumps(expected_state(state["revisions"])))
    return 0


def main(stamp: Path) -> int:
    state = db_state()
    if state is not None and stamp.is_file():
        recorded = json.loads(stamp.read_text())
        if recorded == expected_state(state["revisions"]) and state["pool_slots"] == pool_slots():
            return 0
    stamp.unlink(missing_ok=True)
    return check_with_airflow(stamp)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
