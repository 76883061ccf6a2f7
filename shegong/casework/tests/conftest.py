"""A small cast for casework: the village director who owns the case, an assistant in the same
village, the township supervisor who approves, and an outsider from another township."""

from __future__ import annotations

import pytest
from django.utils import translation

from shegong.accounts.models import Programme, Role
from shegong.casework import services
from shegong.casework.models import ApprovalSubject, Case
from shegong.factories import PersonFactory, born_years_ago


@pytest.fixture(autouse=True)
def english():
    """Services speak English here (the UI default is Chinese); views are checked by markup."""
    with translation.override("en"):
        yield


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.TOWNSHIP_SUPERVISOR, username="supervisor")


@pytest.fixture
def assistant(make_user):
    return make_user(Role.VILLAGE_ASSISTANT, username="assistant")


@pytest.fixture
def outsider(make_user, regions):
    """A village director of a village in the other township."""
    return make_user(Role.VILLAGE_DIRECTOR, regions.far_village, username="outsider")


@pytest.fixture
def child(regions):
    return PersonFactory(region=regions.village, name="李小花", birth_date=born_years_ago(9))


@pytest.fixture
def case(village_director, child) -> Case:
    return services.case_open(
        by=village_director, person=child, programme=Programme.MINORS, reason="重点关注"
    )


def fresh(case: Case) -> Case:
    return Case.objects.select_related("person", "plan").get(pk=case.pk)


def approve(case: Case, subject: str, *, by, approver, goals: str = "稳定监护") -> None:
    """Ask for ``subject`` as ``by`` and have ``approver`` approve it."""
    if subject == ApprovalSubject.PLAN:
        plan = fresh(case).plan
        services.plan_save(
            by=by, case_id=case.pk, version=plan.version, goals=goals, services="学校、村委会"
        )
    approval = services.approval_request(by=by, case_id=case.pk, subject=subject)
    services.approval_decide(by=approver, approval_id=approval.pk, approve=True)


def move(case: Case, to_stage: str, *, by) -> Case:
    return services.case_move(
        by=by, case_id=case.pk, version=fresh(case).version, to_stage=to_stage
    )


def advance_to(case: Case, stage: str, *, by, approver) -> Case:
    """Walk the case forward, getting each approval on the way."""
    order = ["intake", "assessment", "plan", "implementation", "review", "closed"]
    gates = {"plan": "assessment", "implementation": "plan", "closed": "closure"}
    current = fresh(case).stage
    for target in order[order.index(current) + 1 : order.index(stage) + 1]:
        if target in gates:
            approve(case, gates[target], by=by, approver=approver)
        move(case, target, by=by)
    return fresh(case)
