"""Background jobs of the monthly reports (Huey). Each is safe to run again."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@db_task()
def generate_report(report_id: int) -> None:
    services.report_generate(report_id)


@db_periodic_task(crontab(minute="*"))
def resume_stuck_reports() -> None:
    """A report whose worker was killed is generated again (one indexed query when none)."""
    services.reports_resume_stuck()


def first_of_month_at_0230_shanghai(timestamp: dt.datetime) -> bool:
    """Huey hands periodic checks the time in UTC (naive): 02:30 on the first of the month in
    Asia/Shanghai is 18:30 UTC on the last day of the month before, which a crontab cannot
    say."""
    local = timestamp.replace(tzinfo=dt.UTC).astimezone(SHANGHAI)
    return (local.day, local.hour, local.minute) == (1, 2, 30)


@db_periodic_task(first_of_month_at_0230_shanghai)
def monthly_reports() -> None:
    """Last month's report of the district and of every township."""
    services.monthly_reports_run()
