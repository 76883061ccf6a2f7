import time

from django.core.management.base import BaseCommand

from shegong.demo import alarms, city, community, generate, institutions, juvenile
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
        parser.add_argument(
            "--districts",
            type=int,
            default=1,
            help="city scale: this many districts, at most 10: the people are made in 栾城区 "
            "(people/districts of them) and copied into generated districts",
        )
        parser.add_argument(
            "--history",
            action="store_true",
            help="a year of visits, device alarms and service orders (the city-scale volumes)",
        )

    def handle(
        self,
        *args,
        people: int,
        if_empty: bool,
        seed: int,
        districts: int,
        history: bool,
        **options,
    ):
        if if_empty and Region.objects.exists():
            self.stdout.write("Database already has data; demo seeding skipped.")
            return
        started = time.monotonic()
        generate.seed_regions_and_staff(seed)
        if districts > 1:
            added = city.generate_districts(districts, seed=seed)
            self.stdout.write(f"  city scale: {len(added)} generated districts added")
        before = Person.objects.count()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"\r  people {done:,}/{total:,} ({rate:,.0f}/s)", ending="")
            self.stdout.flush()

        if people:
            # A city: people in the first district, copied into the generated ones below.
            first = generate.DISTRICT_AREA if districts > 1 else ""
            generate.generate_people(
                people // max(districts, 1), seed=seed, progress=progress, area=first
            )
            self.stdout.write("")
            if before == 0:
                generate.plant_duplicates(seed=seed)
            if districts > 1 or history:
                self._per_district(seed, history)
            else:
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
        elif districts > 1:
            # No new people: copy the first district into generated districts still empty.
            self._per_district(seed, history, copy_only=True)
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

    def _per_district(self, seed: int, history: bool, copy_only: bool = False) -> None:
        """Programme files district by district (memory bounded by one district), and with
        ``--history`` a year of visits, alarms and service orders."""
        days = city.HISTORY_DAYS if history else generate.ELDERLY_HISTORY_DAYS
        found = city.districts()
        for n, district in enumerate(found):
            area = district.prefix
            if n and district.is_generated:
                started = time.monotonic()
                copied = city.clone_district(found[0], district, n)
                people = copied.get("people_person", 0)
                self.stdout.write(
                    f"  {district.name}: a copy of {found[0].name}, {people:,} people, "
                    f"{sum(copied.values()):,} rows ({time.monotonic() - started:.0f}s)"
                )
                continue
            if copy_only:
                continue
            started = time.monotonic()
            children = generate.generate_children(seed=seed, area=area)
            elderly = generate.generate_elderly(seed=seed, area=area, history_days=days)
            line = f"  {district.name}: {children:,} colour-card files, {elderly:,} elderly files"
            if history:
                made = city.generate_history(area, seed=seed)
                line += ", {devices:,} devices, {alarms:,} alarms, {orders:,} orders".format(**made)
            self.stdout.write(f"{line} ({time.monotonic() - started:.0f}s)")
