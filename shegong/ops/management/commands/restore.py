"""manage.py restore FILE: restore a snapshot into an empty database (see shegong/ops/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shegong.ops.backup import BackupError
from shegong.ops.restore import backup_restore


class Command(BaseCommand):
    help = "Restore a snapshot file into an empty database and an empty uploads folder."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a shegong-….backup file")

    def handle(self, *args, **options):
        try:
            result = backup_restore(path=options["file"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        for warning in result.warnings:
            self.stderr.write(warning)
        self.stdout.write(
            _(
                "Restored %(tables)d tables, %(rows)d rows and %(files)d uploaded files in "
                "%(seconds).1f s; every table's row count matches the backup. Run `migrate` "
                "if this version of shegong is newer than the backup."
            )
            % {
                "tables": result.tables,
                "rows": result.rows,
                "files": result.media_files,
                "seconds": result.seconds,
            }
        )
