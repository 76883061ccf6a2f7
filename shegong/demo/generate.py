"""Generated demo data: villages, stations, staff, demo accounts and a people registry.

Everything here is invented (Faker zh_CN, valid but fictitious ID numbers) and marked as demo:
villages carry ``is_generated``, people ``is_demo``. Bulk inserts keep 300,000 people in minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from faker import Faker

from shegong.accounts.models import Membership, Role, User
from shegong.people import crypto, idnumbers
from shegong.people.models import (
    Category,
    DisabilityKind,
    Household,
    Person,
    PersonCategory,
    Relation,
    RelationKind,
)
from shegong.regions.models import Level, Region
from shegong.regions.services import load_bundled_regions, station_ensure

# 173 villages over the 7 townships, as the district publishes.
VILLAGES_PER_TOWNSHIP = [30, 25, 26, 24, 22, 24, 22]
VILLAGE_STEMS = list(
    "东西南北前后大小新高马王李张刘赵杨郭韩孙周吴郑冯陈褚卫蒋沈朱秦许何吕施"
    "孔曹严金魏陶姜谢邹喻柏窦章苏潘葛范彭鲁韦昌苗方任袁柳鲍史唐费岑薛雷贺倪汤"
)
VILLAGE_SUFFIXES = ["庄村", "家庄村", "营村", "屯村", "寨村", "堡村", "店村", "河村", "口村"]
ROOMS = ["综合办公室", "技能图书室", "心理咨询室", "儿童之家活动室", "老年日间照料室"]
DISTRICT_AREA = "130111"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    region: str  # "district", "township" or "village": resolved to the first of that level


DEMO_ACCOUNTS = [
    DemoAccount("demo-district", "演示·区管理员", Role.DISTRICT_ADMIN, "district"),
    DemoAccount("demo-center", "演示·中心社工", Role.CENTER_WORKER, "district"),
    DemoAccount("demo-township", "演示·乡镇督导员", Role.TOWNSHIP_SUPERVISOR, "township"),
    DemoAccount("demo-village", "演示·村儿童主任", Role.VILLAGE_DIRECTOR, "village"),
    DemoAccount("demo-volunteer", "演示·志愿者", Role.VOLUNTEER, "village"),
    DemoAccount("demo-viewer", "演示·领导查看", Role.VIEWER, "district"),
]


def generate_villages(rng: random.Random) -> list[Region]:
    townships = list(Region.objects.filter(level=Level.TOWNSHIP).order_by("code"))
    created = []
    for township, count in zip(townships, VILLAGES_PER_TOWNSHIP, strict=False):
        if township.children.exists():
            continue
        names: set[str] = set()
        while len(names) < count:
            names.add(
                rng.choice(VILLAGE_STEMS) + rng.choice(VILLAGE_STEMS) + rng.choice(VILLAGE_SUFFIXES)
            )
        for index, name in enumerate(sorted(names), start=1):
            created.append(
                Region(
                    code=f"{township.code[:9]}{200 + index:03d}",
                    name=name,
                    level=Level.VILLAGE,
                    parent=township,
                    is_generated=True,
                )
            )
    Region.objects.bulk_create(created)
    return created


def generate_stations(rng: random.Random) -> None:
    """A station for the centre, every township and nearly every village (gaps are real)."""
    for region in Region.objects.order_by("code"):
        if region.level == Level.VILLAGE and rng.random() < 0.03:
            continue  # a few villages have not set up their station yet
        station_ensure(
            region,
            address=f"{region.parent.name if region.parent else ''}{region.name}委员会院内",
            opening_hours="周一至周五 8:30–12:00, 14:30–17:30",
            rooms=ROOMS[:3] if region.level == Level.VILLAGE else ROOMS,
        )


def _staff_user(fake: Faker, username: str) -> User:
    user = User(username=username, full_name=fake.name())
    user.set_unusable_password()  # generated staff show up in coverage but cannot log in
    return user


def generate_staff(rng: random.Random, fake: Faker) -> None:
    """Generated staff with a few deliberate gaps, so the coverage page has something to show."""
    needs = {
        Level.TOWNSHIP: [Role.TOWNSHIP_SUPERVISOR, Role.TOWNSHIP_WORKER, Role.TOWNSHIP_WORKER],
        Level.VILLAGE: [Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT],
    }
    users: list[User] = []
    pending: list[tuple[int, str, str]] = []
    for region in Region.objects.exclude(level=Level.DISTRICT).order_by("code"):
        for n, role in enumerate(needs[region.level]):
            if rng.random() < 0.06:
                continue
            username = f"staff-{region.code}-{n}"
            if User.objects.filter(username=username).exists():
                continue
            users.append(_staff_user(fake, username))
            pending.append((len(users) - 1, role, region.code))
    User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        Membership(user=users[i], role=role, region_id=code) for i, role, code in pending
    )


def ensure_demo_accounts() -> list[User]:
    first = {
        "district": Region.objects.filter(level=Level.DISTRICT).order_by("code").first(),
        "township": Region.objects.filter(level=Level.TOWNSHIP).order_by("code").first(),
        "village": Region.objects.filter(level=Level.VILLAGE).order_by("code").first(),
    }
    accounts = []
    for spec in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={"full_name": spec.full_name, "is_demo_account": True},
        )
        if created:
            # Set directly: the demo password is documented and need not meet the policy.
            user.set_password(settings.SHEGONG_DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, role=spec.role, region=first[spec.region])
        accounts.append(user)
    return accounts


def _birth_date(rng: random.Random, today: dt.date) -> dt.date:
    """A county's age mix, skewed to the old and the young that the stations serve."""
    roll = rng.random()
    if roll < 0.22:
        age = rng.randint(0, 17)
    elif roll < 0.52:
        age = rng.randint(60, 98)
    else:
        age = rng.randint(18, 59)
    return today - dt.timedelta(days=age * 365 + rng.randint(0, 364))


