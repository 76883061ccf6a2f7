"""/api/v1/children: the instrument, recording assessments, the scoped colour-card list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from shegong.paging import MAX_PAGE
from shegong.people import selectors as people_selectors

from . import scoring, selectors, services

router = Router(tags=["children"])


class OptionOut(Schema):
    value: str
    label: str
    score: int
    emergency: bool


class ItemOut(Schema):
    key: str
    text: str
    dimension: str
    emergency: bool  # true when any answer to this item is an emergency (makes the card red)
    options: list[OptionOut]


class DimensionOut(Schema):
    key: str
    name: str
    weight: Decimal


class InstrumentOut(Schema):
    version: int
    name: str
    red_from: int
    orange_from: int
    dimensions: list[DimensionOut]
    items: list[ItemOut]


class AssessmentIn(Schema):
    answers: dict[str, str]
    override_colour: str = ""
    override_reason: str = ""


class AssessmentOut(Schema):
    id: int
    colour: str
    computed_colour: str
    total: Decimal
    dimensions: dict[str, Decimal]
    drivers: list[dict]
    instrument_version: int


class FieldErrors(Schema):
    detail: list[dict]


class ChildOut(Schema):
    person_id: int
    name: str = Field(..., alias="person.name")
    region_code: str = Field(..., alias="person.region_id")
    region_name: str = Field(..., alias="person.region.name")
    colour: str
    colour_since: dt.datetime | None
    next_visit_due: dt.date | None
    next_assessment_due: dt.date | None
    director_id: int | None
    supervisor_id: int | None
    version: int


class ChildPage(Schema):
    items: list[ChildOut]
    count: int
    page: int
    page_size: int


class ChildrenQuery(Schema):
    colour: str = ""
    region: str = ""
    q: str = ""
    overdue: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


@router.get("", response=ChildPage, summary="Colour-card files in your scope")
def list_children(request: HttpRequest, query: Query[ChildrenQuery]):
    filters = selectors.ChildFilters(
        q=query.q,
        region=query.region,
        colour=query.colour,
        overdue=query.overdue if query.overdue in selectors.OVERDUE_CHOICES else "",
    )
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.child_page(
        fetched_by=request.auth, filters=filters, page=query.page, page_size=size
    )
    return {"items": items, "count": count, "page": query.page, "page_size": size}


@router.get("/instrument", response=InstrumentOut, summary="The assessment instrument in use")
def get_instrument(request: HttpRequest):
    spec = scoring.InstrumentSpec.load(services.current_instrument())
    instrument = spec.instrument
    return {
        "version": instrument.version,
        "name": instrument.name,
        "red_from": instrument.red_from,
        "orange_from": instrument.orange_from,
        "dimensions": [
            {"key": key, "name": name, "weight": weight} for key, name, weight in spec.dimensions
        ],
        "items": [
            {
                "key": item.key,
                "text": item.text,
                "dimension": item.dimension,
                "emergency": any(e for _label, _score, e in item.options.values()),
                "options": [
                    {"value": value, "label": label, "score": score, "emergency": emergency}
                    for value, (label, score, emergency) in item.options.items()
                ],
            }
            for item in spec.items.values()
        ],
    }


@router.post(
    "/{int:person_id}/assessments",
    response={201: AssessmentOut, 422: FieldErrors},
    summary="Record an assessment; missing or unknown answers are 422 naming them",
)
def create_assessment(request: HttpRequest, person_id: int, payload: AssessmentIn):
    # Scope first: an out-of-scope child is 404 whatever the answers.
    person = people_selectors.get_person_for_user(request.auth, person_id, write=True)
    assessment = services.assessment_record(
        by=request.auth,
        person=person,
        answers=payload.answers,
        override_colour=payload.override_colour,
        override_reason=payload.override_reason,
    )
    return Status(
        201,
        {
            "id": assessment.pk,
            "colour": assessment.colour,
            "computed_colour": assessment.computed_colour,
            "total": assessment.total,
            "dimensions": assessment.dimension_scores,
            "drivers": assessment.drivers,
            "instrument_version": assessment.instrument.version,
        },
    )
