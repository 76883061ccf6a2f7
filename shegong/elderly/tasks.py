"""Background jobs of elderly care (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import visits


# Huey matches crontabs against UTC: 22:10 UTC is 06:10 in Asia/Shanghai, before the reminders.
@db_periodic_task(crontab(hour="22", minute="10"))
def refresh_visit_schedule() -> int:
    """Every morning: files whose visit tier changed with time get (or lose) their due date."""
    return visits.visits_refresh()
