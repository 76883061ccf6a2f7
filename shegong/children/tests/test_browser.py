"""A village director grades a child on a phone; the card turns red, a case opens, and the
township supervisor approves the plan.

The casework pages (case detail, approvals) are being built alongside; until they land, the plan
and its approval go through shegong.casework.services, as the case page will.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Programme, Role
from shegong.browser_fixtures import log_in, look
from shegong.casework import services as casework
from shegong.casework.models import ApprovalSubject, Case, Notification, PlanStatus
from shegong.children import scoring, services
from shegong.children.models import ChildProfile, Colour

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def village(world):
    world.director = world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    world.supervisor = world.user(
        "zhao.supervisor", Role.TOWNSHIP_SUPERVISOR, world.village_a.parent, full_name="赵督导"
    )
    world.child = world.person("司马小雨", world.village_a, born=dt.date(2015, 1, 30), sex="F")
    world.instrument = services.instrument_ensure_default()
    return world


def approve_plan(case, worker, supervisor):
    case = casework.case_move(
        by=worker, case_id=case.pk, version=case.version, to_stage="assessment"
    )
    approval = casework.approval_request(
        by=worker, case_id=case.pk, subject=ApprovalSubject.ASSESSMENT
    )
    casework.approval_decide(by=supervisor, approval_id=approval.pk, approve=True)
    case.refresh_from_db()
    case = casework.case_move(by=worker, case_id=case.pk, version=case.version, to_stage="plan")
    casework.plan_save(
        by=worker,
        case_id=case.pk,
        version=case.plan.version,
        goals="确保安全，转介心理咨询，每周探访",
        services="心理咨询师每周一次",
    )
    approval = casework.approval_request(by=worker, case_id=case.pk, subject=ApprovalSubject.PLAN)
    casework.approval_decide(by=supervisor, approval_id=approval.pk, approve=True)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_director_grades_a_child_red_and_the_supervisor_approves_the_plan(
    page, browsing, village
):
    child = village.child
    log_in(page, "wang.director")

    page.goto(f"/people/{child.pk}/")
    page.locator("#colour-card-link").click()
    expect(page.locator('[data-colour="none"]')).to_be_visible()
    look(page, "colour-card-new")
    page.get_by_role("button", name=re.compile("Open a file|建档|开档|打开")).click()

    expect(page.locator("#child-form")).to_be_visible()
    page.locator("#id_difficulties input[value=left_behind]").check()
    page.select_option("#id_father", "working_away")
    page.select_option("#id_mother", "working_away")
    page.select_option("#id_director", str(village.director.pk))
    page.select_option("#id_supervisor", str(village.supervisor.pk))
    look(page, "colour-card-file")
    page.locator("#child-form [type=submit]").click()

    expect(page.locator("#supervisor")).to_contain_text("赵督导")
    page.locator("#assess-link").click()

    # One card per dimension, a big tap target per answer: the lowest answer everywhere,
    # except that the child speaks of hurting herself (an emergency item).
    spec = scoring.InstrumentSpec.load(village.instrument)
    expect(page.locator("#assess-form .card")).to_have_count(len(spec.dimensions))
    for key, item in spec.items.items():
        value = "self_harm" if key == "mood" else next(iter(item.options))
        page.locator(f"label[for='q-{key}-{value}']").click()
    look(page, "colour-card-assess")
    page.locator("#assess-form [type=submit]").click()

    expect(page.locator("#final-colour [data-colour=red]")).to_be_visible()
    expect(page.locator("#drivers")).to_contain_text("有自伤、自杀念头或行为")
    look(page, "colour-card-result")
    page.get_by_role("link", name=re.compile("colour card|色卡", re.I)).last.click()

    expect(page.locator("#current-colour [data-colour=red]")).to_be_visible()
    expect(page.locator("#open-case a")).to_be_visible()
    look(page, "colour-card-red")

    profile = ChildProfile.objects.get(person=child)
    assert profile.colour == Colour.RED
    case = Case.objects.get(person=child, programme=Programme.MINORS)
    assert case.owner == village.director
    assert Notification.objects.filter(user=village.supervisor).exists()

    # Assessment approved, then the plan: through casework.services (see the module docstring).
    approve_plan(case, village.director, village.supervisor)
    case.plan.refresh_from_db()
    assert case.plan.status == PlanStatus.APPROVED

    # The supervisor sees the red card in their township's archive.
    supervisor_page = browsing.new_page()
    log_in(supervisor_page, "zhao.supervisor")
    supervisor_page.goto("/children/?colour=red")
    expect(supervisor_page.locator("#children-table")).to_contain_text("司马小雨")
    look(supervisor_page, "colour-card-supervisor-list")
    supervisor_page.goto("/children/overview/")
    expect(supervisor_page.locator('#totals [data-count="red"]')).to_have_text("1")
    look(supervisor_page, "colour-card-overview")
