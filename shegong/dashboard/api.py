"""/api/v1/stats: the dashboard figures as JSON for upper-level systems, within the caller's
scope. Only aggregates: viewers may call it."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from shegong.community.forms_activities import FIRST_DAY, LAST_DAY
from shegong.elderly.visits import month_bounds

from . import figures, selectors

router = Router(tags=["stats"])


class OverviewQuery(Schema):
    region: str = ""
    start: dt.date | None = Field(None, alias="from", ge=FIRST_DAY, le=LAST_DAY)
    end: dt.date | None = Field(None, alias="to", ge=FIRST_DAY, le=LAST_DAY)


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Default: this month; ``from`` alone runs to the end of this month, ``to`` alone starts
    on the first of its month."""
    if end is None:
        end = month_bounds(timezone.localdate())[1]
    if start is None:
        start = end.replace(day=1)
    return start, end


@router.get("/overview")
def overview(request: HttpRequest, query: Query[OverviewQuery]):
    """Every dashboard figure of a region (default: the caller's widest area) for a period
    (default: this month), with the keys that add up over child regions and the per-township
    (per-village) rows, which for those keys add up exactly to the figures."""
    area = selectors.area_for(request.auth, query.region)
    start, end = _period(query.start, query.end)
    if start > end:
        raise ValidationError(
            [{"loc": ["query", "from"], "msg": "from is after to", "type": "value_error"}]
        )
    found = selectors.region_of(area)
    return {
        "region": {"code": found.code, "name": found.name, "level": found.level},
        "from": start,
        "to": end,
        "figures": figures.overview(area=area, start=start, end=end),
        "additive": list(figures.ADDITIVE),
        "breakdown": figures.breakdown(area=area, start=start, end=end),
    }
