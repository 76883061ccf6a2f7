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

from shegong.accounts.models import Membership, Programme, Role, User
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
from shegong.regions.models import Level, Region, under_prefix
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
    # Programmes named on the membership. Empty means all, except closed programmes (juvenile),
    # which a membership reaches only by naming them.
    programmes: tuple[str, ...] = ()


DEMO_ACCOUNTS = [
    DemoAccount(
        "demo-district",
        "演示·区管理员",
        Role.DISTRICT_ADMIN,
        "district",
        tuple(Programme.values),  # all, juvenile included: approves its reports
    ),
    DemoAccount("demo-center", "演示·中心社工", Role.CENTER_WORKER, "district"),
    DemoAccount("demo-township", "演示·乡镇督导员", Role.TOWNSHIP_SUPERVISOR, "township"),
    DemoAccount("demo-village", "演示·村儿童主任", Role.VILLAGE_DIRECTOR, "village"),
    DemoAccount("demo-volunteer", "演示·志愿者", Role.VOLUNTEER, "village"),
    DemoAccount("demo-viewer", "演示·领导查看", Role.VIEWER, "district"),
    DemoAccount(
        "demo-juvenile", "演示·涉案未成年人社工", Role.CENTER_WORKER, "district", ("juvenile",)
    ),
    DemoAccount("demo-procuratorate", "演示·检察院联络员", Role.AGENCY_LIAISON, "district"),
    DemoAccount("demo-institution", "演示·养老机构", Role.INSTITUTION_OPERATOR, "district"),
    DemoAccount("demo-bank", "演示·银行", Role.BANK_OFFICER, "district"),
]


def generate_villages(rng: random.Random) -> list[Region]:
    townships = list(Region.objects.filter(level=Level.TOWNSHIP).order_by("code"))
    created = []
    # The n-th township of each district gets the n-th count (a generated district of the
    # city-scale set looks like this one).
    rank: dict[str, int] = {}
    for township in townships:
        district = township.code[:6]
        rank[district] = rank.get(district, -1) + 1
        count = VILLAGES_PER_TOWNSHIP[rank[district] % len(VILLAGES_PER_TOWNSHIP)]
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
        membership, _created = Membership.objects.get_or_create(
            user=user, role=spec.role, region=first[spec.region]
        )
        if set(spec.programmes) - set(membership.programmes or ()):
            membership.programmes = list(spec.programmes)
            membership.save(update_fields=["programmes"])
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

    def draw(self, birth: dt.date, sex: str, area: str = DISTRICT_AREA) -> str:
        while True:
            seq = self.rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            number = idnumbers.make(area, birth, seq)
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
        number = ids.draw(birth, sex, village.code[:6])
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


