"""Anonymise people past the retention period after they left (the nightly job, by hand)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from shegong.people import retention


class Command(BaseCommand):
    help = "Anonymise people who left longer ago than SHEGONG_RETENTION_DAYS (PIPL retention)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would be anonymised; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        run = retention.anonymise_departed(dry_run=dry_run)
        self.stdout.write(
            _("Retention %(days)s days: people who left before %(day)s (%(statuses)s).")
            % {
                "days": retention.retention_days(),
                "day": run.cutoff.isoformat(),
                "statuses": ", ".join(retention.departed_statuses()),
            }
        )
        done = _("%(n)s would be anonymised.") if dry_run else _("%(n)s anonymised.")
        self.stdout.write(done % {"n": len(run.anonymised)})
        self.stdout.write(_("%(n)s held:") % {"n": len(run.held)})
        for reason, count in sorted(run.held_by_reason.items()):
            self.stdout.write(f"  {count} {reason}")
        if run.held:
            ids = ", ".join(str(pk) for pk in sorted(run.held))
            self.stdout.write("  " + _("held person ids: %(ids)s") % {"ids": ids})
        self.stdout.write(
            _("%(n)s left on an unknown day (never anonymised automatically).")
            % {"n": run.unknown_left_on}
        )
