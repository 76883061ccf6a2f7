"""GET /api/v1/community/activities: scoped and paginated like people, every figure computed in
SQL (one subquery per figure, never a query per row)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from shegong.paging import MAX_PAGE

from . import activities_selectors as selectors

router = Router()


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    date: dt.date
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    place: str
    target_group: str
    participants_count: int
    head_count: int
    # What the activity counts now: fixed at closing, 0 when cancelled, else the rule.
    person_times: int = Field(..., alias="counted_person_times")
    volunteers_count: int
    is_demo: bool
    version: int


class ActivityPage(Schema):
    items: list[ActivityOut]
    count: int
    page: int
    page_size: int


class ActivityQuery(Schema):
    kind: str = ""
    status: str = ""
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    region: str = ""
    target: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


@router.get("/activities", response=ActivityPage, summary="Activities organised in your scope")
def list_activities(request: HttpRequest, query: Query[ActivityQuery]):
    filters = selectors.ActivityFilters(
        kind=query.kind,
        status=query.status,
        date_from=query.date_from,
        date_to=query.date_to,
        region=query.region,
        target=query.target,
    )
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.activity_page(
        fetched_by=request.auth, filters=filters, page=query.page, page_size=size
    )
    return {"items": items, "count": count, "page": query.page, "page_size": size}


@router.get(
    "/activities/{int:activity_id}",
    response=ActivityOut,
    summary="One activity (404 outside your scope)",
)
def get_activity(request: HttpRequest, activity_id: int):
    listed = selectors.activity_list(fetched_by=request.auth, filters=selectors.ActivityFilters())
    found = listed.filter(pk=activity_id).first()
    if found is None:
        raise Http404
    return found
