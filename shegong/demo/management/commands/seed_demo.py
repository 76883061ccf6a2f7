import time

from django.core.management.base import BaseCommand

from shegong.demo import alarms, community, generate, institutions, juvenile
from shegong.demo.generate import DEMO_ACCOUNTS
from shegong.people.models import Person
from shegong.regions.models import Region


class Command(BaseCommand):
    help = (
        "Generate demo data (marked 演示数据): 栾城区 and its 7 townships, 173 generated villages, "
        "stations, staff, the demo accounts and N generated people."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=3000, help="how many people to add")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when regions already exist"
        )
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, people: int, if_empty: bool, seed: int, **options):
        if if_empty and Region.objects.exists():
            self.stdout.write("Database already has data; demo seeding skipped.")
            return
        started = time.monotonic()
        generate.seed_regions_and_staff(seed)
        before = Person.objects.count()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"\r  people {done:,}/{total:,} ({rate:,.0f}/s)", ending="")
            self.stdout.flush()

        if people:
            generate.generate_people(people, seed=seed, progress=progress)
            self.stdout.write("")
            if before == 0:
                generate.plant_duplicates(seed=seed)
            children = generate.generate_children(seed=seed)
            self.stdout.write(f"  colour-card files for {children:,} children")
            elderly = generate.generate_elderly(seed=seed)
            self.stdout.write(f"  elderly files for {elderly:,} old people, with visits")
            devices = alarms.generate_devices(seed=seed)
            self.stdout.write(f"  smart devices on {devices:,} old people, with a day of events")
            referrals = juvenile.generate_juvenile(seed=seed)
            self.stdout.write(f"  partner agencies, {referrals} juvenile referrals in every state")
            contracts = institutions.generate_institutions(seed=seed)
            self.stdout.write(f"  elderly-care institutions, {contracts} contracts with ledgers")
            held = community.generate_community(seed=seed)
            self.stdout.write(f"  community linkage: libraries, volunteers, {held} activities")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Demo data ready: {Region.objects.count()} regions, "
            f"{Person.objects.count() - before:,} people added in {elapsed:.1f}s."
        )
        self.stdout.write(
            "Demo accounts (password: shegong-demo unless SHEGONG_DEMO_PASSWORD is set):"
        )
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:20} {account.role}")
