"""/api/v1/community/organisations and /professionals: the district's library, paginated like
people (``items``, ``count``, ``page``, ``page_size``; the same page size).

The same rules as the pages (see :mod:`.libraries`): registry staff read their district's whole
library; viewers get the count and no items; anyone else 404.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from shegong.accounts import scope
from shegong.paging import MAX_PAGE

from . import libraries
from .models import Organisation

router = Router()


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    contact_name: str
    contact_phone: str
    services: str
    service_area: str
    joined_on: dt.date | None
    incubation_stage: str | None
    links_count: int
    linked: bool

    @staticmethod
    def resolve_incubation_stage(obj: Organisation) -> str | None:
        incubation = getattr(obj, "incubation", None)
        return incubation.stage if incubation is not None else None

    @staticmethod
    def resolve_linked(obj: Organisation) -> bool:
        return obj.links_count > 0


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    count: int
    page: int
    page_size: int


class OrganisationQuery(Schema):
    kind: str = ""
    status: str = ""
    q: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


class ProfessionalOut(Schema):
    id: int
    name: str
    profession: str
    qualification: str
    organisation_id: int | None
    organisation_name: str | None
    skills: str
    availability: str
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    is_active: bool

    @staticmethod
    def resolve_organisation_name(obj) -> str | None:
        return obj.organisation.name if obj.organisation_id else None


class ProfessionalPage(Schema):
    items: list[ProfessionalOut]
    count: int
    page: int
    page_size: int


class ProfessionalQuery(Schema):
    profession: str = ""
    q: str = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


def _page(request: HttpRequest, page: int, page_of, count_of, filters) -> dict:
    """A page of the library for staff; the count alone for viewers; 404 for anyone else."""
    user = request.auth
    size = settings.SHEGONG_PAGE_SIZE
    if scope.can_read_registry(user):
        items, count = page_of(fetched_by=user, filters=filters, page=page, page_size=size)
    elif scope.can_see_aggregates(user):
        items, count = [], count_of(fetched_by=user, filters=filters)
    else:
        raise Http404
    return {"items": items, "count": count, "page": page, "page_size": size}


@router.get(
    "/organisations",
    response=OrganisationPage,
    summary="The district's organisation library (viewers: the count only)",
)
def list_organisations(request: HttpRequest, query: Query[OrganisationQuery]):
    filters = libraries.OrganisationFilters(
        kind=query.kind.strip(), status=query.status.strip(), q=query.q.strip()
    )
    return _page(
        request,
        query.page,
        libraries.organisation_page,
        libraries.organisation_count,
        filters,
    )


@router.get(
    "/professionals",
    response=ProfessionalPage,
    summary="The district's professionals (viewers: the count only)",
)
def list_professionals(request: HttpRequest, query: Query[ProfessionalQuery]):
    filters = libraries.ProfessionalFilters(profession=query.profession.strip(), q=query.q.strip())
    return _page(
        request,
        query.page,
        libraries.professional_page,
        libraries.professional_count,
        filters,
    )
