"""A village director grades a child on a phone; the card turns red, a case opens, and the
township supervisor approves the assessment and the plan on the case page.

Everything happens in the browser at 375 px: the director and the supervisor each have their own
browser context (their own session), and the database is checked at the end.
"""

import datetime as dt
import re
import time

import pytest
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from shegong.accounts.models import Programme, Role
from shegong.browser_fixtures import DISTRICT, log_in, look, zh
from shegong.casework.models import (
    Approval,
    ApprovalStatus,
    ApprovalSubject,
    Case,
    CaseEvent,
    CaseEventKind,
    Notification,
    PlanStatus,
    Stage,
)
from shegong.children import scoring, services
from shegong.children.models import ChildProfile, Colour, Item
from shegong.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOALS = "确保安全，转介心理咨询，每周探访"
SERVICES = "心理咨询师每周一次"


@pytest.fixture
def village(world):
    world.director = world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    world.supervisor = world.user(
        "zhao.supervisor", Role.TOWNSHIP_SUPERVISOR, world.village_a.parent, full_name="赵督导"
    )
    world.child = world.person("司马小雨", world.village_a, born=dt.date(2015, 1, 30), sex="F")
    world.instrument = services.instrument_ensure_default()
    return world


def zh_label(choice) -> str:
    """The Chinese label of a model choice (the test thread may be in another language)."""
    with translation.override("zh-hans"):
        return str(choice.label)


def move_forward(page: Page, to_stage: str) -> None:
    """Press "On to <next stage>" in the stage bar and wait for the case page to show it."""
    button = page.locator("#stage-actions [data-move=forward]")
    expect(button).to_have_attribute("value", to_stage)
    button.click()
    expect(page.locator("#case-stage")).to_have_attribute("data-stage", to_stage)
    expect(page.locator(".alert-success")).to_contain_text(
        zh("The case moved to %(stage)s.", stage=zh_label(Stage(to_stage)))
    )


def request_approval(page: Page, subject: str) -> None:
    page.locator(f"#approval-request-form button[value={subject}]").click()
    expect(page.locator(".alert-success")).to_contain_text(
        zh("Approval requested; the supervisors are told.")
    )
    approval = page.locator(f"#approvals [data-subject={subject}]")
    expect(approval).to_have_attribute("data-status", ApprovalStatus.REQUESTED)
    expect(approval).to_contain_text(zh("Waiting for approval"))
    # Asked once: the button is gone until the supervisor decides.
    expect(page.locator(f"#approval-request-form button[value={subject}]")).to_have_count(0)


