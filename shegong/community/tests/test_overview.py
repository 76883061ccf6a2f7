"""The community overview: figures per area and period, per township and village, links to the
lists behind them (staff only), and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.casework.models import Visit
from shegong.community import activities as services
from shegong.community.models import (
    Assignment,
    Organisation,
    Professional,
    ResourceLink,
    VolunteerTask,
)
from shegong.community.overview import community_overview, this_year
from shegong.factories import PersonFactory
from shegong.testing import login

from .test_activities import add_people, close, fresh, plan, session, volunteer

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("community:overview")
TODAY = timezone.localdate()


@pytest.fixture
def worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


@pytest.fixture
def far_worker(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.other_township, username="far")


def link(organisation, region, by, *, value="100", given_on=TODAY, person=None, activity=None):
    person = person or (None if activity else PersonFactory(region=region))
    return ResourceLink.objects.create(
        organisation=organisation,
        person=person,
        activity=activity,
        region=region,
        kind="goods",
        description="米面油",
        value=Decimal(value),
        given_on=given_on,
        recorded_by=by,
    )


def hours(region, by, volunteer_, amount: str, status: str = "approved", date=TODAY):
    task = VolunteerTask.objects.create(
        title="陪同探访", kind="visit", region=region, date=date, organiser=by
    )
    return Assignment.objects.create(
        task=task,
        volunteer=volunteer_,
        status="assigned",
        hours=Decimal(amount),
        hours_status=status,
    )


def visit(person, by, programme: str = "elderly", on=TODAY):
    return Visit.objects.create(
        person=person, programme=programme, visited_on=on, mode="home", visited_by=by
    )


@pytest.fixture
def district_data(worker, far_worker, district_admin, regions):
    """Two townships' worth of figures, and things that must not count."""
    # 栾城镇: a lecture held for 2 people + 3 by head count, and group work: one child at two
    # sessions plus a session head count of 1.
    lecture = plan(worker, regions.village, head_count=3)
    add_people(worker, lecture, PersonFactory.create_batch(2, region=regions.village))
    close(worker, lecture)
    child = PersonFactory(region=regions.sibling_village)
    group = plan(worker, regions.sibling_village, kind="group_work")
    add_people(worker, group, [child])
    services.session_update(
        by=worker, activity_id=group.pk, version=fresh(group).version, number=1,
        date=group.date, attendees=[child],
    )  # fmt: skip
    session(worker, group, attendees=[child], head_count=1)
    close(worker, group)
    # Not counted: planned, cancelled, held last year.
    plan(worker, regions.village, head_count=50)
    cancelled = plan(worker, regions.village, head_count=50)
    services.activity_cancel(by=worker, activity_id=cancelled.pk, version=cancelled.version)
    last_year = dt.date(TODAY.year - 1, 6, 1)
    close(worker, plan(worker, regions.village, head_count=40, date=last_year))
    # 冶河镇: one activity of 7, at the township station itself.
    close(far_worker, plan(far_worker, regions.other_township, head_count=7))

    enterprise = Organisation.objects.create(
        name="爱心超市", kind="social_enterprise", region=regions.district
    )
    charity = Organisation.objects.create(name="慈善会", kind="charity", region=regions.district)
    charity_far = Organisation.objects.create(
        name="冶河慈善", kind="charity", region=regions.other_township
    )
    community = Organisation.objects.create(
        name="广场舞队", kind="community", region=regions.village
    )
    Organisation.objects.create(name="未联动社会组织", kind="community", region=regions.village)
    link(enterprise, regions.village, district_admin, value="200")
    link(enterprise, regions.sibling_village, district_admin, value="300")
    link(charity, regions.village, district_admin, value="50", given_on=last_year)
    link(charity_far, regions.far_village, district_admin, value="1000")
    group.organisations.add(community)  # took part in a held activity: mobilised

    Professional.objects.create(name="王律师", profession="lawyer", region=regions.district)
    Professional.objects.create(name="李医生", profession="doctor", region=regions.other_township)

    helper = volunteer(regions.village, "甲", registered=True, national_number="V001")
    volunteer(regions.sibling_village, "乙")
    far_helper = volunteer(regions.far_village, "丙", registered=True, national_number="V002")
    volunteer(regions.far_village, "丁", is_active=False)
    hours(regions.village, worker, helper, "2.5")
    hours(regions.village, worker, helper, "4", status="logged")
    hours(regions.far_village, far_worker, far_helper, "3")

    elder = PersonFactory(region=regions.village)
    visit(elder, worker)
    visit(elder, worker, programme="juvenile")
    visit(elder, worker, on=last_year)
    visit(PersonFactory(region=regions.far_village), far_worker)


