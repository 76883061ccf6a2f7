"""Casework API: one case with its plan, approvals and trail; recording a visit."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from shegong.accounts import scope
from shegong.people import services as people_services
from shegong.people.models import Person

from . import selectors, services
from .models import Visit

router = Router(tags=["casework"])


class UserOut(Schema):
    id: int
    username: str
    name: str = Field(..., alias="display_name")


class TaskOut(Schema):
    id: int
    title: str
    owner: UserOut
    due_on: dt.date
    done_on: dt.date | None


class PlanOut(Schema):
    goals: str
    services: str
    status: str
    version: int
    tasks: list[TaskOut]


class ApprovalOut(Schema):
    id: int
    subject: str
    status: str
    requested_by: UserOut
    requested_at: dt.datetime
    decided_by: UserOut | None
    decided_at: dt.datetime | None
    comment: str


class EventOut(Schema):
    kind: str
    from_value: str
    to_value: str
    note: str
    by: UserOut
    at: dt.datetime


class CaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    region_code: str
    programme: str
    stage: str
    title: str
    reason: str
    owner: UserOut
    workers: list[UserOut]
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    version: int
    plan: PlanOut
    approvals: list[ApprovalOut]
    events: list[EventOut]


class VisitIn(Schema):
    person_id: int
    programme: str
    visited_on: dt.date
    mode: str
    seen: str = ""
    observations: str = ""
    concerns: str = ""
    next_visit_on: dt.date | None = None
    companions: str = ""


class VisitOut(Schema):
    id: int
    person_id: int
    case_id: int | None
    programme: str
    visited_on: dt.date
    mode: str
    visited_by: UserOut
    seen: str
    observations: str
    concerns: str
    next_visit_on: dt.date | None
    companions: str


class FieldErrors(Schema):
    detail: list[dict]


@router.get("/cases/{int:case_id}", response=CaseOut, summary="One case (404 outside your scope)")
def get_case(request: HttpRequest, case_id: int):
    user = request.auth
    case = selectors.get_case_for_user(user, case_id)
    people_services.person_record_read(by=user, person=case.person, request=request)
    plan = case.plan
    return {
        "id": case.pk,
        "person_id": case.person_id,
        "person_name": case.person.name,
        "region_code": case.person.region_id,
        "programme": case.programme,
        "stage": case.stage,
        "title": case.title,
        "reason": case.reason,
        "owner": case.owner,
        "workers": list(case.workers.order_by("username")),
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "version": case.version,
        "plan": {
            "goals": plan.goals,
            "services": plan.services,
            "status": plan.status,
            "version": plan.version,
            "tasks": list(selectors.tasks_of(case, user)),
        },
        "approvals": list(selectors.approvals_of(case, user)),
        "events": list(selectors.events_of(case, user)),
    }


@router.post(
    "/visits",
    response={201: VisitOut, 422: FieldErrors},
    summary="Record a visit (joins the person's open case in the programme)",
)
def create_visit(request: HttpRequest, payload: VisitIn):
    user = request.auth
    person = scope.get_visible_or_404(Person.objects.all(), user, write=True, pk=payload.person_id)
    data = payload.dict()
    data.pop("person_id")
    visit = services.visit_record(by=user, person=person, **data)
    return Status(201, Visit.objects.select_related("visited_by").get(pk=visit.pk))
