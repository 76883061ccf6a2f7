from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shegong.devices import services


class Command(BaseCommand):
    help = "Register a device vendor's platform and print its key and secret (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the vendor's name, e.g. 'Acme Care Devices'")

    def handle(self, *args, name: str, **options):
        try:
            vendor, secret = services.vendor_create(name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"vendor: {vendor.name}")
        self.stdout.write(f"key:    {vendor.key}")
        self.stdout.write(f"secret: {secret}")
        self.stderr.write("Keep the secret safe: it is not shown again.")
