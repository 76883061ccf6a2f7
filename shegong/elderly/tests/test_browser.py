"""A village director assesses an old person on a phone (375 px) and sees the level; the result
prints on one A4 page."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import log_in, look
from shegong.elderly.models import AbilityAssessment

from .conftest import items_totalling

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def village(world):
    world.director = world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    world.assistant = world.user(
        "li.assistant", Role.VILLAGE_ASSISTANT, world.village_a, full_name="李助理"
    )
    world.old = world.person("张桂兰", world.village_a, born=dt.date(1948, 3, 2), sex="F")
    return world


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_director_assesses_an_old_person_and_sees_the_level(page, browsing, village):
    old = village.old
    log_in(page, "wang.director")

    page.goto(f"/people/{old.pk}/")
    page.locator("#elderly-file-link").click()
    look(page, "elderly-no-file")
    page.locator("#open-file").click()

    expect(page.locator("#elderly-form")).to_be_visible()
    page.locator("#id_living_situations input[value=alone]").check()
    page.fill("#id_contact_0_name", "张伟")
    page.fill("#id_contact_0_relation", "儿子")
    page.fill("#id_contact_0_phone", "13912345678")
    look(page, "elderly-file-form")
    page.locator("#elderly-form [type=submit]").click()

    expect(page.locator("#special-difficulty [data-special=yes]")).to_be_visible()
    expect(page.locator("#contacts")).to_contain_text("139****5678")
    look(page, "elderly-file")
    page.locator("#assess-link").click()

    # 50 points (中度失能) and a dementia diagnosis: raised one level to 重度失能.
    expect(page.locator("#assess-form .card[id^=part-]")).to_have_count(4)
    for key, score in items_totalling(50).items():
        page.locator(f"label[for='i-{key}-{score}']").click()
    page.locator("label[for=dementia]").click()
    page.select_option("#second_assessor", str(village.assistant.pk))
    look(page, "elderly-assess")
    page.locator("#assess-form [type=submit]").click()

    expect(page.locator("#level [data-level]")).to_have_attribute("data-level", "重度失能")
    expect(page.locator("#total")).to_contain_text("50")
    expect(page.locator("#preliminary-level")).to_contain_text("中度失能")
    expect(page.locator("#second-signature")).to_contain_text("李助理")
    look(page, "elderly-result")

    page.locator("#print-link").click()
    expect(page.locator("#a4")).to_contain_text("老年人能力评估结果")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1

    assessment = AbilityAssessment.objects.get()
    assert (assessment.total, assessment.level) == (50, "重度失能")
    assert assessment.second_assessor_id == village.assistant.pk
