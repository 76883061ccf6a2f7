"""The personal-data export (PIPL access request): everything held about one person, only for
those who may change the person's record, written to the access log."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone
from openpyxl import load_workbook

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.casework.models import Case, CaseNote
from shegong.factories import HouseholdFactory, PersonFactory, RelationFactory
from shegong.people import personal_data, services
from shegong.people.models import Person
from shegong.testing import login

URL = "/api/v1/people/{}/personal-data"


def person_fk_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every (model, field) that points at a person, from the schema (the brief's rule)."""
    return [
        (model, f)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if f.is_relation and f.concrete and f.related_model is Person and model is not Person
    ]


class Builder:
    """One row of any model with the fewest values its columns require: an existing row for a
    foreign key when there is one (regions, users, the instrument), else a new one."""

    def __init__(self, *, region, user, other):
        # A second person for a record's other person field (a relation's relative).
        self.fixed = {"regions.Region": region, "accounts.User": user, "people.Person": other}
        self.n = 0

    # Values a model's check constraints need beyond its required columns.
    EXTRA = {"community.ResourceLink": ("organisation",)}

    def row(self, model: type[models.Model], **values):
        for name in self.EXTRA.get(model._meta.label, ()):
            values.setdefault(name, self.value(model._meta.get_field(name)))
        for f in model._meta.concrete_fields:
            if f.primary_key or f.name in values or f.has_default() or f.null:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            values[f.name] = self.value(f)
        return model._default_manager.create(**values)

    def related(self, model: type[models.Model]):
        label = model._meta.label
        if label in self.fixed:
            return self.fixed[label]
        return model._default_manager.first() or self.row(model)

    def value(self, f: models.Field):
        self.n += 1
        if f.is_relation:
            return self.related(f.related_model)
        if f.choices:
            return f.choices[0][0]
        if isinstance(f, models.JSONField):
            return {}
        if isinstance(f, (models.DateTimeField,)):
            return timezone.now()
        if isinstance(f, models.DateField):
            return timezone.localdate()
        if isinstance(f, models.DecimalField):
            return Decimal("1")
        if isinstance(f, (models.IntegerField, models.FloatField)):
            return 1
        if isinstance(f, models.BooleanField):
            return False
        if isinstance(f, models.FileField):
            return "test/file.txt"
        if isinstance(f, models.GenericIPAddressField):
            return "127.0.0.1"
        if isinstance(f, models.EmailField):
            return f"x{self.n}@example.com"
        return f"x{self.n}"[: f.max_length or 20]


@pytest.fixture
def admin(make_user, regions):
    return make_user(Role.DISTRICT_ADMIN, username="pipl-admin")


@pytest.fixture
def everything(regions, admin, person):
    """The person with one row of every model that points at a person."""
    other = PersonFactory(region=regions.village)
    builder = Builder(region=regions.village, user=admin, other=other)
    made = {}
    for model, f in person_fk_fields():
        if model._meta.label in made and not f.many_to_many:
            continue
        if f.many_to_many:
            row = made.get(model._meta.label) or builder.row(model)
            getattr(row, f.name).add(person)
        else:
            row = builder.row(model, **{f.name: person})
        made[model._meta.label] = row
    return made


def export_json(client, user, person_id) -> dict:
    login(client, user)
    response = client.post(f"/people/{person_id}/personal-data/")
    assert response.status_code == 200, response.status_code
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["personal-data.json", "personal-data.xlsx"]
    return json.loads(archive.read("personal-data.json"))


def test_every_model_that_points_at_a_person_is_in_the_export(client, admin, person, everything):
    document = export_json(client, admin, person.pk)
    missing = [
        label
        for label, row in everything.items()
        if row.pk not in {r["id"] for r in document["sections"].get(label, {}).get("rows", [])}
    ]
    assert not missing, f"models pointing at a person but not exported: {missing}"


