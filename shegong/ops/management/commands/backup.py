"""manage.py backup [--output DIR]: write one encrypted snapshot (see ops/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shegong.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write one consistent, encrypted snapshot of the database and the uploaded files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help="directory for the snapshot (default SHEGONG_BACKUP_DIR)"
        )

    def handle(self, *args, **options):
        try:
            result = backup_create(output_dir=options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = result.manifest
        self.stdout.write(
            _(
                "Backup written: %(path)s (%(size).1f MB, %(tables)d tables, %(rows)d rows, "
                "%(files)d uploaded files, %(seconds).1f s)"
            )
            % {
                "path": result.path,
                "size": result.size / 1e6,
                "tables": len(manifest["tables"]),
                "rows": manifest["rows"],
                "files": manifest["media_files"],
                "seconds": result.seconds,
            }
        )
