"""The people registry in a real browser: scope, live search, reveal, create, edit conflicts.

Each test runs at a desktop and at a phone viewport (see shegong/browser_fixtures.py).
"""

import datetime as dt
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.browser_fixtures import CJK, log_in, look, zh
from shegong.people import crypto, idnumbers
from shegong.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def village(world):
    """A village director's village with three people, and two people elsewhere."""
    world.director = world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    world.ouyang_ming = world.person("欧阳明远", world.village_a, born=dt.date(1950, 3, 9))
    world.ouyang_li = world.person(
        "欧阳丽华", world.village_a, born=dt.date(1988, 7, 21), sex="F", address="东王庄村12号"
    )
    world.sima = world.person("司马青云", world.village_a, born=dt.date(2015, 1, 30))
    world.outsider_b = world.person("欧阳外村", world.village_b, born=dt.date(1971, 5, 5))
    world.outsider_c = world.person("诸葛远方", world.village_c, born=dt.date(1962, 11, 2))
    return world


def result_names(page):
    return page.locator("#results tbody tr td:first-child a").all_inner_texts()


def test_a_village_director_sees_only_their_village(page, village):
    log_in(page, "wang.director")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # staff start from their figures
    page.goto("/people/")

    expect(page.locator("h1")).to_have_text(zh("People registry"))
    assert sorted(result_names(page)) == sorted(["欧阳明远", "欧阳丽华", "司马青云"])
    expect(page.locator("#results")).not_to_contain_text("欧阳外村")
    expect(page.locator("#results")).not_to_contain_text("诸葛远方")
    look(page, "people-list")


def test_search_by_part_of_a_name_updates_the_results_in_place(page, village):
    log_in(page, "wang.director")
    page.goto("/people/")
    page.evaluate("window.notReloaded = true")

    page.fill("#q", "欧阳")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert sorted(result_names(page)) == ["欧阳丽华", "欧阳明远"]  # not 欧阳外村: other village

    page.fill("#q", "明远")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("欧阳明远")
    expect(page).to_have_url(re.compile(r"q=%E6%98%8E%E8%BF%9C|q=明远"))
    assert page.evaluate("window.notReloaded") is True, "the search reloaded the whole page"

    page.fill("#q", "没有这个人")
    expect(page.locator("#results tbody tr")).to_have_count(0)
    expect(page.locator("#results .alert")).to_be_visible()
    look(page, "people-search-empty")


def test_revealing_the_id_number_shows_it_in_full_and_logs_the_reveal(page, village):
    person = village.ouyang_ming
    log_in(page, "wang.director")
    page.goto("/people/")
    page.get_by_role("link", name="欧阳明远").click()

    expect(page.locator("h1")).to_contain_text("欧阳明远")
    expect(page.locator("#id-number .masked")).to_have_text(person.id_number_masked)
    expect(page.locator("body")).not_to_contain_text(person.id_number)
    look(page, "person-detail")

    show = page.locator("button[hx-post$='/reveal/id_number/']")
    expect(show).to_have_text(zh("Show"))
    show.click()
    expect(page.locator("[data-revealed=id_number]")).to_have_text(person.id_number)
    expect(show).to_have_count(0)
    reveals = AccessLog.objects.filter(
        action=AccessAction.REVEAL, person=person, field="id_number", user=village.director
    )
    assert reveals.count() == 1
    look(page, "person-detail-revealed")


def test_a_wrong_check_digit_is_explained_under_the_id_field_and_nothing_is_saved(page, village):
    number = idnumbers.make("130111", dt.date(2012, 6, 1), 24)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    log_in(page, "wang.director")
    page.goto("/people/")
    page.get_by_role("link", name=zh("Register a person")).click()
    look(page, "person-form")

    page.fill("#id_name", "上官小雨")
    page.fill("#id_id_number", wrong)
    page.fill("#id_address", "东王庄村8号")
    page.locator("#person-form [type=submit]").click()

    with translation.override("zh-hans"), pytest.raises(idnumbers.IdNumberError) as expected:
        idnumbers.parse(wrong)
    assert CJK.search(str(expected.value)), "the check-digit message is not translated"
    error = page.locator("[data-field-error=id_number]")
    expect(error).to_have_text(str(expected.value))
    expect(error).to_contain_text(number[17])  # tells the worker what the last digit should be
    expect(page.locator("#id_id_number")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert not Person.objects.filter(name="上官小雨").exists()
    look(page, "person-form-error")

    page.fill("#id_id_number", number)
    page.locator("#person-form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/people/\d+/$"))
    person = Person.objects.get(name="上官小雨")
    assert person.id_number == number
    assert person.region_id == village.village_a.code
    assert person.sex == "F" and person.birth_date == dt.date(2012, 6, 1)
    expect(page.locator("h1")).to_contain_text("上官小雨")
    expect(page.locator("#id-number .masked")).to_have_text(crypto.mask_id_number(number))
    look(page, "person-created")


def test_the_second_of_two_concurrent_edits_is_refused_and_the_first_survives(browsing, village):
    person = village.ouyang_li
    village.user("zhao.assistant", Role.VILLAGE_ASSISTANT, village.village_a)
    first, second = browsing.new_page(), browsing.new_page()
    log_in(first, "wang.director")
    log_in(second, "zhao.assistant")
    edit = f"/people/{person.pk}/edit/"
    first.goto(edit)
    second.goto(edit)
    expect(second.locator("#id_address")).to_have_value("东王庄村12号")
    expect(second.locator("#id_birth_date")).to_have_value("1988-07-21")
    look(second, "person-edit")

    first.fill("#id_address", "东王庄村99号")
    first.locator("#person-form [type=submit]").click()
    expect(first).to_have_url(re.compile(rf"/people/{person.pk}/$"))
    expect(first.locator("body")).to_contain_text("东王庄村99号")

    second.fill("#id_notes", "第二个人的修改")
    second.locator("#person-form [type=submit]").click()

    conflict = zh(
        "Someone else changed this record while you were editing it. "
        "Reload to see their changes, then apply yours again."
    )
    expect(second.locator("#person-form .alert-danger")).to_have_text(conflict)
    person.refresh_from_db()
    assert person.address == "东王庄村99号"
    assert person.notes == ""
    assert person.version == 2
    look(second, "person-edit-conflict")