def _categories(rng: random.Random, age: int, household_size: int) -> list[str]:
    cats = []
    if rng.random() < 0.06:
        cats.append(Category.DIBAO)
    if rng.random() < 0.06:
        cats.append(Category.DISABLED)
    if age < 18:
        if rng.random() < 0.12:
            cats.append(Category.LEFT_BEHIND_CHILD)
        if rng.random() < 0.06:
            cats.append(Category.CHILD_IN_DIFFICULTY)
        if rng.random() < 0.005:
            cats.append(Category.ORPHAN)
    elif age >= 60:
        if rng.random() < 0.03:
            cats.append(Category.TEKUN)
        if household_size == 1:
            cats.append(Category.LIVING_ALONE)
        elif household_size == 2 and rng.random() < 0.5:
            cats.append(Category.EMPTY_NEST)
        if rng.random() < 0.04:
            cats.append(Category.DISABLED_ELDERLY)
    return cats


class IdNumbers:
    """Unique, valid, fictitious ID numbers for the district's area code."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set(
            Person.objects.values_list("id_number_hash", flat=True)
        )  # hashes of existing numbers

    def draw(self, birth: dt.date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            number = idnumbers.make(DISTRICT_AREA, birth, seq)
            digest = crypto.blind_index(number)
            if digest not in self.used:
                self.used.add(digest)
                return number


def _people_rows(
    count: int, rng: random.Random, fake: Faker, villages: list[Region]
) -> Iterator[tuple[Person, list[str], int]]:
    """Yield (person, categories, household key) with households of 1–5 in one village."""
    today = dt.date.today()
    ids = IdNumbers(rng)
    household_key = 0
    remaining_in_household = 0
    household_size = 1
    village = villages[0]
    for _ in range(count):
        if remaining_in_household == 0:
            household_key += 1
            household_size = rng.choice([1, 2, 2, 3, 3, 4, 4, 5])
            remaining_in_household = household_size
            village = rng.choice(villages)
            address = f"{village.parent.name}{village.name}{rng.randint(1, 300)}号"
        remaining_in_household -= 1
        sex = rng.choice("MF")
        birth = _birth_date(rng, today)
        number = ids.draw(birth, sex)
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else ""
        age = (today - birth).days // 365
        cats = _categories(rng, age, household_size)
        person = Person(
            # zh_CN's name_male() mixes in female given names; build the name from its parts.
            name=fake.last_name()
            + (fake.first_name_male() if sex == "M" else fake.first_name_female()),
            sex=sex,
            birth_date=birth,
            id_number_encrypted=crypto.encrypt(number),
            id_number_hash=crypto.blind_index(number),
            id_number_masked=crypto.mask_id_number(number),
            phone_encrypted=crypto.encrypt(phone),
            phone_hash=crypto.blind_index(phone),
            phone_masked=crypto.mask_phone(phone),
            region_id=village.code,
            address=address,
            is_demo=True,
        )
        if Category.DISABLED in cats:
            person.disability_kind = rng.choice(DisabilityKind.values)
            person.disability_grade = rng.randint(1, 4)
        yield person, cats, household_key


def generate_people(count: int, *, seed: int = 7, batch: int = 5000, progress=None) -> int:
    """Insert ``count`` generated people with households, categories and guardians."""
    rng = random.Random(seed + Person.objects.count())
    fake = Faker("zh_CN")
    fake.seed_instance(seed + Person.objects.count())
    villages = list(Region.objects.filter(level=Level.VILLAGE).select_related("parent"))
    if not villages:
        raise ValueError("No villages: load regions first.")
    done = 0
    rows = _people_rows(count, rng, fake, villages)
    while done < count:
        chunk = [next(rows) for _ in range(min(batch, count - done))]
        with transaction.atomic():
            _insert_chunk(chunk, rng)
        done += len(chunk)
        if progress:
            progress(done, count)
    return done


def _insert_chunk(chunk: list[tuple[Person, list[str], int]], rng: random.Random) -> None:
    keys = sorted({key for _, _, key in chunk})
    first_of = {}
    for person, _, key in chunk:
        first_of.setdefault(key, person)
    households = [
        Household(region_id=first_of[key].region_id, address=first_of[key].address) for key in keys
    ]
    Household.objects.bulk_create(households)
    by_key = dict(zip(keys, households, strict=True))
    for person, _, key in chunk:
        person.household = by_key[key]
    people = Person.objects.bulk_create([p for p, _, _ in chunk])
    if people and people[0].pk is None:
        # Backends that do not return ids from bulk inserts: read them back by hash.
        ids = dict(
            Person.objects.filter(
                id_number_hash__in=[p.id_number_hash for p in people]
            ).values_list("id_number_hash", "pk")
        )
        for person in people:
            person.pk = ids[person.id_number_hash]
    PersonCategory.objects.bulk_create(
        PersonCategory(person=person, category=c) for person, cats, _ in chunk for c in cats
    )
    _link_guardians(chunk, rng)


def _link_guardians(chunk: list[tuple[Person, list[str], int]], rng: random.Random) -> None:
    """In each household, the oldest adult is a child's primary guardian."""
    today = dt.date.today()
    members: dict[int, list[Person]] = {}
    for person, _, key in chunk:
        members.setdefault(key, []).append(person)
    relations = []
    for people in members.values():
        adults = sorted(
            (p for p in people if (today - p.birth_date).days >= 18 * 365),
            key=lambda p: p.birth_date,
        )
        children = [p for p in people if (today - p.birth_date).days < 18 * 365]
        if not adults:
            continue
        for child in children:
            guardian = adults[0]
            gap = (child.birth_date - guardian.birth_date).days / 365
            kind = RelationKind.GRANDPARENT if gap > 45 else RelationKind.PARENT
            relations.append(
                Relation(person=child, relative=guardian, kind=kind, is_primary_guardian=True)
            )
            if len(adults) > 1 and rng.random() < 0.5:
                relations.append(
                    Relation(person=child, relative=adults[1], kind=RelationKind.PARENT)
                )
    Relation.objects.bulk_create(relations)


