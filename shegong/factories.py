"""factory_boy factories for tests: regions, users with memberships, people with valid IDs."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from shegong.accounts.models import Membership, Role, User
from shegong.people import crypto, idnumbers
from shegong.people.models import Household, Person, PersonCategory, Relation, RelationKind
from shegong.regions.models import Region, Station
from shegong.regions.services import level_of, parent_code, station_name

PASSWORD = "Test-password-42"
DISTRICT_AREA = "130111"


def born_years_ago(years: int, *, extra_days: int = 30) -> dt.date:
    """A birth date that makes the person exactly ``years`` old today (``extra_days`` past)."""
    today = dt.date.today()
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return anniversary - dt.timedelta(days=extra_days)


def _parent_of(code: str) -> Region | None:
    parent = parent_code(code)
    return RegionFactory(code=parent) if parent else None


class RegionFactory(DjangoModelFactory):
    """A region; its parents (township, district) are created when missing."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"130111100{201 + n % 700:03d}")
    name = factory.LazyAttribute(lambda o: f"测试{o.code[-3:]}村")
    level = factory.LazyAttribute(lambda o: level_of(o.code))
    parent = factory.LazyAttribute(lambda o: _parent_of(o.code))


class StationFactory(DjangoModelFactory):
    class Meta:
        model = Station

    region = factory.SubFactory(RegionFactory)
    name = factory.LazyAttribute(lambda o: station_name(o.region))


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.VILLAGE_DIRECTOR
    region = factory.SubFactory(RegionFactory)


def _sequence_for(n: int, sex: str) -> int:
    """The three-digit sequence of an ID number: odd for men, even for women."""
    return (n % 500) * 2 + (1 if sex == "M" else 0)


class PersonFactory(DjangoModelFactory):
    """A person stored the way the services store one: encrypted, hashed and masked.

    Pass ``id_number=`` to choose the number (it must agree with ``birth_date`` and ``sex``), and
    ``categories=[...]`` to record categories.
    """

    class Meta:
        model = Person
        skip_postgeneration_save = True

    class Params:
        id_number = factory.LazyAttributeSequence(
            lambda o, n: idnumbers.make(DISTRICT_AREA, o.birth_date, _sequence_for(n, o.sex))
        )
        phone = ""

    name = factory.Faker("name", locale="zh_CN")
    sex = "M"
    birth_date = factory.Sequence(lambda n: dt.date(1970, 1, 1) + dt.timedelta(days=n))
    region = factory.SubFactory(RegionFactory)
    id_number_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.id_number))
    id_number_hash = factory.LazyAttribute(lambda o: crypto.blind_index(o.id_number))
    id_number_masked = factory.LazyAttribute(lambda o: crypto.mask_id_number(o.id_number))
    phone_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.phone))
    phone_hash = factory.LazyAttribute(lambda o: crypto.blind_index(o.phone))
    phone_masked = factory.LazyAttribute(lambda o: crypto.mask_phone(o.phone))

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            PersonCategory.objects.bulk_create(
                PersonCategory(person=self, category=code) for code in extracted
            )


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    region = factory.SubFactory(RegionFactory)
    number = factory.Sequence(lambda n: f"H{n:05d}")


class RelationFactory(DjangoModelFactory):
    class Meta:
        model = Relation

    person = factory.SubFactory(PersonFactory)
    relative = factory.SubFactory(PersonFactory)
    kind = RelationKind.PARENT
