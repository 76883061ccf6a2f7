"""A counsellor sees the cases assigned to them, and the people of those cases, nothing more."""

import pytest

from shegong.accounts.models import Programme
from shegong.casework import services
from shegong.factories import PersonFactory
from shegong.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def counsellor(make_user, regions):
    return make_user("counselor", regions.district)


@pytest.fixture
def assigned_case(village_director, counsellor, regions):
    child = PersonFactory(region=regions.village, name="张小明")
    case = services.case_open(by=village_director, person=child, programme=Programme.MINORS)
    services.case_assign(
        by=village_director, case_id=case.pk, version=case.version, worker=counsellor
    )
    return case


def test_a_counsellor_opens_the_case_assigned_to_them(client, counsellor, assigned_case):
    login(client, counsellor)

    assert client.get(f"/work/cases/{assigned_case.pk}/").status_code == 200
    assert client.get(f"/api/v1/people/{assigned_case.person_id}").status_code == 200


def test_a_counsellor_gets_404_for_anyone_not_assigned(client, counsellor, assigned_case, regions):
    stranger = PersonFactory(region=regions.village, name="李秀英")
    login(client, counsellor)

    assert client.get(f"/api/v1/people/{stranger.pk}").status_code == 404
    assert client.get("/api/v1/people").json()["count"] == 1


def test_a_counsellor_removed_from_the_case_loses_it(
    client, counsellor, assigned_case, village_director
):
    assigned_case.refresh_from_db()
    services.case_assign(
        by=village_director,
        case_id=assigned_case.pk,
        version=assigned_case.version,
        worker=counsellor,
        remove=True,
    )
    login(client, counsellor)

    assert client.get(f"/work/cases/{assigned_case.pk}/").status_code == 404
