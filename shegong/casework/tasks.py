"""Background jobs of casework (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


# Huey matches crontabs against UTC: 22:30 UTC is 06:30 in Asia/Shanghai, before the working day.
@db_periodic_task(crontab(hour="22", minute="30"))
def send_reminders() -> int:
    """Every morning: each worker is told once about what is overdue or due today."""
    return services.reminders_send()
