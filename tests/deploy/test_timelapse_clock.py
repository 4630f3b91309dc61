"""`make screenshots`' shifted clock with Debian's libfaketime itself (scripts/test.sh installs it): a
process started on it reads the shifted time, and a running one sees a jump at once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from scripts.timelapse.clock import ShiftedClock

CHILD = """
import sys, time
from datetime import UTC, datetime
print(datetime.now(UTC).isoformat(), flush=True)
sys.stdin.readline()  # the parent jumps the clock meanwhile
print(datetime.now(UTC).isoformat(), flush=True)
"""


def test_a_running_process_sees_the_shifted_clock_and_its_jump(tmp_path):
    clock = ShiftedClock(tmp_path / "clock")
    start = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    clock.set(start)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env={"PATH": "/usr/bin:/bin", **clock.environment()},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = datetime.fromisoformat(child.stdout.readline().strip())
        assert abs(first - start) < timedelta(seconds=30), first
        clock.advance_to(start + timedelta(hours=5))
        child.stdin.write("\n")
        child.stdin.flush()
        second = datetime.fromisoformat(child.stdout.readline().strip())
        # The offset is whole seconds, so the clock reads within half a second of the time it was set to.
        assert timedelta(hours=5, seconds=-1) <= second - start < timedelta(hours=5, seconds=30), second
    finally:
        child.kill()
        child.wait()
