"""Background jobs of the people registry (Huey). Each is safe to run again."""

import datetime as dt

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shegong.accounts.models import User
from shegong.progress import progress_set

from . import exports, imports, retention


@db_task()
def check_import(job_id: int) -> None:
    imports.import_job_check(job_id)


@db_task()
def run_import(job_id: int, user_id: int) -> None:
    imports.import_job_commit(job_id, by=User.objects.get(pk=user_id))


@db_task()
def run_export(job_id: int) -> None:
    exports.export_job_run(
        job_id, progress=lambda done, total: progress_set(f"export:{job_id}", "export", done, total)
    )


@db_periodic_task(crontab(minute="*"))
def resume_stalled_imports() -> None:
    """A check or import whose worker was killed runs again (one indexed query when none)."""
    imports.import_jobs_resume_stalled()


@db_periodic_task(crontab(hour="2", minute="30"))
def purge_files() -> None:
    """Files with ID numbers are kept only as long as the work needs them (PIPL)."""
    imports.import_files_purge(older_than=dt.timedelta(days=settings.SHEGONG_IMPORT_FILE_DAYS))
    exports.export_files_purge(older_than=dt.timedelta(hours=settings.SHEGONG_EXPORT_FILE_HOURS))


@db_periodic_task(crontab(hour="3", minute="15"))
def anonymise_departed() -> None:
    """People past the retention period after leaving are anonymised every night (PIPL)."""
    retention.anonymise_departed()
