"""Resource links: recorded for a person, a case, a service order or an activity, in the
recipient's region; a recipient outside the writer's area is a 404; the list is scoped; the
linked and mobilised filters of the organisation library count them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from shegong.accounts.models import Programme, Role
from shegong.casework import services as casework_services
from shegong.community import libraries_links
from shegong.community.models import (
    Activity,
    ActivityStatus,
    Organisation,
    OrganisationKind,
    Professional,
    ResourceLink,
)
from shegong.elderly import services as elderly_services
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def charity(regions) -> Organisation:
    return Organisation.objects.create(
        name="栾城区爱心基金会", kind=OrganisationKind.CHARITY, region=regions.district
    )


@pytest.fixture
def doctor(regions) -> Professional:
    return Professional.objects.create(name="李医生", profession="doctor", region=regions.township)


@pytest.fixture
def child(regions):
    return PersonFactory(region=regions.village, name="李小花", birth_date=born_years_ago(9))


@pytest.fixture
def old_person(regions):
    return PersonFactory(
        region=regions.sibling_village, name="王奶奶", birth_date=born_years_ago(78)
    )


@pytest.fixture
def township_worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="township")


@pytest.fixture
def case(village_director, child):
    return casework_services.case_open(
        by=village_director, person=child, programme=Programme.MINORS
    )


@pytest.fixture
def order(township_worker, old_person):
    return elderly_services.order_request(
        by=township_worker,
        person=old_person,
        kind="home_care",
        requester_type="family",
        due_on=TODAY + dt.timedelta(days=3),
    )


def make_activity(region, user, **fields) -> Activity:
    values = {
        "title": "重阳节敬老活动",
        "kind": "festival",
        "region": region,
        "date": TODAY,
        "target_group": "elderly",
        "created_by": user,
    }
    values.update(fields)
    return Activity.objects.create(**values)


def link_data(**overrides) -> dict:
    data = {
        "organisation": "",
        "professional": "",
        "kind": "goods",
        "description": "米面油",
        "quantity": "2",
        "unit": "袋",
        "value": "150.00",
        "given_on": TODAY.isoformat(),
    }
    data.update(overrides)
    return data


def new_link_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('community:link_new')}?{query}"


def test_a_link_to_a_person_takes_the_persons_village(client, village_director, person, charity):
    login(client, village_director)

    response = client.post(new_link_url(person=person.pk), link_data(organisation=charity.pk))

    link = ResourceLink.objects.get()
    assert response.status_code == 302
    assert (link.person, link.region_id, link.organisation) == (person, person.region_id, charity)
    assert (link.quantity, link.value, link.recorded_by) == (
        Decimal(2),
        Decimal(150),
        village_director,
    )


def test_a_link_to_a_case_takes_its_persons_village(client, village_director, case, doctor):
    login(client, village_director)

    client.post(new_link_url(case=case.pk), link_data(professional=doctor.pk, kind="service"))

    link = ResourceLink.objects.get()
    assert (link.case, link.person, link.region_id) == (case, None, case.person.region_id)


def test_a_link_to_a_service_order_takes_its_persons_village(
    client, township_worker, order, charity, doctor
):
    login(client, township_worker)
    url = new_link_url(order=order.pk, organisation=charity.pk)

    assert f'value="{charity.pk}" selected' in client.get(url).content.decode()
    client.post(url, link_data(organisation=charity.pk, professional=doctor.pk))

    link = ResourceLink.objects.get()
    assert (link.service_order, link.region_id) == (order, order.person.region_id)
    assert (link.organisation, link.professional) == (charity, doctor)


def test_a_link_to_an_activity_takes_the_organising_stations_region(
    client, township_worker, regions, charity
):
    activity = make_activity(regions.township, township_worker)
    login(client, township_worker)

    client.post(new_link_url(activity=activity.pk), link_data(organisation=charity.pk))

    link = ResourceLink.objects.get()
    assert (link.activity, link.region_id) == (activity, regions.township.code)


def test_a_recipient_outside_the_writers_area_is_404(
    client, make_user, regions, person, case, charity
):
    outsider = make_user(Role.VILLAGE_DIRECTOR, regions.far_village, username="outsider")
    activity = make_activity(regions.township, outsider)
    login(client, outsider)

    for params in ({"person": person.pk}, {"case": case.pk}, {"activity": activity.pk}):
        url = new_link_url(**params)
        assert client.get(url).status_code == 404
        assert client.post(url, link_data(organisation=charity.pk)).status_code == 404
    assert not ResourceLink.objects.exists()


def test_a_volunteer_cannot_record_or_list_links(client, make_user, person, charity):
    login(client, make_user(Role.VOLUNTEER))

    assert client.get(new_link_url(person=person.pk)).status_code == 404
    assert client.get(reverse("community:links")).status_code == 404


def test_bad_input_is_named_on_its_field(client, village_director, person):
    login(client, village_director)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()

    page = client.post(
        new_link_url(person=person.pk),
        link_data(quantity="0", value="-1", given_on=tomorrow, description=" "),
    ).content.decode()

    for field in ("organisation", "quantity", "value", "given_on", "description"):
        assert f'data-field-error="{field}"' in page, field
    assert not ResourceLink.objects.exists()


def test_the_service_refuses_a_zero_quantity_and_a_future_date(village_director, person, charity):
    with pytest.raises(ValidationError) as caught:
        libraries_links.link_create(
            by=village_director,
            recipient=libraries_links.Recipient(person=person),
            organisation=charity,
            professional=None,
            kind="goods",
            description="书包",
            quantity=Decimal(0),
            value=Decimal(0),
            given_on=TODAY + dt.timedelta(days=2),
        )

    assert {"quantity", "given_on"} <= set(caught.value.message_dict)


def test_a_cancelled_activity_takes_no_link(township_worker, regions, charity):
    activity = make_activity(regions.township, township_worker, status=ActivityStatus.CANCELLED)

    with pytest.raises(ValidationError, match="cancelled"):
        libraries_links.link_create(
            by=township_worker,
            recipient=libraries_links.Recipient(activity=activity),
            organisation=charity,
            professional=None,
            kind="service",
            description="义诊",
            quantity=Decimal(1),
            given_on=TODAY,
        )


def _link(by, charity, **recipient) -> ResourceLink:
    return libraries_links.link_create(
        by=by,
        recipient=libraries_links.Recipient(**recipient),
        organisation=charity,
        professional=None,
        kind="money",
        description="助学金",
        quantity=Decimal(1),
        unit="份",
        value=Decimal(500),
        given_on=TODAY - dt.timedelta(days=5),
    )


def test_the_list_is_scoped_and_filtered(
    client, district_admin, village_director, person, old_person, charity, doctor, regions
):
    mine = _link(village_director, charity, person=person)
    theirs = _link(district_admin, charity, person=old_person)
    login(client, village_director)
    url = reverse("community:links")

    def shown(**params) -> set[int]:
        page = client.get(url, params).content.decode()
        return {k.pk for k in (mine, theirs) if f'data-link="{k.pk}"' in page}

    assert shown() == {mine.pk}  # 西庄村 is not the director's village
    login(client, district_admin)
    assert shown() == {mine.pk, theirs.pk}
    assert shown(region=regions.sibling_village.code) == {theirs.pk}
    assert shown(organisation=charity.pk, kind="money") == {mine.pk, theirs.pk}
    assert shown(professional=doctor.pk) == set()
    assert shown(kind="goods") == set()
    assert shown(**{"from": TODAY.isoformat()}) == set()
    assert shown(to=TODAY.isoformat()) == {mine.pk, theirs.pk}
    assert "李小花" not in client.get(url).content.decode()
    assert person.name in client.get(url).content.decode()


def test_links_for_a_person_include_their_cases_and_orders(
    village_director, district_admin, child, case, old_person, order, charity, person
):
    to_child = _link(village_director, charity, person=child)
    to_case = _link(village_director, charity, case=case)
    _link(district_admin, charity, service_order=order)
    _link(village_director, charity, person=person)

    found = set(libraries_links.links_for(person=child, fetched_by=village_director))

    assert found == {to_child, to_case}
    assert libraries_links.links_for(person=old_person, fetched_by=village_director).count() == 0
    assert libraries_links.links_for(person=old_person, fetched_by=district_admin).count() == 1


def test_linked_and_mobilised_filters(client, district_admin, regions, person, charity):
    helpers = Organisation.objects.create(
        name="东庄互助会", kind="community", region=regions.village
    )
    dancers = Organisation.objects.create(name="广场舞队", kind="community", region=regions.village)
    idle = Organisation.objects.create(name="读书会", kind="community", region=regions.village)
    held = make_activity(regions.village, district_admin, status=ActivityStatus.CLOSED)
    held.organisations.add(dancers)
    planned = make_activity(regions.village, district_admin)
    planned.organisations.add(idle)
    _link(district_admin, charity, person=person)
    _link(district_admin, helpers, person=person)
    login(client, district_admin)
    url = reverse("community:organisations")

    def shown(**params) -> set[str]:
        page = client.get(url, params).content.decode()
        return {
            o.name
            for o in (charity, helpers, dancers, idle)
            if f'data-organisation="{o.pk}"' in page
        }

    assert shown(linked="1") == {charity.name, helpers.name}
    # Community organisations only; a planned activity is not taking part yet.
    assert shown(mobilised="1") == {helpers.name, dancers.name}
    page = client.get(url).content.decode()
    row = page[page.index(f'data-organisation="{charity.pk}"') :]
    assert row[row.index("data-links>") :].startswith("data-links>1<")