def generate_people(
    count: int, *, seed: int = 7, batch: int = 5000, progress=None, area: str = ""
) -> int:
    """Insert ``count`` generated people with households, categories and guardians, spread
    over the villages (of the region prefix ``area``, all when empty)."""
    rng = random.Random(seed + Person.objects.count())
    fake = Faker("zh_CN")
    fake.seed_instance(seed + Person.objects.count())
    villages = list(
        Region.objects.filter(under_prefix("code", area), level=Level.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )
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


# ---- colour cards (minors protection) -----------------------------------------------------------

# Published archives look like 272 red / 278 orange / 88 blue: most profiled children are at risk.
COLOUR_MIX = [("red", 0.43), ("orange", 0.44), ("blue", 0.13)]
CHILD_CATEGORIES = {
    Category.CHILD_IN_DIFFICULTY: ["poverty", "neglect", "disability", "unsupported"],
    Category.LEFT_BEHIND_CHILD: ["left_behind"],
    Category.ORPHAN: ["orphan"],
    Category.DIBAO: ["poverty"],
    Category.DISABLED: ["disability"],
}
VISIT_NOTES = [
    "孩子情绪稳定，学习正常",
    "祖母身体欠佳，照料吃力",
    "家中卫生较差，已联系村委",
    "孩子不愿交流，需心理支持",
]


def _answers_for(spec, colour: str, rng: random.Random) -> dict[str, str]:
    """Answers a real assessment of a child of this colour could give: mostly low, some
    items raised until the total lands in the colour's band; some reds by an emergency."""
    instrument = spec.instrument
    low = {
        key: min(item.options, key=lambda v: item.options[v][1]) for key, item in spec.items.items()
    }
    answers = dict(low)
    if colour == "red" and rng.random() < 0.35:
        key, value = rng.choice(
            [(k, v) for k, i in spec.items.items() for v, o in i.options.items() if o[2]]
        )
        answers[key] = value
        return answers
    bands = {
        "blue": (2, instrument.orange_from - 1),
        "orange": (instrument.orange_from, instrument.red_from - 1),
        "red": (instrument.red_from, instrument.red_from + 12),
    }
    target = rng.randint(*bands[colour])
    total = 0
    keys = list(spec.items)
    rng.shuffle(keys)
    for key in keys:
        choices = [
            (value, score)
            for value, (_label, score, emergency) in spec.items[key].options.items()
            if not emergency and 0 < score <= target - total
        ]
        if choices:
            value, score = rng.choice(choices)
            answers[key] = value
            total += score
        if total >= target:
            break
    return answers


def _first_user_by_region(role: str) -> dict[str, User]:
    """The first user (demo accounts sort first) holding ``role``, by region code."""
    found: dict[str, User] = {}
    memberships = (
        Membership.objects.filter(role=role, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    for membership in memberships:
        found.setdefault(membership.region_id, membership.user)
    return found


def _parents(difficulties: list[str], rng: random.Random) -> tuple[str, str]:
    from shegong.children.models import ParentSituation as P

    if "orphan" in difficulties:
        return P.DECEASED, P.DECEASED
    if "left_behind" in difficulties:
        return P.WORKING_AWAY, P.WORKING_AWAY
    return rng.choice(P.values), rng.choice([P.PRESENT, P.WORKING_AWAY, P.ILL])


def _years_ago(years: int, today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def generate_children(*, seed: int = 7, area: str = "") -> int:
    """Colour-card files for demo children in difficulty: assessments with a realistic colour
    mix, the village director and township supervisor as responsible where they exist, open
    cases for the red ones, and visits (some overdue). Bulk inserts: seeding stays fast."""
    from shegong.accounts.models import Programme
    from shegong.casework.models import Case, CaseEvent, CaseEventKind, CasePlan, Visit, VisitMode
    from shegong.children import scoring, services
    from shegong.children.models import ChildProfile, Colour, RiskAssessment

    rng = random.Random(seed)
    instrument = services.instrument_ensure_default()
    spec = scoring.InstrumentSpec.load(instrument)
    rules = {colour: services.rule_for(colour) for colour in Colour.values}
    today = dt.date.today()
    children = (
        Person.objects.filter(
            under_prefix("region_id", area),
            is_demo=True,
            birth_date__gt=_years_ago(18, today),
            child_profile__isnull=True,
        )
        .select_related("region")
        .prefetch_related("categories")
        .order_by("pk")
    )
    directors = _first_user_by_region(Role.VILLAGE_DIRECTOR)
    supervisors = _first_user_by_region(Role.TOWNSHIP_SUPERVISOR)
    fallback = (
        User.objects.filter(memberships__role=Role.CENTER_WORKER).order_by("username").first()
    )
    if fallback is None:
        return 0
    profiles: list[ChildProfile] = []
    for person in children:
        cats = {c.category for c in person.categories.all()}
        if not (
            cats & {Category.CHILD_IN_DIFFICULTY, Category.LEFT_BEHIND_CHILD, Category.ORPHAN}
            or (cats and rng.random() < 0.5)
            or rng.random() < 0.03
        ):
            continue
        difficulties = {"left_behind"} if Category.LEFT_BEHIND_CHILD in cats else set()
        for category in cats - {Category.LEFT_BEHIND_CHILD}:
            if category in CHILD_CATEGORIES:
                difficulties.add(rng.choice(CHILD_CATEGORIES[category]))
        colour = rng.choices([c for c, _w in COLOUR_MIX], [w for _c, w in COLOUR_MIX])[0]
        father, mother = _parents(sorted(difficulties), rng)
        profiles.append(
            ChildProfile(
                person=person,
                difficulties=sorted(difficulties) or ["poverty"],
                father=father,
                mother=mother,
                guardian_capacity={"red": "none", "orange": "limited"}.get(colour, "adequate"),
                guardian_notes="演示：祖辈照料" if "left_behind" in difficulties else "",
                school=f"{person.region.name.removesuffix('村')}小学" if person.age >= 6 else "",
                grade=f"{min(person.age - 5, 9)}年级" if person.age >= 6 else "",
                director=directors.get(person.region_id),
                supervisor=supervisors.get(person.region_id[:9] + "000"),
                colour=colour,  # the planned colour; the latest assessment's replaces it
            )
        )
    if not profiles:
        return 0
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        ChildProfile.objects.bulk_create(profiles)
        assessments: list[RiskAssessment] = []
        visits: list[Visit] = []
        cases: list[Case] = []
        for profile in profiles:
            worker = profile.director or fallback
            rule = rules[profile.colour]
            # Some were assessed long enough ago that their reassessment is overdue.
            days_ago = rng.randint(1, rule.reassess_every_days + 30)
            history = [(days_ago, profile.colour)]
            if rng.random() < 0.3:  # an earlier grade: the archive shows changes over time
                history.append((days_ago + rng.randint(30, 120), rng.choice(Colour.values)))
            for ago, graded in reversed(history):
                answers = _answers_for(spec, graded, rng)
                result = scoring.score(spec, answers)
                assessment = RiskAssessment(
                    child=profile,
                    instrument=instrument,
                    answers=answers,
                    total=result.total,
                    dimension_scores={k: str(v) for k, v in result.dimensions.items()},
                    drivers=result.drivers,
                    computed_colour=result.colour,
                    colour=result.colour,
                    assessed_by=worker,
                )
                assessment.when = now - dt.timedelta(days=ago, hours=rng.randint(0, 8))
                assessments.append(assessment)
            latest = assessments[-1]
            rule = rules[latest.colour]
            profile.colour, profile.colour_since = latest.colour, latest.when
            assessed_on = latest.when.date()
            last_visit = None
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                visited = assessed_on + dt.timedelta(days=rng.randint(0, days_ago - 1))
                visits.append(
                    Visit(
                        person_id=profile.person_id,
                        programme=Programme.MINORS,
                        visited_on=visited,
                        mode=rng.choice([VisitMode.HOME, VisitMode.HOME, VisitMode.PHONE]),
                        visited_by=worker,
                        seen="儿童及监护人",
                        observations=rng.choice(VISIT_NOTES),
                    )
                )
                last_visit = max(last_visit or visited, visited)
            profile.next_visit_due = (last_visit or assessed_on) + dt.timedelta(
                days=rule.visit_every_days
            )
            profile.next_assessment_due = assessed_on + dt.timedelta(days=rule.reassess_every_days)
            if rule.case_within_hours is not None:
                cases.append(
                    Case(
                        person_id=profile.person_id,
                        programme=Programme.MINORS,
                        owner=worker,
                        reason="演示：红卡，自动开案",
                    )
                )
        RiskAssessment.objects.bulk_create(assessments)
        for assessment in assessments:  # bulk_update skips auto_now_add: the dates stay
            assessment.assessed_at = assessment.when
        RiskAssessment.objects.bulk_update(assessments, ["assessed_at"], batch_size=500)
        ChildProfile.objects.bulk_update(
            profiles,
            ["colour", "colour_since", "next_visit_due", "next_assessment_due"],
            batch_size=500,
        )
        Visit.objects.bulk_create(visits)
        Case.objects.bulk_create(cases)
        opened = list(
            Case.objects.filter(
                person_id__in=[c.person_id for c in cases], programme=Programme.MINORS
            )
        )
        CasePlan.objects.bulk_create(CasePlan(case=case) for case in opened)
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case=case,
                kind=CaseEventKind.OPENED,
                to_value="intake",
                note=case.reason,
                by_id=case.owner_id,
            )
            for case in opened
        )
    return len(profiles)


# ---- elderly care: files and visits (探访关爱) -------------------------------------------------

ELDERLY_SITUATIONS = {
    Category.LIVING_ALONE: "alone",
    Category.EMPTY_NEST: "empty_nest",
    Category.DISABLED_ELDERLY: "incapacitated",
    Category.FAMILY_PLANNING_SPECIAL: "special_family",
}
ELDERLY_VISIT_NOTES = [
    "老人精神状态良好，饮食正常",
    "血压偏高，已提醒按时服药",
    "家中取暖设施已检查，无隐患",
    "子女每周来电，情绪稳定",
    "行动不便，建议申请助餐服务",
]
# How much of the history each visit tier gets: enough for this month and this quarter.
ELDERLY_HISTORY_DAYS = 150


def _elderly_visit_days(
    rng: random.Random, *, start: dt.date, today: dt.date, every: int, diligence: float
) -> list[dt.date]:
    """Visit days from ``start`` to today: most due visits happen a little early, some are
    missed or late; ``diligence`` (per village) is the share that happens on time."""
    days = []
    day = start + dt.timedelta(days=rng.randint(0, max(every - 1, 0)))
    while day <= today:
        if rng.random() < diligence:
            days.append(day)
            day += dt.timedelta(days=rng.randint(max(every * 2 // 3, 1), every))
        else:
            day += dt.timedelta(days=rng.randint(max(every // 2, 1), every))
    return days


def generate_elderly(
    *, seed: int = 7, area: str = "", history_days: int = ELDERLY_HISTORY_DAYS
) -> int:
    """Elderly files for the demo's old people (living situations from their registry
    categories, a few with cognitive impairment or just alarmed / discharged), and visits over
    the last months with a diligence that differs by village, so the monthly visit rate page
    shows villages at, near and below the target. Bulk inserts: seeding stays fast."""
    from shegong.accounts.models import Programme
    from shegong.casework.models import Visit, VisitMode
    from shegong.elderly import visits
    from shegong.elderly.models import ElderlyProfile, HighRiskReason

    rng = random.Random(seed)
    today = dt.date.today()
    old_people = (
        Person.objects.filter(
            under_prefix("region_id", area),
            is_demo=True,
            birth_date__lte=_years_ago(60, today),
            elderly__isnull=True,
        )
        .prefetch_related("categories")
        .order_by("pk")
    )
    directors = _first_user_by_region(Role.VILLAGE_DIRECTOR)
    assistants = _first_user_by_region(Role.VILLAGE_ASSISTANT)
    fallback = (
        User.objects.filter(memberships__role=Role.CENTER_WORKER).order_by("username").first()
    )
    if fallback is None:
        return 0
    diligence: dict[str, float] = {}
    profiles: list[ElderlyProfile] = []
    planned: list[tuple[ElderlyProfile, list[dt.date], User]] = []
    for person in old_people:
        cats = {c.category for c in person.categories.all()}
        situations = sorted({ELDERLY_SITUATIONS[c] for c in cats if c in ELDERLY_SITUATIONS})
        if Category.DISABLED in cats and (person.disability_grade or 9) <= 2:
            situations.append("severely_disabled")
        profile = ElderlyProfile(
            person=person,
            living_situations=situations,
            cognitive_impairment=rng.random() < (0.25 if "alone" in situations else 0.05),
        )
        if rng.random() < 0.02:
            since = today - dt.timedelta(days=rng.randint(0, 12))
            profile.high_risk_since = since
            profile.high_risk_until = since + dt.timedelta(days=visits.high_risk_days())
            profile.high_risk_reason = rng.choice([HighRiskReason.ALARM, HighRiskReason.DISCHARGED])
        tier = visits.visit_tier(profile, today=today)
        profiles.append(profile)
        if tier == visits.Tier.NONE:
            continue
        every = visits.visit_days()[tier]
        village = person.region_id
        rate = diligence.setdefault(village, rng.choice([1.0, 0.97, 0.92, 0.85, 0.7, 0.55]))
        start = today - dt.timedelta(days=history_days)
        if profile.high_risk_since:
            start = profile.high_risk_since
        days = _elderly_visit_days(rng, start=start, today=today, every=every, diligence=rate)
        worker = rng.choice(
            [u for u in (directors.get(village), assistants.get(village)) if u] or [fallback]
        )
        if days:
            profile.next_visit_due = days[-1] + dt.timedelta(days=every)
        elif profile.high_risk_since:
            profile.next_visit_due = profile.high_risk_since + dt.timedelta(days=1)
        else:
            profile.next_visit_due = today - dt.timedelta(days=rng.randint(0, 30))
        planned.append((profile, days, worker))
    if not profiles:
        return 0
    with transaction.atomic():
        ElderlyProfile.objects.bulk_create(profiles, batch_size=1000)
        Visit.objects.bulk_create(
            (
                Visit(
                    person_id=profile.person_id,
                    programme=Programme.ELDERLY,
                    visited_on=day,
                    mode=rng.choice([VisitMode.HOME, VisitMode.HOME, VisitMode.PHONE]),
                    visited_by=worker,
                    seen="老人本人",
                    observations=rng.choice(ELDERLY_VISIT_NOTES),
                )
                for profile, days, worker in planned
                for day in days
            ),
            batch_size=1000,
        )
    return len(profiles)
