from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shegong.regions.services import RegionImportError, parse_region_csv, regions_import


class Command(BaseCommand):
    help = (
        "Load statistical division codes from a CSV with columns code,name (UTF-8 or GBK). "
        "Parents must come in the same file or exist already. All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        raw = file.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        try:
            created, updated = regions_import(parse_region_csv(text))
        except RegionImportError as exc:
            raise CommandError("\n".join(exc.errors)) from None
        self.stdout.write(f"created {created}, updated {updated}")
