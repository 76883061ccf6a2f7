"""Background jobs of the dashboard (Huey)."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.exceptions import TaskLockedException

from . import warm


@db_periodic_task(crontab(minute="*"))
def warm_figures() -> int:
    """Every minute: recount the changed figures of this month's dashboards (see warm.py).
    One run at a time: while a slow run goes on, the next minute's skips."""
    try:
        with HUEY.lock_task("dashboard-warm"):
            return warm.warm()
    except TaskLockedException:
        return 0
