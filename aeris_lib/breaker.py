"""Circuit breaker per gas: after N consecutive failed hours a gas is skipped until reset.

State is a small JSON document (kept by the DAG in the Airflow Variable `aeris_circuit_<GAS>`):
`{"failed_hours": ["2024-09-01T16:00:00+00:00", ...]}`. A success clears it; deleting the Variable
resets it. Pure functions here; the Airflow side only reads and writes the Variable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_THRESHOLD = 5
MAX_REMEMBERED = 48
# The live line: the hourly DAG's scheduled runs. Only their failures of recent hours say that a gas is
# failing now; a backfill, a reprocess upgrade, a manual run or a late retry of an old hour failing says
# something about that hour, and no hourly success could ever close a breaker it opened.
LIVE_DAG_ID = "aeris_tempo_hourly"
LIVE_RUN_TYPE = "scheduled"
LIVE_HOURS = timedelta(hours=24)


@dataclass
class BreakerState:
    failed_hours: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str | None) -> BreakerState:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(failed_hours=[str(hour) for hour in data.get("failed_hours", [])])
        except (ValueError, AttributeError, TypeError):
            return cls()  # an unreadable state must not block ingestion: start counting afresh

    def dumps(self) -> str:
        return json.dumps({"failed_hours": self.failed_hours})

    def record_failure(self, hour: str) -> BreakerState:
        """One more failed hour (a retry of the same hour does not count twice)."""
        hours = sorted({*self.failed_hours, hour})[-MAX_REMEMBERED:]
        return BreakerState(hours)

    def is_open(self, threshold: int) -> bool:
        return len(self.failed_hours) >= threshold

    def describe(self) -> str:
        if not self.failed_hours:
            return "no failed hours"
        return f"{len(self.failed_hours)} consecutive failed hour(s), last {self.failed_hours[-1]}"


def not_counted_because(dag_id: str, run_type: str, hour: datetime, now: datetime) -> str | None:
    """None when a failed slice counts toward its gas's breaker; else why it does not."""
    if dag_id != LIVE_DAG_ID:
        return f"a failure in {dag_id}, not the hourly line"
    if run_type != LIVE_RUN_TYPE:
        return f"a failure in a {run_type} run, not a scheduled one"
    if now - hour > LIVE_HOURS:
        return f"a failure of an hour older than {LIVE_HOURS.total_seconds() / 3600:g} h"
    return None


VARIABLE_PREFIX = "aeris_circuit_"


def variable_key(gas: str) -> str:
    return f"{VARIABLE_PREFIX}{gas}"
