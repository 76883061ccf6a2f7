"""The nightly backup (Huey); registered through tasks.py, which Huey discovers."""

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.exceptions import TaskLockedException

from .backup import backup_create, backup_prune

logger = logging.getLogger("shegong.backup")


# Huey matches crontabs against UTC: 17:30 UTC is 01:30 in Asia/Shanghai, the quietest hour.
@db_periodic_task(crontab(hour="17", minute="30"))
def nightly_backup() -> str:
    """Every night: one snapshot into SHEGONG_BACKUP_DIR, then keep the newest
    SHEGONG_BACKUP_KEEP. One run at a time: a second worker (or a retry) that finds the lock
    taken does nothing."""
    try:
        with HUEY.lock_task("ops-nightly-backup"):
            result = backup_create()
            deleted = backup_prune()
    except TaskLockedException:
        logger.info("backup skipped: another one is running")
        return ""
    logger.info(
        "backup written: %s (%d bytes, %.1f s); %d old snapshots deleted",
        result.path,
        result.size,
        result.seconds,
        len(deleted),
    )
    return str(result.path)