def figures_of(area: tuple[str, ...], start=None, end=None):
    default_start, default_end = this_year()
    return community_overview(area=area, start=start or default_start, end=end or default_end)


def test_district_figures_count_held_activities_links_volunteers_hours_and_visits(
    district_data, regions
):
    found = figures_of(("130111",)).figures

    assert found.activities_held == 3
    assert found.person_times == 5 + 3 + 7
    assert (found.enterprises_linked, found.charities_linked) == (1, 1)
    assert found.community_mobilised == 1
    assert found.professionals == 2
    assert (found.volunteers, found.volunteers_registered) == (3, 2)
    assert found.volunteer_hours == Decimal("5.5")
    assert found.visits == 2
    assert (found.links, found.links_value) == (3, Decimal("1500"))


def test_a_township_sees_its_own_figures(district_data, regions):
    found = figures_of(("130111100",)).figures

    assert (found.activities_held, found.person_times) == (2, 8)
    assert (found.enterprises_linked, found.charities_linked) == (1, 0)
    assert found.professionals == 1  # the district's lawyer serves every township
    assert (found.volunteers, found.volunteers_registered) == (2, 1)
    assert found.volunteer_hours == Decimal("2.5")
    assert (found.visits, found.links, found.links_value) == (1, 2, Decimal("500"))


def test_a_period_counts_what_happened_in_it(district_data, regions):
    last_year = (dt.date(TODAY.year - 1, 1, 1), dt.date(TODAY.year - 1, 12, 31))

    found = figures_of(("130111100",), *last_year).figures

    assert (found.activities_held, found.person_times) == (1, 40)
    assert (found.charities_linked, found.links, found.visits) == (1, 1, 1)


def test_the_district_table_has_a_row_per_township(district_data, regions):
    rows = {row.region.code: row for row in figures_of(("130111",)).rows}

    assert set(rows) >= {regions.township.code, regions.other_township.code}
    ours, theirs = rows[regions.township.code], rows[regions.other_township.code]
    assert (ours.activities_held, ours.person_times, ours.volunteers, ours.visits) == (2, 8, 2, 1)
    assert (theirs.activities_held, theirs.person_times, theirs.links) == (1, 7, 1)
    assert theirs.volunteer_hours == Decimal(3)


def test_the_township_table_has_a_row_per_village_and_its_own_station(
    district_data, worker, far_worker, regions
):
    close(far_worker, plan(far_worker, regions.far_village, head_count=2))

    rows = {row.region.code: row for row in figures_of(("130111103",)).rows}

    assert rows[regions.far_village.code].person_times == 2
    assert rows[regions.other_township.code].own
    assert rows[regions.other_township.code].person_times == 7


# The page ------------------------------------------------------------------------------------


def figure(page: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}">(?:<a [^>]*>)?([^<]+)<', page)
    assert found, key
    return found.group(1).strip()


def test_staff_follow_each_figure_to_its_list(client, district_data, worker, regions):
    page = login(client, worker).get(OVERVIEW).content.decode()

    start, end = this_year()
    assert figure(page, "activities_held") == "2"
    assert figure(page, "person_times") == "8"
    activities = (
        f"/community/activities/?status=closed&amp;region=130111100&amp;from={start}&amp;to={end}"
    )
    assert activities in page
    period = f"from={start}&amp;to={end}"
    assert (
        f"/community/organisations/?kind=charity&amp;area=130111100&amp;linked=1&amp;{period}"
        in page
    )
    assert (
        f"/community/organisations/?kind=community&amp;area=130111100&amp;mobilised=1&amp;{period}"
        in page
    )
    assert (
        f"/community/volunteers/?registered=1&amp;region=130111100&amp;active=1&amp;to={end}"
        in page
    )
    # The village rows link to the lists of each village.
    assert f"/community/activities/?status=closed&amp;region={regions.village.code}" in page
    assert f"/community/links/?region={regions.sibling_village.code}" in page


