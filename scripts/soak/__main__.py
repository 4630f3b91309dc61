"""`make soak` (SOAK_ARGS="--days 3"; `--short`: a few hours with every fault, as the test command runs)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from scripts.soak.plan import SoakPlan

ROOT = Path(__file__).resolve().parents[2]


def soak(plan: SoakPlan, workdir: Path, say, retention_every_s: float = 60.0) -> tuple[str, object]:
    """Runs the soak; returns its SOAK line and the Findings."""
    from scripts.soak.checks import Checks, Findings
    from scripts.soak.drive import RETENTION, Soak

    started = time.monotonic()
    run = Soak(plan, workdir, say, retention_every_s)
    say(
        f"soak: {len(plan.older)} older hours from {plan.older[0]:%Y-%m-%d %H}:00 (past their deadline, NRT aged"
        f" out), {len(plan.recent)} recent from {plan.recent[0]:%Y-%m-%d %H}:00; gases {','.join(plan.gases)};"
        f" deadline {plan.deadline_minutes:.0f} min, emulator NRT window {plan.emulator_nrt_window_days:.2f} d"
    )
    findings = Findings()
    checks = Checks(plan, run.url, run.started)
    try:
        run.prepare()
        cluster = run.start_cluster()
        run.run()
        checks.loads(findings)
        checks.attempts(findings)
        checks.audit(findings)
        checks.faults_served(findings, run.emulator.stats())
        checks.airflow(findings, cluster, run.retention_runs, run.log_dir)
        now = datetime.now(UTC)
        keep_hours = plan.final_retention_hours(now)
        run.trigger_and_wait(RETENTION, {"retention_hours": keep_hours, "audit_retention_days": 1})
        checks.storage(findings, now, keep_hours, 1)
    finally:
        run.stop()
    wall = time.monotonic() - started
    for problem in findings.summary():
        say(f"soak FAILED {problem}")
    line = (
        f"SOAK days={plan.days:g} gas_hours={findings.gas_hours} lost={findings.count('lost')}"
        f" double_loads={findings.count('double_loads')} ledger_rows={findings.ledger_rows}"
        f" retention_runs={len(run.retention_runs)} storage_mb={findings.storage_mb:.1f}"
        f" invariants={'ok' if findings.ok else 'FAILED'} wall_s={wall:.0f}"
    )
    return line, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=2, help="whole days (2 or more); default 2")
    parser.add_argument("--short", action="store_true", help="2 older + 2 recent hours, NO2 and O3")
    parser.add_argument("--workdir", default=str(ROOT / ".aeris" / "soak"))
    args = parser.parse_args()
    now = datetime.now(UTC)
    plan = SoakPlan.short(now) if args.short else SoakPlan.whole_days(now, args.days)
    line, findings = soak(plan, Path(args.workdir), lambda m: print(m, flush=True))
    print(line, flush=True)
    return 0 if findings.ok else 1


if __name__ == "__main__":
    sys.exit(main())
