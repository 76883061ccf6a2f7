"""The person page shows the resources the person received, through the scope gate."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from shegong.accounts.models import Role
from shegong.community.models import Organisation, ResourceLink
from shegong.factories import PersonFactory
from shegong.testing import login

pytestmark = pytest.mark.django_db


def test_the_person_page_lists_resources_received_and_offers_a_link(
    client, village_director, regions, district_admin
):
    person = PersonFactory(region=regions.village, name="赵小明")
    other = PersonFactory(region=regions.village, name="钱小红")
    charity = Organisation.objects.create(
        name="栾城爱心协会", kind="charity", region=regions.district
    )
    ResourceLink.objects.create(
        organisation=charity, person=person, region=regions.village, kind="goods",
        description="冬衣两套", quantity=Decimal(2), value=Decimal(300),
        given_on=dt.date(2026, 11, 1), recorded_by=district_admin,
    )  # fmt: skip
    login(client, village_director)

    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert 'id="links-panel"' in page and "冬衣两套" in page and "栾城爱心协会" in page
    assert f"?person={person.pk}" in page
    empty = client.get(reverse("people:detail", args=[other.pk])).content.decode()
    assert "冬衣两套" not in empty


def test_a_reader_without_write_sees_no_link_button(client, make_user, regions):
    person = PersonFactory(region=regions.village)
    far = make_user(Role.TOWNSHIP_SUPERVISOR, region=regions.other_township)
    login(client, far)

    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 404