def test_the_links_lead_to_lists_that_open(client, district_data, worker):
    login(client, worker)
    page = client.get(OVERVIEW).content.decode()

    for address in set(re.findall(r'href="(/community/[^"]+)"', page)):
        assert client.get(address.replace("&amp;", "&")).status_code == 200, address


def test_each_list_behind_a_figure_has_as_many_rows_as_the_figure(client, district_data, worker):
    login(client, worker)
    page = client.get(OVERVIEW).content.decode()

    for key in ("charities_linked", "community_mobilised", "volunteers", "activities_held"):
        found = re.search(rf'data-figure="{key}"><a [^>]*href="([^"]+)">([^<]+)<', page)
        assert found, key
        listed = client.get(found.group(1).replace("&amp;", "&"))
        context = listed.context
        rows = context["count"] if "count" in context else context["page"].paginator.count
        assert rows == int(found.group(2)), key


def test_a_viewer_sees_the_figures_but_no_lists(client, district_data, make_user):
    viewer = make_user(Role.VIEWER)
    page = login(client, viewer).get(OVERVIEW).content.decode()

    assert figure(page, "activities_held") == "3"
    assert figure(page, "person_times") == "15"
    assert "/community/activities/" not in page
    assert "/community/volunteers/" not in page
    assert "/community/organisations/" not in page


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.INSTITUTION_OPERATOR, Role.COUNSELOR])
def test_others_get_404(client, make_user, role):
    assert login(client, make_user(role)).get(OVERVIEW).status_code == 404


def test_a_district_user_looks_at_one_township(client, district_data, district_admin, regions):
    page = login(client, district_admin).get(OVERVIEW, {"region": "130111103"}).content.decode()

    assert figure(page, "person_times") == "7"


def test_a_township_user_cannot_look_at_another_township(client, district_data, worker):
    assert login(client, worker).get(OVERVIEW, {"region": "130111103"}).status_code == 404


def test_the_period_is_chosen_on_the_page(client, district_data, worker):
    year = TODAY.year - 1
    page = (
        login(client, worker)
        .get(OVERVIEW, {"from": f"{year}-01-01", "to": f"{year}-12-31"})
        .content.decode()
    )

    assert figure(page, "person_times") == "40"
    bad = client.get(OVERVIEW, {"from": "not a date"}).content.decode()
    assert 'data-field-error="from"' in bad
    assert figure(bad, "person_times") == "8"  # this year, the default


def test_closing_and_reopening_moves_the_figures(client, worker, regions):
    activity = plan(worker, regions.village, head_count=6)
    login(client, worker)
    assert figure(client.get(OVERVIEW).content.decode(), "person_times") == "0"

    close(worker, activity)
    assert figure(client.get(OVERVIEW).content.decode(), "person_times") == "6"

    services.activity_reopen(by=worker, activity_id=activity.pk, version=fresh(activity).version)
    assert figure(client.get(OVERVIEW).content.decode(), "activities_held") == "0"


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(OVERVIEW).status_code == 200
    return len(captured)


def test_the_overview_costs_the_same_queries_for_more_data(
    client, district_data, district_admin, worker, regions
):
    login(client, district_admin)
    few = _queries(client)
    charity = Organisation.objects.get(name="慈善会")
    for village in (regions.village, regions.sibling_village, regions.far_village):
        for _ in range(3):
            close(worker if village != regions.far_village else district_admin,
                  plan(district_admin, village, head_count=2))  # fmt: skip
            link(charity, village, district_admin)
            visit(PersonFactory(region=village), district_admin)
            hours(village, district_admin, volunteer(village), "1")

    assert _queries(client) == few
