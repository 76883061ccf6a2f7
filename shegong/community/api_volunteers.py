"""GET /api/v1/community/volunteers: scoped and paginated like people.

Each volunteer carries ``registered`` and ``hours`` (approved hours, summed in the database);
the national number only when registered, the phone only for those who may change the record.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shegong.accounts import scope
from shegong.paging import MAX_PAGE

from . import volunteers_selectors as selectors
from .models import Volunteer

router = Router(tags=["community"])


class VolunteerOut(Schema):
    id: int
    name: str
    region_code: str
    region_name: str
    registered: bool
    national_number: str | None
    hours: float
    tasks_count: int
    skills: str
    availability: str
    joined_on: dt.date
    is_active: bool
    person_id: int | None
    phone: str | None
    is_demo: bool
    version: int


class VolunteerPage(Schema):
    items: list[VolunteerOut]
    count: int
    page: int
    page_size: int


class VolunteerQuery(Schema):
    q: str = ""
    region: str = ""
    registered: str = Field("", description="true/1 registered only, false/0 not registered")
    skill: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


def _out(volunteer: Volunteer, user) -> dict:
    writer = scope.can_write_region(user, volunteer.region_id)
    return {
        "id": volunteer.pk,
        "name": volunteer.name,
        "region_code": volunteer.region_id,
        "region_name": volunteer.region.name,
        "registered": volunteer.registered,
        "national_number": volunteer.national_number if volunteer.registered else None,
        "hours": float(volunteer.approved_hours),
        "tasks_count": volunteer.task_count,
        "skills": volunteer.skills,
        "availability": volunteer.availability,
        "joined_on": volunteer.joined_on,
        "is_active": volunteer.is_active,
        "person_id": volunteer.person_id,
        "phone": volunteer.phone if writer else None,
        "is_demo": volunteer.is_demo,
        "version": volunteer.version,
    }


@router.get("/volunteers", response=VolunteerPage, summary="Volunteers in your scope")
def list_volunteers(request: HttpRequest, query: Query[VolunteerQuery]):
    filters = selectors.VolunteerFilters(
        q=query.q,
        region=query.region,
        registered={"true": "1", "false": "0"}.get(query.registered.lower(), query.registered),
        skill=query.skill,
    )
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.volunteer_page(
        fetched_by=request.auth, filters=filters, page=query.page, page_size=size
    )
    return {
        "items": [_out(v, request.auth) for v in items],
        "count": count,
        "page": query.page,
        "page_size": size,
    }
