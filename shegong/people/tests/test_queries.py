"""Lists are query-bounded (STYLE.md rule 8): the number of queries for a page of people does
not grow with the people on it, their categories, villages or households."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shegong.factories import HouseholdFactory, PersonFactory, born_years_ago

pytestmark = pytest.mark.django_db

# Session, user, OTP device, memberships (the scope), count, page, categories, region choices,
# and the idle-timeout session save (savepoint, update, release).
UI_LIST_QUERIES = 11
# Token lookup, token last-used update, memberships, count, page, categories.
API_LIST_QUERIES = 6


def fill(regions, count: int) -> None:
    villages = [regions.village, regions.sibling_village, regions.far_village]
    for n in range(count):
        region = villages[n % 3]
        PersonFactory(
            region=region,
            household=HouseholdFactory(region=region) if n % 2 else None,
            birth_date=born_years_ago([8, 40, 75][n % 3], extra_days=n),
            categories=[["dibao"], ["disabled", "tekun"], []][n % 3],
            phone=f"139{n:08d}" if n % 2 else "",
        )


def queries_for(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured)


def test_the_people_page_costs_the_same_for_one_person_and_a_full_page(admin_client, regions):
    fill(regions, 1)
    one = queries_for(admin_client, "/people/")

    fill(regions, 30)
    full = queries_for(admin_client, "/people/")

    assert one == full
    assert full <= UI_LIST_QUERIES


def test_a_filtered_search_page_is_bounded_too(admin_client, regions):
    fill(regions, 30)

    assert queries_for(admin_client, "/people/", data={"q": "", "category": "dibao"}) <= (
        UI_LIST_QUERIES
    )


def test_the_api_list_costs_the_same_for_one_person_and_a_full_page(
    bearer, district_admin, regions
):
    client = Client()
    headers = bearer(district_admin)
    fill(regions, 1)
    one = queries_for(client, "/api/v1/people", headers=headers)

    fill(regions, 30)
    full = queries_for(client, "/api/v1/people", headers=headers)

    assert one == full
    assert full <= API_LIST_QUERIES


def test_the_api_list_stays_bounded(bearer, district_admin, regions, django_assert_max_num_queries):
    client = Client()
    fill(regions, 30)
    headers = bearer(district_admin)

    with django_assert_max_num_queries(API_LIST_QUERIES):
        response = client.get("/api/v1/people", headers=headers)

    assert len(response.json()["items"]) == 25
