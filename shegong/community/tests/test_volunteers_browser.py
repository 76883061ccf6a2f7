"""On a phone and a desktop: a township worker registers a volunteer and offers a task serving an
elder; the volunteer signs up, is accepted, logs hours; the worker approves them; the volunteer
prints a certificate with the hours, never seeing the elder's ID number or phone."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import log_in, look
from shegong.community.models import Assignment, Volunteer, VolunteerTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(world):
    township = world.village_a.parent
    world.worker = world.user("li.worker", Role.TOWNSHIP_WORKER, township, full_name="李社工")
    world.account = world.user("wang.vol", Role.VOLUNTEER, township.parent, full_name="王小红")
    world.elder = world.person(
        "孙桂芝", world.village_a, born=dt.date(1941, 5, 6), sex="F", phone="13812345678"
    )
    return world


def test_a_volunteer_task_from_sign_up_to_certificate(page, browsing, town):
    log_in(page, "li.worker")
    page.goto("/community/volunteers/new/")
    page.fill("#id_name", "王小红")
    page.fill("#id_phone", "13900001111")
    page.select_option("#id_region", town.village_a.code)
    page.fill("#id_username", "wang.vol")
    page.locator("#volunteer-form [type=submit]").click()
    expect(page.locator("#approved-hours")).to_have_text("0.0")
    look(page, "volunteer-detail")
    volunteer = Volunteer.objects.get()

    page.goto("/community/tasks/new/")
    page.fill("#id_title", "陪孙奶奶看病")
    page.select_option("#id_kind", "escort")
    page.select_option("#id_region", town.village_a.parent.code)
    page.fill("#id_person_id_number", town.elder.id_number)
    page.locator("#task-form [type=submit]").click()
    expect(page.locator("#assignments")).to_be_visible()
    look(page, "task-detail")
    task = VolunteerTask.objects.get()

    phone = browsing.new_page()
    log_in(phone, "wang.vol")
    phone.goto("/community/my-tasks/")
    phone.locator(f"[data-open-task='{task.pk}'] button").click()
    expect(phone.locator("[data-assignment]")).to_have_count(1)
    look(phone, "my-tasks-signed-up")

    page.reload()
    page.locator("#assignments form[action$='/confirm/'] button").click()
    expect(page.locator("#assignments form[action$='/log/']")).to_have_count(1)

    phone.goto("/community/my-tasks/")
    assignment = Assignment.objects.get()
    phone.fill(f"#hours-{assignment.pk}", "3.5")
    phone.locator(f"[data-assignment='{assignment.pk}'] form[action$='/log/'] button").click()
    expect(
        phone.locator(f"[data-assignment='{assignment.pk}'] .badge.text-bg-warning")
    ).to_be_visible()
    html = phone.content()
    assert "孙桂芝" in html
    assert town.elder.id_number not in html and "13812345678" not in html

    page.reload()
    page.locator("#assignments form[action$='/approve/'] button.btn-success").click()
    expect(page.locator("#assignments form[action$='/approve/']")).to_have_count(0)

    phone.goto("/community/my-tasks/")
    expect(phone.locator("#my-hours")).to_have_text("3.5")
    phone.locator("#my-certificate").click()
    expect(phone.locator("#certificate-total")).to_have_text("3.5")
    look(phone, "certificate")
    assert volunteer.pk == assignment.volunteer_id
