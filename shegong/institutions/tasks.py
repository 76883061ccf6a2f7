"""Background jobs of the institutions app (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import alerts


# 22:40 UTC is 06:40 in Asia/Shanghai: the bureau sees yesterday's custody warnings first thing.
@db_periodic_task(crontab(hour="22", minute="40"))
def tell_bureau_of_custody_warnings() -> int:
    return alerts.tell_bureau_all()
