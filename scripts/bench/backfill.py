"""(h) BACKFILL: a month of backfill, measured on a few hours of it.

`airflow backfill create` over HOURS consecutive daytime hours x 4 gases (CONUS, native granules from the
local stack's emulator), through a real api-server, scheduler, dag-processor and triggerer with the
LocalExecutor, parallelism = twice the machine's cores. Measured in the same run:
- wall time from `backfill create` until every run has finished, and the CPU of every process involved
  (the Airflow components and their task processes, PostgreSQL, the S3 server, the CLI itself);
- the ceiling: the smallest honest program for one gas-hour, serial, without Airflow: read both
  granules' CONUS window from local files, merge, binary-COPY into a new slice table, run the quality
  checks (backfill_ceiling.py);
- per task: instances and mean seconds, from the REST API.
Last line: BACKFILL gas_hours=… vs_ceiling=… month_estimate_h=…
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

from aeris_lib import config
from aeris_lib.cmr import resolve_collection, resolve_latest
from aeris_lib.gases import CONUS, DEFAULT_CATALOG, LATEST
from harmony_emulator.granule_store import native_granule
from harmony_emulator.scans import scans_overlapping
from scripts.bench import ROOT, SMOKE
from scripts.bench.backfill_ceiling import ceiling_gas_hours_per_min
from tests.support.cluster import AirflowCluster
from tests.support.db import forget_hours

DAG_ID = "aeris_tempo_hourly"
GASES = ["NO2", "CH2O", "O3", "AI"]  # PM: TEMPO publishes no PM product (skipped at its first look)
FIRST_HOUR = datetime(2024, 10, 8, 15, tzinfo=UTC)
MONTH_GAS_HOURS = 1560  # 30 days x ~13 daytime scans x 4 gases
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, float, float]]:
    """{pid: (parent pid, its own CPU seconds, its reaped children's)} of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based from pid.
        own, reaped = (sum(int(v) for v in fields[a:b]) / CLOCK_TICKS for a, b in ((11, 13), (13, 15)))
        table[int(entry.name)] = (int(fields[1]), own, reaped)
    return table


def scheduler_split(scheduler_pid: int, table: dict[int, tuple[int, float, float]]) -> dict[str, float]:
    """The scheduler's CPU seconds so far, split: its own loop, its LocalExecutor workers (each the
    supervisor of the task it runs), and the task processes those workers forked and reaped."""
    workers = [(own, reaped) for parent, own, reaped in table.values() if parent == scheduler_pid]
    return {
        "  scheduler loop": table[scheduler_pid][1] if scheduler_pid in table else 0.0,
        "  supervisors": sum(own for own, _ in workers),
        "  task processes": sum(reaped for _, reaped in workers),
    }


def tree_cpu_seconds(roots: dict[str, int], table: dict[int, tuple[int, float, float]]) -> dict[str, float]:
    """CPU seconds so far of each named process and all its descendants (live, or reaped by them)."""
    children = defaultdict(list)
    for pid, (parent, *_) in table.items():
        children[parent].append(pid)
    out = {}
    for name, root in roots.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in table:
                total += table[pid][1] + table[pid][2]  # its own CPU and its reaped children's
                todo.extend(children[pid])
        out[name] = total
    return out


class TaskMemory(threading.Thread):
    """Peak RSS (VmHWM) of any task process: the scheduler's grandchildren (LocalExecutor worker ->
    task), sampled every 0.2 s while the backfill runs."""

    def __init__(self, scheduler_pid: int):
        super().__init__(daemon=True)
        self.scheduler_pid, self.peak_mb, self.stopped = scheduler_pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            table = _process_table()
            workers = {pid for pid, (parent, *_) in table.items() if parent == self.scheduler_pid}
            for pid, (parent, *_) in table.items():
                if parent in workers:
                    self.peak_mb = max(self.peak_mb, _peak_rss_mb(pid))


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stack_pids() -> dict[str, int]:
    data = config.LocalStack.from_env().data_dir
    pids = {"postgres": int((data / "pg" / "data" / "postmaster.pid").read_text().split()[0])}
    for name in ("s3", "harmony"):
        pidfile = data / "run" / f"{name}.pid"
        if pidfile.exists():
            pids[name] = int(pidfile.read_text())
    return pids


def _runs(cluster: AirflowCluster, hours: list[datetime]) -> list[dict]:
    wanted = {h.isoformat() for h in hours}
    runs = cluster.api("GET", f"/dags/{DAG_ID}/dagRuns?run_type=backfill&limit=100")["dag_runs"]
    return [r for r in runs if r["data_interval_start"].replace("Z", "+00:00") in wanted]


def _task_table(cluster: AirflowCluster, runs: list[dict]) -> dict[str, tuple[int, float]]:
    """{task id: (instances that ran, mean seconds)} over the runs."""
    durations = defaultdict(list)
    for run in runs:
        for ti in cluster.task_instances(DAG_ID, run["dag_run_id"]):
            if ti["state"] in ("success", "failed") and ti.get("duration") is not None:
                durations[ti["task_id"]].append(float(ti["duration"]))
    return {task: (len(values), statistics.fmean(values)) for task, values in durations.items()}


def orchestrated(hours: list[datetime], workdir: Path, say, slots: int) -> dict:
    """The backfill through the scheduler: wall seconds, CPU seconds per component, per-task table."""
    west, south, east, north = (str(v) for v in CONUS)
    cluster = AirflowCluster(
        workdir, executor="LocalExecutor",
        extra_env={"TEMPO_BBOX_WEST": west, "TEMPO_BBOX_SOUTH": south, "TEMPO_BBOX_EAST": east,
                   "TEMPO_BBOX_NORTH": north, "AIRFLOW__CORE__PARALLELISM": str(slots),
                   "AERIS_PUBLICATION_POLL_SECONDS": "10"},
    ).start()  # fmt: skip
    try:
        cluster.wait_for(lambda: cluster.dag_parsed(DAG_ID), 180, "the dag-processor to parse the DAG")
        cluster.delete_queued_runs(DAG_ID)
        cluster.delete_runs(DAG_ID, [h.isoformat() for h in hours])  # logical date = interval start
        cluster.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
        cluster.cancel_backfills(DAG_ID)
        roots = {**{name: proc.pid for name, proc in cluster.processes.items()}, **_stack_pids()}
        table = _process_table()
        before = {**tree_cpu_seconds(roots, table), **scheduler_split(roots["scheduler"], table)}
        cli_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        memory = TaskMemory(cluster.processes["scheduler"].pid)
        memory.start()
        started = time.monotonic()
        created = cluster.airflow_cli(
            "backfill", "create", "--dag-id", DAG_ID,
            "--from-date", hours[0].isoformat(), "--to-date", hours[-1].isoformat(),
            "--dag-run-conf", json.dumps({"gases": GASES}), "--max-active-runs", str(len(hours)),
        )  # fmt: skip
        if created.returncode != 0:
            raise RuntimeError(f"airflow backfill create failed: {created.stderr[-2000:]}")
        cluster.wait_for(
            lambda: len(runs := _runs(cluster, hours)) == len(hours)
            and all(r["state"] in ("success", "failed") for r in runs),
            3600, "the backfill runs to finish", interval=1.0,
        )  # fmt: skip
        wall = time.monotonic() - started
        memory.stopped.set()
        table = _process_table()
        after = {**tree_cpu_seconds(roots, table), **scheduler_split(roots["scheduler"], table)}
        cli_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs = _runs(cluster, hours)
        tasks = _task_table(cluster, runs)
        cluster.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": True})
    finally:
        cluster.stop()
    cpu = {name: after[name] - before.get(name, 0.0) for name in after}
    cpu["backfill CLI"] = (cli_after.ru_utime + cli_after.ru_stime) - (
        cli_before.ru_utime + cli_before.ru_stime
    )
    failed = [r["dag_run_id"] for r in runs if r["state"] != "success"]
    return {"wall": wall, "cpu": cpu, "tasks": tasks, "failed": failed, "task_peak_rss_mb": memory.peak_mb}


def nasa_side_ready(hours: list[datetime], say) -> None:
    """Every native granule the backfill will read, built by the emulator before the clock starts: at
    NASA the files exist before anyone reads them (the emulator otherwise builds each on first read)."""
    session, cmr = requests.Session(), config.Earthdata.from_env().cmr_url
    started, built = time.monotonic(), set()
    for gas in GASES:
        entry = DEFAULT_CATALOG[gas]
        short_name, version, collection = entry.product_name(entry.chosen_line())
        if not collection:
            collection = (
                resolve_latest(session, cmr, short_name)[1]
                if version == LATEST
                else resolve_collection(session, cmr, short_name, version)
            )
        for hour in hours:
            for scan in scans_overlapping(hour, hour + timedelta(hours=1)):
                built.add(native_granule(collection, scan))
    say(f"(h) {len(built)} native granules ready at the emulator's DAAC ({time.monotonic() - started:.0f} s)")


def slices_loaded(url: str, hours: list[datetime]) -> int:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM obs_partition WHERE obs_time = ANY(%s) AND gas_type = ANY(%s)",
            (hours, GASES),
        )
        return cur.fetchone()[0]


def backfill_benchmark(
    url: str, workdir: Path, say, hour_count: int = 6, ceiling_gas_hours: int = 4, slots: int = 0
) -> str:
    """The BACKFILL line; with `hour_count` 0 (the smoke run), the ceiling alone, on one small gas-hour."""
    if hour_count == 0:
        ceiling = ceiling_gas_hours_per_min(url, [FIRST_HOUR], GASES[:1], say, SMOKE.bbox)
        return f"BACKFILL smoke ceiling_gas_hours_per_min={ceiling:.2f}"
    hours = [FIRST_HOUR + timedelta(hours=n) for n in range(hour_count)]
    db = psycopg.connect(url)
    db.autocommit = True
    forget_hours(db, hours, keep_capabilities=True)
    db.close()
    nasa_side_ready(hours, say)
    # Task slots (Airflow's parallelism): twice the cores unless given. A task waits on the DAAC, S3 and
    # the database for part of its time; another task uses the core meanwhile.
    slots = slots or 2 * (os.cpu_count() or 2)
    say(f"(h) parallelism {slots} on {os.cpu_count()} cores")
    result = orchestrated(hours, workdir / "cluster", say, slots)
    loaded = slices_loaded(url, hours)
    gas_hours = len(hours) * len(GASES)
    if result["failed"] or loaded != gas_hours:
        raise RuntimeError(
            f"backfill incomplete: {loaded} of {gas_hours} slices, failed runs {result['failed']}"
        )
    say(
        f"(h) backfill: {len(hours)} hours x {len(GASES)} gases = {gas_hours} gas-hours in {result['wall']:.0f} s"
    )
    for name, seconds in sorted(result["cpu"].items(), key=lambda item: -item[1]):
        if not name.startswith(" "):
            say(f"    CPU {name:<16} {seconds:7.1f} s")
        if name == "scheduler":  # of which
            for part in sorted(k for k in result["cpu"] if k.startswith(" ")):
                say(f"    CPU {part:<16} {result['cpu'][part]:7.1f} s")
    say("    task                              instances  mean s")
    for task, (count, mean) in sorted(result["tasks"].items(), key=lambda item: -item[1][0] * item[1][1]):
        say(f"    {task:<36} {count:5d}  {mean:6.1f}")
    ceiling = ceiling_gas_hours_per_min(url, hours[:1], GASES[:ceiling_gas_hours], say)
    # The emulator stands for NASA; the scheduler's parts are counted in its line.
    involved = sum(v for k, v in result["cpu"].items() if k != "harmony" and not k.startswith(" "))
    rate = gas_hours / (result["wall"] / 60)
    return (
        f"BACKFILL gas_hours={gas_hours} wall_s={result['wall']:.0f} gas_hours_per_min={rate:.2f}"
        f" cpu_s_per_gas_hour={involved / gas_hours:.1f} ceiling_gas_hours_per_min={ceiling:.2f}"
        f" vs_ceiling={rate / ceiling:.2f} month_estimate_h={MONTH_GAS_HOURS / rate / 60:.1f}"
        f" task_peak_rss_mb={result['task_peak_rss_mb']:.0f}"
    )


if __name__ == "__main__":  # (h) alone: python -m scripts.bench.backfill [HOURS [SLOTS]], on the local stack
    print(
        backfill_benchmark(
            config.Databases.from_env().aeris,
            ROOT / ".aeris" / "bench",
            lambda m: print(m, flush=True),
            int(sys.argv[1]) if len(sys.argv) > 1 else 6,
            slots=int(sys.argv[2]) if len(sys.argv) > 2 else 0,
        )
    )
