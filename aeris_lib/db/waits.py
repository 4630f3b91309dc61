"""What each waiting (gas, hour) waits for, in `publication_wait`: the publication sensor writes it at
its first look, its trigger at each later one; the hour's end removes it. The AERIS view reads it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aeris_lib.db.sql import load_sql
from aeris_lib.publication import Granule, missing_text


@dataclass(frozen=True)
class Waiter:
    """The task instance that waits: where the AERIS view links to."""

    gas: str
    dag_id: str
    run_id: str
    task_id: str
    map_index: int

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Waiter:
        return cls(raw["gas"], raw["dag_id"], raw["run_id"], raw["task_id"], int(raw["map_index"]))


def wait_params(waiter: Waiter, hour: datetime, listed: list[Granule], reason: str, deadline: datetime,
                next_check: datetime) -> dict[str, Any]:  # fmt: skip
    """The row of one look: the granules CMR lists for the hour and the minutes none covers yet."""
    end = hour + timedelta(hours=1)
    overlapping = [g for g in listed if g.start < end and g.end > hour]
    return {
        "gas": waiter.gas, "hour": hour, "dag_id": waiter.dag_id, "run_id": waiter.run_id,
        "task_id": waiter.task_id, "map_index": waiter.map_index,
        "listed": json.dumps([{"name": g.name, "start": g.start.isoformat(), "end": g.end.isoformat()}
                              for g in overlapping]),
        "missing": missing_text(hour, overlapping), "reason": reason, "deadline": deadline,
        "next_check": next_check,
    }  # fmt: skip


def record_wait(conn: Any, params: dict[str, Any]) -> None:
    """The (gas, hour)'s row replaced by this look's, in one transaction (DELETE then INSERT: the
    triggerer's login may write the table, not read it)."""
    with conn.cursor() as cur:
        cur.execute(load_sql("waits/clear_wait.sql"), params)
        cur.execute(load_sql("waits/record_wait.sql"), params)
    conn.commit()


async def arecord_wait(aconn: Any, params: dict[str, Any]) -> None:
    """`record_wait` on a psycopg AsyncConnection (the triggerer's event loop never blocks on it)."""
    async with aconn.cursor() as cur:
        await cur.execute(load_sql("waits/clear_wait.sql"), params)
        await cur.execute(load_sql("waits/record_wait.sql"), params)
    await aconn.commit()


def clear_wait(conn: Any, gas: str, hour: datetime) -> None:
    with conn.cursor() as cur:
        cur.execute(load_sql("waits/clear_wait.sql"), {"gas": gas, "hour": hour})
    conn.commit()


def waiting_now(conn: Any) -> list[dict[str, Any]]:
    """Every recorded wait, as dicts (`listed` parsed)."""
    with conn.cursor() as cur:
        cur.execute(load_sql("waits/waiting_now.sql"))
        names = [column.name for column in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    conn.rollback()
    for row in rows:
        if isinstance(row["listed"], str):
            row["listed"] = json.loads(row["listed"])
    return rows
