"""The stack's shifted clock: an offset in seconds in a file that libfaketime reads.

Every process of the time-lapse stack (PostgreSQL, Redis, the S3 server, the Harmony emulator, the
Airflow components and their tasks) runs with libfaketime preloaded and this file as its
FAKETIME_TIMESTAMP_FILE, so all of them see the same time: the real one plus the offset. The offset
only grows: the clock never runs backwards.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Debian's `faketime` package; the MT build serialises its state for threaded programs (every one here).
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


class ShiftedClock:
    def __init__(self, path: Path):
        self.path = path

    def environment(self, library: str = LIBFAKETIME) -> dict[str, str]:
        """What a process needs in its environment to run on this clock."""
        return {
            "LD_PRELOAD": library,
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            # Read at every call (~5 us): with a cache, a trigger that saw a jump could ask an emulator
            # that had not yet, and be told a granule its clock already lists is not out.
            "FAKETIME_NO_CACHE": "1",
        }

    @property
    def offset_s(self) -> int:
        return int(self.path.read_text().strip())

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.offset_s)

    def set(self, when: datetime) -> None:
        """From now on the clock reads `when` (and runs on from there); only forwards once set."""
        offset = round((when - datetime.now(UTC)).total_seconds())
        if self.path.exists() and offset < self.offset_s:
            raise ValueError(f"the clock only runs forwards: {when:%Y-%m-%d %H:%M:%S} is behind {self.now()}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(f"{offset:+d}\n")
        partial.chmod(0o644)  # PostgreSQL runs as its own user and must read it too
        os.replace(partial, self.path)  # a reader sees the old offset or the new one, never half

    def advance_to(self, when: datetime) -> bool:
        """Jumps to `when` if it is ahead; whether it jumped."""
        if when <= self.now():
            return False
        self.set(when)
        return True