def approve(page: Page, subject: str) -> None:
    """The supervisor approves the waiting request for ``subject`` on the case page."""
    # On a phone the approvals are far down the page: a banner at the top leads there.
    waiting = page.locator("#decision-waiting")
    expect(waiting).to_contain_text(zh("Waiting for your decision"))
    expect(waiting).to_contain_text(zh_label(ApprovalSubject(subject)))
    waiting.click()
    approval = page.locator(f"#approvals [data-subject={subject}][data-status=requested]")
    approval.locator("[name=comment]").fill("同意")
    approval.locator("button[name=decision][value=approve]").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("Approved."))
    decided = page.locator(f"#approvals [data-subject={subject}]")
    expect(decided).to_have_attribute("data-status", ApprovalStatus.APPROVED)
    expect(decided).to_contain_text("赵督导")
    expect(decided.locator("button[name=decision]")).to_have_count(0)
    expect(page.locator("#decision-waiting")).to_have_count(0)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_director_grades_a_child_red_and_the_supervisor_approves_the_plan(
    page, browsing, village
):
    child = village.child
    log_in(page, "wang.director")

    # -- the colour card: open a file, assess with an emergency answer ------------------------
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
    case_link = page.locator("#open-case a")
    expect(case_link).to_contain_text(zh("Open case"))
    expect(case_link).to_contain_text(zh("Intake"))
    look(page, "colour-card-red")

    # -- the case page: intake → assessment, ask for the assessment's approval ----------------
    case_link.click()
    expect(page.locator("h1")).to_contain_text("司马小雨")
    expect(page.locator("#case-stage")).to_have_attribute("data-stage", Stage.INTAKE)
    expect(page.locator("#case-owner")).to_contain_text("wang.director")
    look(page, "case-intake")
    case_url = page.url

    move_forward(page, Stage.ASSESSMENT)
    request_approval(page, ApprovalSubject.ASSESSMENT)
    # The plan stage waits for the supervisor: moving on now is refused, and nothing changes.
    page.locator("#stage-actions [data-move=forward]").click()
    expect(page.locator(".alert-danger")).to_contain_text(
        zh("The assessment needs the supervisor's approval first.")
    )
    expect(page.locator("#case-stage")).to_have_attribute("data-stage", Stage.ASSESSMENT)
    look(page, "case-assessment-requested")

    # -- the township supervisor, in a browser of their own, approves the assessment ----------
    supervisor = browsing.new_page()
    log_in(supervisor, "zhao.supervisor")
    supervisor.goto("/work/my-work/")
    title = zh(
        "Approval requested: %(subject)s for %(person)s",
        subject=zh("Assessment"),
        person="司马小雨",
    )
    expect(supervisor.locator("#notifications")).to_contain_text(title)
    look(supervisor, "case-supervisor-my-work")
    supervisor.locator("#notifications a", has_text=title).click()
    expect(supervisor.locator("#case-stage")).to_have_attribute("data-stage", Stage.ASSESSMENT)
    look(supervisor, "case-supervisor-approves-assessment")
    approve(supervisor, ApprovalSubject.ASSESSMENT)

    # -- the director: on to the plan, write it, ask for its approval -------------------------
    page.goto(case_url)
    expect(
        page.locator(f"#approvals [data-subject={ApprovalSubject.ASSESSMENT}]")
    ).to_have_attribute("data-status", ApprovalStatus.APPROVED)
    move_forward(page, Stage.PLAN)
    plan_form = page.locator("#plan-form")
    plan_form.locator("[name=goals]").fill(GOALS)
    plan_form.locator("[name=services]").fill(SERVICES)
    look(page, "case-plan-form")
    plan_form.locator("button").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("Plan saved."))
    expect(page.locator("#plan-status")).to_have_attribute("data-status", PlanStatus.DRAFT)
    request_approval(page, ApprovalSubject.PLAN)
    # While it waits, the plan reads as text and cannot change.
    expect(page.locator("#plan-status")).to_have_attribute("data-status", PlanStatus.SUBMITTED)
    expect(page.locator("#plan-status")).to_have_text(zh("Waiting for approval"))
    expect(page.locator("#plan-form")).to_have_count(0)
    expect(page.locator("#plan")).to_contain_text(GOALS)
    look(page, "case-plan-requested")

    # -- the supervisor approves the plan -----------------------------------------------------
    supervisor.goto(case_url)
    expect(supervisor.locator("#plan")).to_contain_text(SERVICES)
    approve(supervisor, ApprovalSubject.PLAN)
    expect(supervisor.locator("#plan-status")).to_have_attribute("data-status", PlanStatus.APPROVED)
    look(supervisor, "case-supervisor-approved-plan")

    # -- the director sees the approved plan and moves on to implementation -------------------
    page.goto(case_url)
    expect(page.locator("#plan-status")).to_have_attribute("data-status", PlanStatus.APPROVED)
    expect(page.locator("#plan-status")).to_have_text(zh("Approved"))
    move_forward(page, Stage.IMPLEMENTATION)
    expect(page.locator("#stepper [aria-current=step]")).to_have_text(zh("Implementation"))
    look(page, "case-implementation")

    # -- the database -------------------------------------------------------------------------
    profile = ChildProfile.objects.get(person=child)
    assert profile.colour == Colour.RED
    case = Case.objects.get(person=child, programme=Programme.MINORS)
    assert case.owner == village.director
    assert case.stage == Stage.IMPLEMENTATION
    assert (case.plan.status, case.plan.goals, case.plan.services) == (
        PlanStatus.APPROVED,
        GOALS,
        SERVICES,
    )
    approvals = {
        a.subject: (a.status, a.requested_by, a.decided_by, a.comment)
        for a in Approval.objects.filter(case=case)
    }
    assert approvals == {
        ApprovalSubject.ASSESSMENT: (
            ApprovalStatus.APPROVED,
            village.director,
            village.supervisor,
            "同意",
        ),
        ApprovalSubject.PLAN: (
            ApprovalStatus.APPROVED,
            village.director,
            village.supervisor,
            "同意",
        ),
    }
    stages = CaseEvent.objects.filter(case=case, kind=CaseEventKind.STAGE).order_by("at", "pk")
    assert [e.to_value for e in stages] == [Stage.ASSESSMENT, Stage.PLAN, Stage.IMPLEMENTATION]
    assert Notification.objects.filter(user=village.supervisor).count() >= 2
    # The director heard of both decisions.
    assert Notification.objects.filter(user=village.director, url=case.get_absolute_url()).exists()

    # -- the supervisor sees the red card in their township's archive and overview -------------
    supervisor.goto("/children/?colour=red")
    expect(supervisor.locator("#children-table")).to_contain_text("司马小雨")
    look(supervisor, "colour-card-supervisor-list")
    supervisor.goto("/children/overview/")
    expect(supervisor.locator('#totals [data-count="red"]')).to_have_text("1")
    look(supervisor, "colour-card-overview")


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_the_admin_adds_and_removes_parts_of_a_draft_on_a_phone(page, browsing, world):
    admin = world.user("chen.admin", Role.DISTRICT_ADMIN, Region.objects.get(code=DISTRICT))
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    instrument = services.instrument_ensure_default()
    draft = services.instrument_draft(by=admin, source=instrument)
    dimension = draft.dimensions.first()
    log_in(page, "chen.admin")
    page.fill("#id_token", f"{totp.token():0{device.digits}d}")
    page.locator("main form [type=submit]").click()

    page.goto(f"/children/instruments/{draft.pk}/")
    card = page.locator(f"#dim-{dimension.pk}")
    card.locator("summary", has_text=zh("Add an item")).click()
    card.locator("input[name=key]").fill("online")
    card.locator("input[name=text]").fill("是否沉迷网络？")
    card.locator("input[name='opt-0-value']").fill("no")
    card.locator("input[name='opt-0-label']").fill("没有")
    card.locator("input[name='opt-1-value']").fill("yes")
    card.locator("input[name='opt-1-label']").fill("有")
    card.locator("input[name='opt-1-score']").fill("3")
    look(page, "instrument-add-item")
    card.get_by_role("button", name=zh("Add the item")).click()

    expect(page.locator(".alert-success")).to_contain_text(zh("Item added."))
    item = Item.objects.get(dimension=dimension, key="online")
    assert item.options.count() == 2
    page.locator(f"#item-{item.pk}").get_by_role("button", name=zh("Remove item")).click()
    expect(page.locator(".alert-success")).to_contain_text(zh("Item removed."))
    assert not Item.objects.filter(pk=item.pk).exists()
    look(page, "instrument-draft")
