"""What a time-lapse runs: its days, and the instants its clock jumps to.

The README's pictures must show what an operator sees in production: hours that just ended, each loaded
when NASA lists its granules. TEMPO scans by daylight only (from about 13:20 UTC in winter to about
00:20 UTC the next day), and a session on this machine may well run at night, when the hours that just
ended are night hours. So `make screenshots` runs the whole local stack on one shifted clock
(libfaketime): it starts at noon UTC of the first of the last whole days, runs at real speed while
anything works, and, when everything waits, jumps forward to the next instant at which something can
change:
- an hour ends (the scheduler starts its run);
- a granule is listed in CMR (the scan's end + the emulator's publication delay of its line);
- a waiting hour reaches its publication deadline.
Jumps are at least one poll interval long, so every waiting sensor looks once at each such instant, as
its next poll would in production: lags come out as production's, to within one poll interval.

Pure: no service is touched here; the schedule is the emulator's own (harmony_emulator.scans).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from harmony_emulator.scans import scans_of_day

HOUR = timedelta(hours=1)
START_OF_DAY = time(12, 0)  # before the first scan of any season (summer: ~10:31 UTC ends ~11:10)
# After the last scan (~00:20-00:52 UTC), the standard line is listed and the last hour's deadline
# passes by about 04:00 UTC: a day is over for the time-lapse at this time of the next day.
END_OF_DAY = time(4, 30)
SETTLE = timedelta(seconds=5)  # past an instant: the scheduler and the triggers act on it


def first_day(now: datetime, days: int) -> date:
    """The first of the last `days` whole days whose time-lapse ends before `now`: the shifted clock
    never runs ahead of the real one."""
    if days < 1:
        raise ValueError("a time-lapse needs 1 day or more")
    last = now.astimezone(UTC).date() - timedelta(days=1)
    if datetime.combine(last + timedelta(days=1), END_OF_DAY, UTC) > now:
        last -= timedelta(days=1)
    return last - timedelta(days=days - 1)


@dataclass(frozen=True)
class TimelapsePlan:
    first_day: date
    days: int
    nrt_delay_s: float
    standard_delay_s: float
    deadline_min: float
    poll_s: float

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, START_OF_DAY, UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.first_day + timedelta(days=self.days), END_OF_DAY, UTC)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)

    def scanned_hours(self) -> list[datetime]:
        """The clock hours any scan of these days overlaps (each gas-hour the hourly DAG loads)."""
        hours: set[datetime] = set()
        for n in range(self.days):
            for scan in scans_of_day(self.first_day + timedelta(days=n)):
                hour = scan.start.replace(minute=0, second=0, microsecond=0)
                while hour < scan.end:
                    hours.add(hour)
                    hour += HOUR
        return sorted(hours)

    def events(self) -> list[datetime]:
        """Every instant at which something can change, in order, within the time-lapse."""
        found: set[datetime] = set()
        hour = self.start
        while hour <= self.end:
            found.add(hour)
            hour += HOUR
        for n in range(self.days):
            for scan in scans_of_day(self.first_day + timedelta(days=n)):
                found.add(scan.end + timedelta(seconds=self.nrt_delay_s))
                found.add(scan.end + timedelta(seconds=self.standard_delay_s))
        for hour in self.scanned_hours():
            found.add(hour + HOUR + timedelta(minutes=self.deadline_min))
        return sorted(t + SETTLE for t in found if self.start <= t <= self.end)

    def instants(self) -> list[datetime]:
        """The clock's jumps: each event, but never less than one poll interval after the jump before
        (a sensor's next look is at most that far off)."""
        jumps: list[datetime] = []
        for event in self.events():
            if jumps and event < jumps[-1] + timedelta(seconds=self.poll_s):
                event = jumps[-1] + timedelta(seconds=self.poll_s)
                if event > self.end:
                    break
                if event in jumps:
                    continue
            if not jumps or event > jumps[-1]:
                jumps.append(event)
        return jumps

    def waiting_shot_at(self) -> datetime:
        """When the "Waiting now" picture is taken: the last day's 19:00 run has started, its hour's
        near-real-time granules and the standard ones of the hours before are not yet listed."""
        return datetime.combine(self.last_day, time(19, 0), UTC)
