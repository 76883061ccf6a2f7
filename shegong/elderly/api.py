"""/api/v1/elderly: recording a GB/T 42195-2022 ability assessment."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from shegong.people import selectors as people_selectors

from . import services

router = Router(tags=["elderly"])


class AbilityAssessmentIn(Schema):
    # The 26 item keys (eating … social_interaction), each scored within its range.
    items: dict[str, int]
    coma: bool = False
    dementia_or_mental_disorder: bool = False
    risk_events_30d: int = Field(0, ge=0)
    # The second assessor signing at the person's side; without one, the assessment waits for
    # the second signature in the web interface.
    second_assessor_id: int | None = None


class AbilityAssessmentOut(Schema):
    id: int
    person_id: int
    total: int
    part_scores: dict[str, int]
    preliminary_level: str
    level: str
    adjustments: list[str]
    assessed_by_id: int
    second_assessor_id: int | None
    signed: bool
    next_due: dt.date


class FieldErrors(Schema):
    detail: list[dict]


@router.post(
    "/{int:person_id}/assessments",
    response={201: AbilityAssessmentOut, 422: FieldErrors},
    summary="Record an ability assessment (GB/T 42195-2022); a missing or out-of-range item "
    "is 422 naming it",
)
def create_assessment(request: HttpRequest, person_id: int, payload: AbilityAssessmentIn):
    # Scope first: an out-of-scope person is 404 whatever the items.
    person = people_selectors.get_person_for_user(request.auth, person_id, write=True)
    second = None
    if payload.second_assessor_id is not None:
        second = (
            services.assessor_candidates(code=person.region_id)
            .filter(pk=payload.second_assessor_id)
            .first()
        )
        if second is None:
            raise ValidationError(
                {
                    "second_assessor_id": [
                        _("Choose an assessor who works for this person's village.")
                    ]
                }
            )
    assessment = services.assessment_record(
        by=request.auth,
        person=person,
        items=payload.items,
        coma=payload.coma,
        dementia_or_mental_disorder=payload.dementia_or_mental_disorder,
        risk_events_30d=payload.risk_events_30d,
        second_assessor=second,
    )
    return Status(
        201,
        {
            "id": assessment.pk,
            "person_id": person.pk,
            "total": assessment.total,
            "part_scores": assessment.part_scores,
            "preliminary_level": assessment.preliminary_level,
            "level": assessment.level,
            "adjustments": assessment.adjustments,
            "assessed_by_id": assessment.assessed_by_id,
            "second_assessor_id": assessment.second_assessor_id,
            "signed": assessment.is_signed,
            "next_due": assessment.next_due,
        },
    )
