"""What a scheduled job is: a name, a function `job(*, now) -> summary`, a trigger and a
line saying what it does. The table of jobs is lms.scheduler.JOBS; each job's code lives
in its feature's `jobs.py`; lms.runner runs them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[..., object]
    trigger: BaseTrigger
    summary: str

    def describe(self) -> str:
        return f"{describe_trigger(self.trigger)}: {self.summary}"


def describe_trigger(trigger: BaseTrigger) -> str:
    """'every minute', 'every day at 03:15 (Europe/London)', or APScheduler's own words."""
    if isinstance(trigger, IntervalTrigger):
        seconds = int(trigger.interval.total_seconds())
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds % size == 0:
                count = seconds // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    if isinstance(trigger, CronTrigger):
        fields = {field.name: str(field) for field in trigger.fields}
        daily = all(fields[name] == "*" for name in ("year", "month", "day", "week", "day_of_week"))
        if daily and fields["hour"].isdigit() and fields["minute"].isdigit() and fields["second"] == "0":
            return f"every day at {int(fields['hour']):02d}:{int(fields['minute']):02d} ({trigger.timezone})"
    return str(trigger)


def summarise(result: object) -> str:
    """A job's summary as one line: a dict as "key value, ...", None as "done"."""
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items()) or "nothing to do"
    return "done" if result is None else str(result)
