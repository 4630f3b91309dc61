"""Every command the README names, run as a user runs it, on a stack of its own.

`make stop` stops the local services, so these run against a second local stack (its own data
directory and ports, the same scripts), never the one the other tests use. In the README's order:
the stack, `make status`, `make run`, `make events`, `make bench BENCH_ARGS=--smoke` (with the short
soak), `make ui`, `make ui-stop`, `make stop`. `make test` is the command running this.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
PORTS = ("AERIS_PG_PORT", "AERIS_REDIS_PORT", "AERIS_S3_PORT", "AERIS_HARMONY_PORT", "AERIS_HARMONY_FILES_PORT",
         "AERIS_HARMONY_DAAC_PORT", "AIRFLOW_API_PORT")  # fmt: skip
# What a user's shell has; everything else the scripts derive from `.env.example`'s defaults.
KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "CI", "AERIS_EMULATOR_CACHE_DIR")


@pytest.fixture(scope="module")
def own_stack():
    # Beside the suite's own stack, where the `postgres` user (the server's, when tests run as root) may
    # enter, unlike pytest's private tmp directories. Made anew each run, as on a new machine.
    data_dir = (
        Path(os.environ["AERIS_DATA_DIR"]) / f"readme-stack-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    )
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = {name: os.environ[name] for name in KEPT if name in os.environ}
    env.update({name: str(free_port()) for name in PORTS})
    env.update(AERIS_DATA_DIR=str(data_dir), AERIS_GASES="NO2,PM", AERIS_EMULATOR_JOB_SECONDS="0.5")
    yield env
    subprocess.run(["make", "stop"], cwd=ROOT, env=env, capture_output=True, timeout=120)
    shutil.rmtree(data_dir, ignore_errors=True)


def make(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        ["make", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"make {' '.join(args)} exited {result.returncode}:\n{output[-4000:]}"
    return output


def test_make_help_describes_every_target():
    output = make(dict(os.environ), "help")
    assert re.search(r"^run\s+command 1", output, re.M) and re.search(r"^test\s+command 2", output, re.M)


def test_every_readme_command_on_a_stack_of_its_own(own_stack):
    env = own_stack
    make(env, "stack")
    status = make(env, "status")
    assert re.search(r"postgres.*running", status) and re.search(r"airflow api-server\s+stopped", status)

    run = make(env, "run")
    assert re.search(r"NO2\s+loaded\s+[0-9,]+ rows", run), run[-3000:]

    events = make(env, "events")
    assert re.search(r"published [0-9.]+ s after its last granule was listed, with no hourly run", events), (
        events[-3000:]
    )

    # The smoke bench ends with the short soak: a few hours of production with every fault of the
    # soak's schedule through the real scheduler, every invariant checked (scripts/soak).
    bench = make(env, "bench", "BENCH_ARGS=--smoke", timeout=1500)
    for line in ("BENCH ", "READ ", "NATIVE ", "BACKFILL ", "LATENCY ", "SOAK "):
        assert re.search(rf"^{line}", bench, re.M), f"no {line.strip()} line:\n{bench[-3000:]}"
    soak = re.search(r"^SOAK .*$", bench, re.M).group(0)
    assert " lost=0 double_loads=0 " in soak and "invariants=ok" in soak, bench[-3000:]

    ui = make(env, "ui", timeout=300)
    port = env["AIRFLOW_API_PORT"]
    assert f"http://127.0.0.1:{port}" in ui
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=10) as response:
        assert json.load(response)["metadatabase"]["status"] == "healthy"
    assert re.search(r"airflow triggerer\s+running", make(env, "status"))

    make(env, "ui-stop")
    make(env, "stop")
    stopped = make(env, "status")
    assert "running" not in stopped, stopped
