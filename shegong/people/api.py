from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from shegong.accounts import scope
from shegong.paging import MAX_PAGE

from . import personal_data, selectors, services
from .models import Person

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: dt.date
    age: int
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    id_number_masked: str
    phone_masked: str
    address: str
    household_id: int | None
    status: str
    categories: list[str] = Field(..., alias="category_codes")
    disability_kind: str
    disability_grade: int | None
    notes: str
    is_demo: bool
    version: int


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int


class PersonIn(Schema):
    name: str
    id_number: str
    region_code: str
    sex: str | None = None
    birth_date: dt.date | None = None
    phone: str = ""
    address: str = ""
    household_id: int | None = None
    status: str = "active"
    categories: list[str] = []
    disability_kind: str = ""
    disability_grade: int | None = None
    notes: str = ""


class PersonPatch(Schema):
    version: int
    name: str | None = None
    id_number: str | None = None
    region_code: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    phone: str | None = None
    address: str | None = None
    household_id: int | None = None
    status: str | None = None
    categories: list[str] | None = None
    disability_kind: str | None = None
    disability_grade: int | None = None
    notes: str | None = None


class Conflict(Schema):
    detail: str
    existing_id: int | None = None
    current_version: int | None = None


class FieldErrors(Schema):
    detail: list[dict]


class PeopleQuery(Schema):
    q: str = ""
    region: str = ""
    category: str = ""
    status: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


@router.get("", response=PersonPage, summary="Search people in your scope")
def list_people(request: HttpRequest, query: Query[PeopleQuery]):
    filters = selectors.PeopleFilters(
        q=query.q, region=query.region, category=query.category, status=query.status
    )
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.person_page(
        fetched_by=request.auth, filters=filters, page=query.page, page_size=size
    )
    return {"items": items, "count": count, "page": query.page, "page_size": size}


@router.get("/{int:person_id}", response=PersonOut, summary="One person (404 outside your scope)")
def get_person(request: HttpRequest, person_id: int):
    person = selectors.get_person_for_user(request.auth, person_id)
    services.person_record_read(by=request.auth, person=person, request=request)
    return person


@router.post(
    "",
    response={201: PersonOut, 409: Conflict, 422: FieldErrors},
    summary="Register a person",
)
def create_person(request: HttpRequest, payload: PersonIn):
    try:
        person = services.person_create(by=request.auth, data=payload.dict())
    except services.DuplicatePerson as exc:
        return Status(409, {"detail": str(exc), "existing_id": None})
    return Status(201, _reload(person))


@router.patch(
    "/{int:person_id}",
    response={200: PersonOut, 409: Conflict, 422: FieldErrors},
    summary="Change a person; send the version you read (409 when stale)",
)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch):
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    try:
        person = services.person_update(
            by=request.auth, person_id=person_id, version=version, changes=changes
        )
    except services.StaleVersion as exc:
        return Status(409, {"detail": str(exc), "current_version": exc.current_version})
    except services.DuplicatePerson as exc:
        return Status(409, {"detail": str(exc)})
    return Status(200, _reload(person))


@router.get(
    "/{int:person_id}/personal-data",
    summary="Everything held about one person (PIPL access request); written to the access log",
    description=(
        "The JSON document of the personal-data export: `sections` by model label, each with "
        "`title`, `columns` and `rows` (foreign keys as `{id, model, label}`), the change history "
        "under `auditlog.LogEntry`. Only for users who may change the person (404 otherwise)."
    ),
)
def get_personal_data(request: HttpRequest, person_id: int) -> dict:
    scope.require_registry_reader(request.auth)
    person = selectors.get_person_for_user(request.auth, person_id, write=True)
    data = personal_data.personal_data_export(by=request.auth, person=person, request=request)
    return data.as_json()


def _reload(person: Person) -> Person:
    return Person.objects.select_related("region").prefetch_related("categories").get(pk=person.pk)
