"""Airflow's metadata DB and the project's pool, from one interpreter.

Exit 0 when the metadata DB is at Airflow's head revision (the pool is then set); exit 3 when it needs
`airflow db migrate`, which the caller runs before calling this again. Checking here instead of always
running `airflow db migrate` and `airflow pools set` saves two Airflow start-ups (~8 s) per command.
"""

from __future__ import annotations

import os
import sys

NEEDS_MIGRATION = 3


def main() -> int:
    from airflow.models.pool import Pool
    from airflow.utils import db

    try:
        db.check_migrations(timeout=0)
    except TimeoutError:
        return NEEDS_MIGRATION
    Pool.create_or_update_pool(
        "harmony_api",
        slots=int(os.environ.get("AERIS_HARMONY_POOL_SLOTS") or 3),
        description="Caps concurrent NASA Harmony requests",
        include_deferred=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
