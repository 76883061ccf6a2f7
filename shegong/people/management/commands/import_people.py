from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shegong.accounts.models import User
from shegong.people import imports, roster
from shegong.people.models import Category, OnExisting
from shegong.regions.models import Region


class Command(BaseCommand):
    help = (
        "Import a roster (.xlsx, .xls, .csv in UTF-8 or GBK) into REGION. Every row is checked "
        "first; if any row has an error nothing is imported and the errors are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--region", required=True, help="12-digit code of the township or village"
        )
        parser.add_argument("--category", choices=Category.values, default="")
        parser.add_argument("--existing", choices=OnExisting.values, default=OnExisting.UPDATE)
        parser.add_argument("--dry-run", action="store_true", help="check only, change nothing")
        parser.add_argument("--user", help="act as this user (scope and audit); default: system")

    def handle(self, *args, file: Path, region: str, category: str, existing: str, **options):
        if not file.exists():
            raise CommandError(f"No file {file}")
        if not Region.objects.filter(code=region).exists():
            raise CommandError(f"No region {region}")
        by = None
        if options["user"]:
            by = User.objects.filter(username=options["user"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active user {options['user']}")
        try:
            plan, result = imports.run_file(
                path=file,
                region_code=region,
                by=by,
                category=category,
                on_existing=existing,
                dry_run=options["dry_run"],
            )
        except roster.RosterError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"rows {len(plan.roster.rows)}: new {len(plan.new)}, update {len(plan.update)}, "
            f"unchanged {len(plan.unchanged)}, errors {len(plan.error_rows)}"
        )
        for error in plan.errors:
            self.stdout.write(f"  row {error.row} [{error.column}] {error.message}")
        if plan.error_rows:
            raise CommandError("Nothing was imported: fix the rows above and run again.")
        if result is None:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(
                f"Imported: {result.created} new, {result.updated} updated, "
                f"{result.relations} guardian relations."
            )
