"""A township worker adds an organisation to the library, records what it gave an old man of a
village, and finds the link on the organisation's page and in the list, on a desktop and on a
phone (no sideways scrolling)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import log_in, look
from shegong.community.models import Organisation, ResourceLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_organisation_is_added_and_its_gift_recorded(world, page):
    township = world.village_a.parent
    world.user("li.township", Role.TOWNSHIP_WORKER, township)
    old_man = world.person("赵老汉", world.village_a, born=dt.date(1945, 3, 4))
    log_in(page, "li.township")

    page.goto("/community/organisations/new/")
    page.fill("#id_name", "东王庄村红白理事会")
    page.select_option("#id_kind", "community")
    page.fill("#id_contact_name", "王会长")
    page.fill("#id_services", "红白事互助、探访老人")
    page.select_option("#id_region", world.village_a.code)
    look(page, "organisation-form")
    with page.expect_navigation():
        page.locator("#organisation-form [type=submit]").click()
    organisation = Organisation.objects.get(name="东王庄村红白理事会")
    expect(page.locator("#incubation")).to_be_visible()
    look(page, "organisation")

    page.goto(f"/community/links/new/?person={old_man.pk}&organisation={organisation.pk}")
    expect(page.locator("#recipient")).to_contain_text("赵老汉")
    page.select_option("#id_kind", "goods")
    page.fill("#id_description", "棉被")
    page.fill("#id_quantity", "2")
    page.fill("#id_unit", "床")
    page.fill("#id_value", "300")
    look(page, "link-form")
    with page.expect_navigation():
        page.locator("#link-form [type=submit]").click()
    link = ResourceLink.objects.get()
    assert (link.region_id, link.organisation_id) == (world.village_a.code, organisation.pk)
    # Back on the old man's page, the gift is in his resources panel.
    expect(page.locator(f'#links-panel [data-link="{link.pk}"]')).to_be_visible()
    look(page, "person-links-panel")
    page.goto("/community/links/")
    expect(page.locator(f'[data-link="{link.pk}"]')).to_contain_text("赵老汉")
    look(page, "links")

    page.goto("/community/organisations/?linked=1")
    expect(page.locator(f'[data-organisation="{organisation.pk}"] [data-links]')).to_have_text("1")
    look(page, "organisations")
    page.goto(f"/community/organisations/{organisation.pk}/")
    expect(page.locator(f'#organisation-links [data-link="{link.pk}"]')).to_be_visible()
