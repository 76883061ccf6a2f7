"""A city-scale demo data set: generated districts beside 栾城区 and years of history.

``seed_demo --districts 10 --people 3000000 --history`` makes a city of ten districts: 栾城区
and nine generated ones (演示一区 … 演示九区, codes 130191–130199, ``is_generated``) with the
same township and village numbering. The people (a tenth of them) are generated in 栾城区 with
their programme files and, under ``--history``, three years of elderly visits (about three
visits a person in all), smart devices on one old person in 25 with about one alarm per
device-month over a year, and about one service order per eight elderly files a month. Each
generated district is then a copy of 栾城区 (:func:`clone_district`): the same households,
ages, files and records in its own villages, every person with a new valid ID number of the
district's area. Generating everything person by person would take hours; a copy takes a
minute or two. Everything is generated and marked as demo data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator

from django.db import models, transaction
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.regions.models import Level, Region, under_prefix

from .generate import (
    VILLAGE_STEMS,
    _first_user_by_region,
    generate_staff,
    generate_stations,
    generate_villages,
)

CITY_NUMERALS = "一二三四五六七八九"
# Unused district codes of the city (1301xx): the generated districts take 130191 upwards.
FIRST_GENERATED_DISTRICT = 91
# One device per this many elderly files; alarms per device and month; orders per file-month.
ELDERLY_PER_DEVICE = 25
ALARMS_PER_DEVICE_MONTH = 1.0
ORDERS_PER_ELDERLY_MONTH = 1 / 8
HISTORY_MONTHS = 12
# Elderly visit history under --history: three years, about 3 visits a person as in the issue.
HISTORY_DAYS = 3 * 365


def generate_districts(total: int, *, seed: int = 7) -> list[Region]:
    """Make the city ``total`` districts: 栾城区 (loaded with the regions) and ``total - 1``
    generated ones with their townships, villages, stations and staff. Idempotent."""
    rng = random.Random(seed)
    home = Region.objects.filter(level=Level.DISTRICT).order_by("code").first()
    if home is None:
        raise ValueError("No district: load regions first.")
    home_townships = list(Region.objects.filter(level=Level.TOWNSHIP, parent=home).order_by("code"))
    created: list[Region] = []
    with transaction.atomic():
        for n in range(min(total - 1, len(CITY_NUMERALS))):
            code = f"1301{FIRST_GENERATED_DISTRICT + n:02d}000000"
            district, new = Region.objects.get_or_create(
                code=code,
                defaults={
                    "name": f"演示{CITY_NUMERALS[n]}区",
                    "level": Level.DISTRICT,
                    "parent": home.parent,
                    "is_generated": True,
                },
            )
            if not new:
                continue
            created.append(district)
            names: set[str] = set()
            while len(names) < len(home_townships):
                names.add(rng.choice(VILLAGE_STEMS) + rng.choice(VILLAGE_STEMS) + "镇")
            # The first district's township numbers: a copy of its people finds its villages.
            Region.objects.bulk_create(
                Region(
                    code=code[:6] + township.code[6:],
                    name=name,
                    level=Level.TOWNSHIP,
                    parent=district,
                    is_generated=True,
                )
                for township, name in zip(home_townships, sorted(names), strict=False)
            )
        if created:
            generate_villages(rng)
            generate_stations(rng)
            from faker import Faker

            fake = Faker("zh_CN")
            fake.seed_instance(seed)
            generate_staff(rng, fake)
    return created


def districts() -> list[Region]:
    return list(Region.objects.filter(level=Level.DISTRICT).order_by("code"))


@contextlib.contextmanager
def _keep_dates(model: type[models.Model], *names: str) -> Iterator[None]:
    """Let a bulk insert write historical values into ``auto_now_add`` fields."""
    fields = [model._meta.get_field(name) for name in names]
    saved = [(field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, (now, now_add) in zip(fields, saved, strict=True):
            field.auto_now, field.auto_now_add = now, now_add


def generate_history(
    area: str, *, seed: int = 7, months: int = HISTORY_MONTHS, now: dt.datetime | None = None
) -> dict[str, int]:
    """A year of smart-device alarms and service orders for the elderly of the region prefix
    ``area`` (one district at a time). Returns how many devices, alarms and orders it made."""
    from shegong.devices.models import (
        Alarm,
        AlarmStatus,
        Device,
        DeviceKind,
        EventType,
        Outcome,
        Severity,
        Tier,
        Vendor,
    )
    from shegong.elderly.models import (
        ElderlyProfile,
        OrderStatus,
        RequesterType,
        ServiceKind,
        ServiceOrder,
    )

    rng = random.Random(f"{seed}-{area}")
    now = now or timezone.now()
    vendor, _created = Vendor.objects.get_or_create(name="演示设备厂商（城市规模）")
    workers = _first_user_by_region(Role.VILLAGE_DIRECTOR)
    fallback = _first_user_by_region(Role.TOWNSHIP_SUPERVISOR)
    if Device.objects.filter(vendor=vendor, serial__startswith=f"CITY-{area}-").exists():
        return {"devices": 0, "alarms": 0, "orders": 0}  # this district has its history
    elderly = list(
        ElderlyProfile.objects.filter(under_prefix("person__region_id", area))
        .order_by("pk")
        .values_list("person_id", "person__region_id")
    )
    if not elderly:
        return {"devices": 0, "alarms": 0, "orders": 0}

    def worker_of(region: str):
        return workers.get(region) or fallback.get(region[:9] + "000")

    kinds = [DeviceKind.SOS_BUTTON, DeviceKind.FALL_DETECTOR, DeviceKind.SMART_WATCH]
    alarm_kinds = {
        DeviceKind.SOS_BUTTON: (EventType.SOS, Severity.CRITICAL),
        DeviceKind.FALL_DETECTOR: (EventType.FALL, Severity.CRITICAL),
        DeviceKind.SMART_WATCH: (EventType.GEOFENCE_EXIT, Severity.HIGH),
    }
    outcomes = [Outcome.FALSE_ALARM, Outcome.HANDLED_ON_SITE, Outcome.FAMILY_HANDLED]
    span = dt.timedelta(days=30 * months)
    devices, alarms, orders = 0, 0, 0
    with transaction.atomic():
        fitted = rng.sample(elderly, len(elderly) // ELDERLY_PER_DEVICE)
        batch = [
            Device(
                vendor=vendor,
                serial=f"CITY-{area}-{index:06d}",
                kind=rng.choice(kinds),
                person_id=person_id,
                bound_by=worker_of(region),
            )
            for index, (person_id, region) in enumerate(fitted)
            if worker_of(region)
        ]
        with _keep_dates(Device, "bound_at"):
            for device in batch:
                device.bound_at = now - span
            Device.objects.bulk_create(batch, batch_size=2000)
        devices = len(batch)
        region_of = dict(fitted)

        def alarm_rows() -> Iterator[Alarm]:
            for device in batch:
                kind, severity = alarm_kinds[device.kind]
                for _ in range(_poisson(rng, ALARMS_PER_DEVICE_MONTH * months)):
                    raised = now - rng.random() * span
                    waited = dt.timedelta(seconds=int(rng.expovariate(1 / 240)) + 20)
                    worker = worker_of(region_of[device.person_id])
                    yield Alarm(
                        person_id=device.person_id,
                        device=device,
                        kind=kind,
                        severity=severity,
                        status=AlarmStatus.RESOLVED,
                        tier=Tier.VILLAGE,
                        raised_at=raised,
                        ack_deadline=raised + dt.timedelta(minutes=5),
                        last_event_at=raised,
                        acknowledged_by=worker,
                        acknowledged_at=raised + waited,
                        resolved_by=worker,
                        resolved_at=raised + waited + dt.timedelta(minutes=rng.randint(10, 90)),
                        outcome=rng.choice(outcomes),
                    )

        alarms = _bulk(Alarm, alarm_rows())
        per_month = ORDERS_PER_ELDERLY_MONTH * months

        def order_rows() -> Iterator[ServiceOrder]:
            for person_id, region in elderly:
                worker = worker_of(region)
                if worker is None:
                    continue
                for _ in range(_poisson(rng, per_month)):
                    created = now - rng.random() * span
                    recent = now - created < dt.timedelta(days=14)
                    status = (
                        rng.choice([OrderStatus.REQUESTED, OrderStatus.ASSIGNED])
                        if recent
                        else rng.choice([OrderStatus.DONE, OrderStatus.RATED, OrderStatus.DONE])
                    )
                    yield ServiceOrder(
                        person_id=person_id,
                        kind=rng.choice(ServiceKind.values),
                        requested_by=worker,
                        requester_type=RequesterType.WORKER,
                        provider_user=worker,
                        status=status,
                        rating=rng.randint(3, 5) if status == OrderStatus.RATED else None,
                        due_on=(created + dt.timedelta(days=3)).date(),
                        created_at=created,
                        updated_at=created,
                    )

        with _keep_dates(ServiceOrder, "created_at", "updated_at"):
            orders = _bulk(ServiceOrder, order_rows())
    return {"devices": devices, "alarms": alarms, "orders": orders}


def _poisson(rng: random.Random, mean: float) -> int:
    """Events in a period with this mean (Knuth's method; the means here are small)."""
    if mean > 30:
        return max(int(rng.gauss(mean, mean**0.5) + 0.5), 0)
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _bulk(model: type[models.Model], rows: Iterator, size: int = 5000) -> int:
    done, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            model.objects.bulk_create(chunk)
            done, chunk = done + len(chunk), []
    if chunk:
        model.objects.bulk_create(chunk)
        done += len(chunk)
    return done


def per_district(step: Callable[[str], object], report: Callable[[str, object], None]) -> None:
    for district in districts():
        report(district.name, step(district.prefix))


# ---- copies of the first district (the fast way to a city) ---------------------------------

# What a district copy holds, in insert order: each row's person (or case, device) comes first.
CLONED = [
    ("people", "Household"),
    ("people", "Person"),
    ("people", "PersonCategory"),
    ("people", "Relation"),
    ("children", "ChildProfile"),
    ("elderly", "ElderlyProfile"),
    ("casework", "Case"),
    ("casework", "CasePlan"),
    ("casework", "CaseEvent"),
    ("casework", "Visit"),
    ("devices", "Device"),
    ("devices", "Alarm"),
    ("elderly", "ServiceOrder"),
]


def clone_district(source: Region, target: Region, n: int) -> dict[str, int]:
    """Copy the people of ``source`` (a district) and their programme records into ``target``
    (a generated district with the same township and village numbering): same households,
    names, ages, categories, files, visits, cases, devices, alarms and orders, in the target's
    villages, each person with a new valid ID number of the target's area. A copied row's id
    is the original's plus its table's offset (past the table's highest id), and so are its
    references to copied rows: they stay inside the copy. Bulk SQL: a district of 300,000
    people copies in a minute or two. Returns the rows copied per table."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    from shegong.people.models import Person

    if Person.objects.filter(under_prefix("region_id", target.prefix)).exists():
        return {}
    models_ = [apps.get_model(app, name) for app, name in CLONED]
    cloned = set(models_)
    low, high = source.prefix.ljust(12, "0"), source.prefix.ljust(12, "9")
    target_area = target.prefix
    people_table = Person._meta.db_table
    in_people = (
        f"SELECT id FROM {people_table} "  # noqa: S608 (names from the models)
        "WHERE region_id BETWEEN %s AND %s"
    )
    cases = f"case_id IN (SELECT id FROM casework_case WHERE person_id IN ({in_people}))"  # noqa: S608
    belongs = {
        "Household": ("region_id BETWEEN %s AND %s", [low, high]),
        "Person": ("region_id BETWEEN %s AND %s", [low, high]),
        "CasePlan": (cases, [low, high]),
        "CaseEvent": (cases, [low, high]),
    }
    counts: dict[str, int] = {}
    rng = random.Random(f"clone-{target.code}")

    def source_of(model) -> tuple[str, list[str]]:
        return belongs.get(model.__name__, (f"person_id IN ({in_people})", [low, high]))

    with transaction.atomic(), connection.cursor() as cursor:
        offsets = {}
        for model in models_:
            where, params = source_of(model)
            table = model._meta.db_table
            cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            cursor.execute(f"SELECT MIN(id) FROM {table} WHERE {where}", params)  # noqa: S608
            lowest = cursor.fetchone()[0] or 0
            offsets[model] = highest - lowest + 1
        for model in models_:
            columns, exprs = [], []
            for field in model._meta.concrete_fields:
                column = connection.ops.quote_name(field.column)
                columns.append(column)
                if field.primary_key:
                    exprs.append(f"{column} + {offsets[model]}")
                elif field.is_relation and field.related_model in cloned:
                    exprs.append(f"{column} + {offsets[field.related_model]}")
                elif field.is_relation and field.related_model is Region:
                    exprs.append(f"CAST(%s AS TEXT) || SUBSTR({column}, 7)")
                elif model.__name__ == "Device" and field.name == "serial":
                    exprs.append(f"{column} || CAST(%s AS TEXT)")
                else:
                    exprs.append(column)
            table = model._meta.db_table
            if model is Person:
                household = apps.get_model("people", "Household")
                counts[table] = _clone_people(
                    cursor,
                    columns,
                    (offsets[model], offsets[household]),
                    target_area,
                    low,
                    high,
                    rng,
                )
                continue
            where, params = source_of(model)
            select_params = []
            for expr in exprs:
                if expr.startswith("CAST(%s"):
                    select_params.append(target_area)
                elif expr.endswith("CAST(%s AS TEXT)"):
                    select_params.append(f"-{n}")
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names from models)
                f"SELECT {', '.join(exprs)} FROM {table} WHERE {where}",
                select_params + params,
            )
            counts[table] = cursor.rowcount
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)
    return counts


def _clone_people(cursor, columns, offsets, target_area, low, high, rng) -> int:
    """People rows in Python: each needs a new ID number (its encrypted, hashed and masked
    forms), which SQL cannot make."""
    from shegong.people import crypto, idnumbers
    from shegong.people.models import Person

    names = [c.strip('"`') for c in columns]
    table = Person._meta.db_table
    cursor.execute(
        f"SELECT {', '.join(columns)} FROM {table} "  # noqa: S608
        "WHERE region_id BETWEEN %s AND %s ORDER BY id",
        [low, high],
    )
    rows = cursor.fetchall()
    at = {name: index for index, name in enumerate(names)}
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    seen: set[str] = set()
    batch = []
    for row in rows:
        row = list(row)
        row[at["id"]] += offsets[0]
        if row[at["household_id"]] is not None:
            row[at["household_id"]] += offsets[1]
        row[at["region_id"]] = target_area + row[at["region_id"]][6:]
        birth = row[at["birth_date"]]
        if isinstance(birth, str):
            birth = dt.date.fromisoformat(birth)
        while True:
            seq = rng.randrange(0, 1000)
            if (seq % 2 == 1) != (row[at["sex"]] == "M"):
                seq = (seq + 1) % 1000
            number = idnumbers.make(target_area, birth, seq)
            digest = crypto.blind_index(number)
            if digest not in seen:
                seen.add(digest)
                break
        row[at["id_number_encrypted"]] = crypto.encrypt(number)
        row[at["id_number_hash"]] = digest
        row[at["id_number_masked"]] = crypto.mask_id_number(number)
        batch.append(row)
        if len(batch) == 5000:
            cursor.executemany(insert, batch)
            batch = []
    if batch:
        cursor.executemany(insert, batch)
    return len(rows)
