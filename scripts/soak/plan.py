"""What a soak runs: its hours, the settings that make them old or recent, and its fault schedule.

Pure: no service is touched here, so the timeline can be checked without a stack.

A soak runs on recent days (the emulator publishes by the clock) in two parts:
- the **older** hours: past their publication deadline, and aged out of NASA's NRT window at the
  emulator (`emulator_nrt_window_days`), as a backfill of last week's hours sees them;
- the **recent** hours: still within their deadline, the NRT line listed, as the live hours see them.
`deadline_minutes` (AERIS_PUBLICATION_DEADLINE_MINUTES) puts the deadline between the two parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from aeris_lib.gaps import daytime_hours

HOUR = timedelta(hours=1)
GASES = ("NO2", "CH2O", "O3", "AI")  # PM: TEMPO publishes no PM product
SHORT_GASES = ("NO2", "O3")  # one NRT line, one standard-only product: every path, half the work
BBOX = (-100.0, 35.0, -98.0, 37.0)  # the test clusters' small bbox: CONUS off
# Standard granules are listed ~2 h after their scan ends (the emulator's default); the day's last scan
# ends ~00:20 UTC the next day. Before this hour, yesterday is not wholly published yet.
YESTERDAY_COMPLETE_AT = time(3, 0)


@dataclass(frozen=True)
class SoakPlan:
    now: datetime
    older: tuple[datetime, ...]  # the first backfill's hours (contiguous)
    recent: tuple[datetime, ...]  # the second backfill's hours (contiguous)
    gases: tuple[str, ...]
    bbox: tuple[float, float, float, float] = BBOX
    days: float = field(default=0.0)

    @classmethod
    def whole_days(cls, now: datetime, days: int, gases=GASES, bbox=BBOX) -> SoakPlan:
        """`days` whole UTC days ending with the last wholly published one: all but the last are older."""
        if days < 2:
            raise ValueError("a soak needs 2 days or more: an older part and a recent one")
        last = _last_published_day(now)
        first = last - timedelta(days=days - 1)
        older = tuple(first + n * HOUR for n in range(24 * (days - 1)))
        recent = tuple(last + n * HOUR for n in range(24))
        return cls(now, older, recent, tuple(gases), bbox, float(days))

    @classmethod
    def short(cls, now: datetime, hours: int = 2, gases=SHORT_GASES, bbox=BBOX) -> SoakPlan:
        """A few hours with every fault: the older day's last `hours` daytime hours, and the recent
        day's first `hours` (the day's first scan, S001, among them)."""
        last = _last_published_day(now)
        older = daytime_hours(last - timedelta(days=1), last, bbox)[-hours:]
        recent = daytime_hours(last, last + timedelta(days=1), bbox)[:hours]
        span = (recent[-1] + HOUR - older[0]) / timedelta(days=1)
        return cls(now, tuple(older), tuple(recent), tuple(gases), bbox, round(span, 2))

    # ------------------------------------------------------------------ the timeline's settings
    @property
    def hours(self) -> tuple[datetime, ...]:
        return self.older + self.recent

    @property
    def cut(self) -> datetime:
        return self.recent[0]

    @property
    def deadline_minutes(self) -> float:
        """The deadline (end of the hour + this) of the last older hour is `now`; every recent hour's
        is at least an hour later."""
        return (self.now - self.older[-1] - HOUR) / timedelta(minutes=1)

    @property
    def emulator_nrt_window_days(self) -> float:
        """NRT granules whose scan ended before the recent part are gone from CMR, as after 14 days."""
        return (self.now - self.cut) / timedelta(days=1)

    def daytime(self, hours) -> list[datetime]:
        """The hours in which TEMPO scans the bbox (the gap report's own rule)."""
        return [h for h in hours if daytime_hours(h, h + HOUR, self.bbox)]

    # ------------------------------------------------------------------ the fault schedule
    @property
    def late_hour(self) -> datetime:
        """An older hour held back until its first backfill has passed it: published after its deadline."""
        return self.daytime(self.older)[-2]

    @property
    def incomplete_hour(self) -> datetime:
        """The older hour after the late one: at its deadline CMR lists only the scans not held with the
        late hour, so it loads incomplete; the reprocess run completes it once the rest is listed."""
        return self.daytime(self.older)[-1]

    @property
    def republished_hour(self) -> datetime:
        """A recent hour whose granules NASA republishes (revision 2) after it was loaded."""
        return self.daytime(self.recent)[-1]

    @property
    def overlap(self) -> tuple[datetime, datetime]:
        """The second backfill's range: two loaded hours the first one already ran."""
        first, second = self.daytime(self.recent)[:2]
        return first, second

    @property
    def first_scan_hour(self) -> datetime:
        """The recent day's first daytime hour: its S001 is listed after S002."""
        return self.daytime(self.recent)[0]

    def service_faults(self) -> list[dict]:
        """Counted faults (each rule serves `times` answers, then is spent): the first CMR searches
        are the older hours' looks, at their deadline."""
        return [
            {"fault": "cmr_503", "times": 3},
            {"fault": "daac_throttle", "times": 2},
            {"fault": "s3_slowdown", "times": 3},
            {"fault": "job_failed", "times": 1},
        ]

    def holds(self, late_for_s: float | None, first_scan_in_s: float) -> list[dict]:
        """The late hour (every product line) held `late_for_s` seconds (None: until released), and
        the recent day's S001 listed `first_scan_in_s` seconds from now."""
        late = self.late_hour
        first = self.first_scan_hour
        return [
            {"start": late.isoformat(), "end": (late + HOUR).isoformat(), "available_in_s": late_for_s},
            {"start": first.isoformat(), "end": (first + 3 * HOUR).isoformat(),
             "available_in_s": first_scan_in_s, "scan": 1},
        ]  # fmt: skip

    def republication(self) -> list[dict]:
        hour = self.republished_hour
        return [{"start": hour.isoformat(), "end": (hour + HOUR).isoformat(), "revision": 2}]

    # ------------------------------------------------------------------ the DAG runs' settings
    def gap_report_conf(self) -> dict:
        """The gap report's look-back covers the soak's hours, ending after its last one."""
        days = (self.recent[-1] + HOUR - self.older[0]) / timedelta(days=1)
        return {"days": days, "refill": True, "gases": list(self.gases)}

    def gap_report_date(self) -> datetime:
        return self.recent[-1] + HOUR

    def reprocess_conf(self, now: datetime) -> dict:
        days = math.ceil((now - self.older[0]) / timedelta(hours=1) + 1) / 24
        return {"days": round(days, 4), "gases": list(self.gases), "max_hours": 96}

    def final_retention_hours(self, now: datetime) -> int:
        """Slices older than the recent part go: their cut-off falls between the two parts."""
        return int((now - self.older[-1]) // HOUR)


def _last_published_day(now: datetime) -> datetime:
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    back = 1 if now.astimezone(UTC).time() >= YESTERDAY_COMPLETE_AT else 2
    return today - timedelta(days=back)