def plant_duplicates(count: int = 6, *, seed: int = 7) -> int:
    """A few records registered twice with a mistyped ID number, for the duplicates review."""
    rng = random.Random(seed)
    originals = list(Person.objects.filter(is_demo=True).order_by("pk")[: count * 50 : 50])
    planted = []
    for original in originals:
        number = crypto.decrypt(original.id_number_encrypted)
        position = rng.randrange(14, 17)  # a slip in the sequence digits
        digit = str((int(number[position]) + rng.randint(1, 9)) % 10)
        first17 = number[:position] + digit + number[position + 1 : 17]
        if (int(first17[16]) % 2 == 1) != (original.sex == "M"):
            continue  # the slip would change the sex; skip this one
        typo = first17 + idnumbers.check_char(first17)
        digest = crypto.blind_index(typo)
        if Person.objects.filter(id_number_hash=digest).exists():
            continue
        planted.append(
            Person(
                name=original.name,
                sex=original.sex,
                birth_date=original.birth_date,
                id_number_encrypted=crypto.encrypt(typo),
                id_number_hash=digest,
                id_number_masked=crypto.mask_id_number(typo),
                region_id=original.region_id,
                address=original.address,
                is_demo=True,
                notes="演示：重复登记（身份证号录入错误）",
            )
        )
    Person.objects.bulk_create(planted)
    return len(planted)


def seed_regions_and_staff(seed: int = 7) -> None:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    with transaction.atomic():
        load_bundled_regions()
        generate_villages(rng)
        generate_stations(rng)
        generate_staff(rng, fake)
        ensure_demo_accounts()