def test_the_export_holds_the_full_numbers_household_relations_records_and_history(
    client, admin, regions
):
    household = HouseholdFactory(region=regions.village, address="东庄村3号")
    person = services.person_create(
        by=admin,
        data={
            "name": "李秀英",
            "id_number": "130111195003051222",
            "region_code": regions.village.code,
            "phone": "13812345678",
            "categories": ["dibao"],
            "notes": '=HYPERLINK("http://x")',
        },
    )
    services.household_join(by=admin, person=person, household=household)
    guardian = PersonFactory(region=regions.village, name="李强")
    RelationFactory(person=person, relative=guardian, kind="child")
    case = Case.objects.create(person=person, programme="elderly", owner=admin, reason="独居")
    CaseNote.objects.create(case=case, text="每周探访", author=admin)
    document = export_json(client, admin, person.pk)
    sections = document["sections"]
    me = sections["people.Person"]["rows"][0]
    assert me["id_number"] == "130111195003051222"
    assert me["phone"] == "13812345678"
    assert "id_number_hash" not in me and "id_number_masked" not in me
    assert me["household"]["id"] == household.pk
    assert [r["category"] for r in sections["people.PersonCategory"]["rows"]] == ["dibao"]
    assert sections["people.Relation"]["rows"][0]["relative"]["label"] == "李强"
    assert sections["casework.CaseNote"]["rows"][0]["text"] == "每周探访"
    history = sections["auditlog.LogEntry"]["rows"]
    assert any("phone_masked" in row["changes"] for row in history)
    assert any(row["object"] == f"people.household#{household.pk}" for row in history) is False
    # The workbook: one sheet per kind, formulas neutralised.
    login(client, admin)
    response = client.post(f"/people/{person.pk}/personal-data/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    workbook = load_workbook(io.BytesIO(archive.read("personal-data.xlsx")))
    # The about sheet, then a sheet per kind (now with the first export in the access log).
    assert len(workbook.sheetnames) == len(sections) + 2
    assert workbook.sheetnames[1] == sections["people.Person"]["title"]
    values = [c for row in workbook.worksheets[1].iter_rows(values_only=True) for c in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert "130111195003051222" in values


def test_the_export_is_written_to_the_access_log(client, admin, person):
    export_json(client, admin, person.pk)
    entry = AccessLog.objects.get(action=AccessAction.EXPORT, person=person)
    assert entry.user == admin
    assert entry.field == "personal_data"


def test_the_api_answers_the_json_document_and_logs_it(client, admin, person, bearer):
    response = client.get(URL.format(person.pk), headers=bearer(admin))
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == personal_data.FORMAT
    assert body["sections"]["people.Person"]["rows"][0]["name"] == person.name
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, person=person).count() == 1


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.VILLAGE_DIRECTOR, "sibling_village"),  # a registry role, another village
        (Role.TOWNSHIP_WORKER, "other_township"),
        (Role.VIEWER, "district"),  # aggregates only
        (Role.VOLUNTEER, "village"),
        (Role.COUNSELOR, "district"),
    ],
)
def test_users_outside_the_persons_area_or_without_registry_rights_get_404(
    client, make_user, regions, person, bearer, role, where
):
    user = make_user(role, region=getattr(regions, where))
    login(client, user)
    assert client.post(f"/people/{person.pk}/personal-data/").status_code == 404
    assert client.get(URL.format(person.pk), headers=bearer(user)).status_code == 404
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_the_village_director_exports_their_own_villager(client, village_director, person):
    document = export_json(client, village_director, person.pk)
    assert document["person_id"] == person.pk


def test_it_rejects_get_on_the_page(client, admin, person):
    login(client, admin)
    assert client.get(f"/people/{person.pk}/personal-data/").status_code == 405


def test_confidential_notes_stay_out_for_a_worker_who_may_not_read_them(
    client, make_user, regions, person, admin
):
    case = Case.objects.create(person=person, programme="elderly", owner=admin)
    CaseNote.objects.create(case=case, text="公开", author=admin)
    CaseNote.objects.create(case=case, text="保密", author=admin, confidential=True)
    director = make_user(Role.VILLAGE_DIRECTOR, region=regions.village)
    texts = {
        r["text"]
        for r in export_json(client, director, person.pk)["sections"]["casework.CaseNote"]["rows"]
    }
    assert texts == {"公开"}


def test_a_juvenile_referral_of_the_person_is_exported_to_the_programme_only(
    client, make_user, regions, admin
):
    from shegong.juvenile.models import Agency, Referral
    from shegong.people import crypto

    minor = PersonFactory(
        region=regions.village, birth_date=dt.date(2012, 5, 1), id_number="130111201205010015"
    )
    agency = Agency.objects.create(
        name="栾城区人民检察院", kind="procuratorate", region=regions.district
    )
    referral = Referral.objects.create(
        agency=agency,
        region=regions.village,
        case_number="栾检未〔2026〕1号",
        minor_name=minor.name,
        sex="M",
        birth_date=minor.birth_date,
        id_number_encrypted=crypto.encrypt("130111201205010015"),
        case_summary="盗窃",
        procedural_status="investigation",
        due_on=timezone.localdate(),
        referred_by=admin,
    )
    juvenile_worker = make_user(Role.CENTER_WORKER, region=regions.district)
    juvenile_worker.memberships.update(programmes=["juvenile"])
    sections = export_json(client, juvenile_worker, minor.pk)["sections"]
    assert [r["id"] for r in sections["juvenile.Referral"]["rows"]] == [referral.pk]
    director = make_user(Role.VILLAGE_DIRECTOR, region=regions.village)
    assert "juvenile.Referral" not in export_json(client, director, minor.pk)["sections"]
