"""Background jobs of operations (Huey discovers this module in every app)."""

from .backup_tasks import nightly_backup  # noqa: F401 (registers the nightly backup)
from .heartbeat_tasks import heartbeat  # noqa: F401 (the consumers' heartbeat, task ids)
