from django.core import management
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="17"))
def clear_expired_sessions() -> None:
    """Expired sessions hold nothing useful; drop them nightly."""
    management.call_command("clearsessions")
