"""A justice-involved minor's case and visits (the closed programme) are for that programme's
own workers only: anyone else — a village director, a township supervisor or a district
administrator whose area holds the child — gets the same 404 as for a case that does not
exist, on the page and in every record hanging off the case."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts import scope
from shegong.accounts.models import Programme, Role
from shegong.casework import selectors, services
from shegong.casework.models import Case, CaseNote, Visit
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

pytestmark = pytest.mark.django_db


def juvenile_worker(make_user, region=None):
    worker = make_user(Role.TOWNSHIP_WORKER, region=region)
    worker.memberships.update(programmes=[Programme.JUVENILE])
    return worker


@pytest.fixture
def child_cases(regions, village_director, make_user):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(15))
    old = PersonFactory(region=regions.village, birth_date=born_years_ago(80))
    juvenile = services.case_open(
        by=juvenile_worker(make_user), person=child, programme=Programme.JUVENILE
    )
    elderly = services.case_open(by=village_director, person=old, programme=Programme.ELDERLY)
    for case in (juvenile, elderly):
        CaseNote.objects.create(case=case, author=village_director, text="谈话记录")
    visits = {
        name: Visit.objects.create(
            person=person, programme=programme, visited_on=timezone.localdate(), mode="home",
            visited_by=village_director,
        )
        for name, person, programme in (
            ("juvenile", child, Programme.JUVENILE), ("elderly", old, Programme.ELDERLY),
        )
    }  # fmt: skip
    return {"juvenile": juvenile, "elderly": elderly, "visits": visits}


@pytest.mark.parametrize(
    "role", [Role.VILLAGE_DIRECTOR, Role.TOWNSHIP_SUPERVISOR, Role.DISTRICT_ADMIN]
)
def test_anyone_outside_the_programme_gets_404(client, make_user, child_cases, role):
    user = make_user(role)
    session = login(client, user)
    juvenile, elderly = child_cases["juvenile"], child_cases["elderly"]
    assert session.get(f"/work/cases/{juvenile.pk}/").status_code == 404
    assert session.get(f"/work/cases/{elderly.pk}/").status_code == 200
    assert list(scope.visible(CaseNote.objects.all(), user).values_list("case", flat=True)) == [
        elderly.pk
    ]
    assert list(scope.visible(Visit.objects.all(), user)) == [child_cases["visits"]["elderly"]]
    with pytest.raises(Http404):
        selectors.get_case_for_user(user, juvenile.pk)


def test_the_owner_outside_the_programme_does_not_see_it_either(
    client, village_director, child_cases
):
    session = login(client, village_director)
    assert session.get(f"/work/cases/{child_cases['juvenile'].pk}/").status_code == 404


def test_the_programmes_own_workers_see_it_in_their_area_only(
    client, make_user, regions, child_cases
):
    worker = make_user(Role.TOWNSHIP_WORKER)
    worker.memberships.update(programmes=[Programme.JUVENILE])
    session = login(client, worker)
    assert session.get(f"/work/cases/{child_cases['juvenile'].pk}/").status_code == 200
    assert child_cases["visits"]["juvenile"] in scope.visible(Visit.objects.all(), worker)
    # The same programme in another township: not theirs.
    elsewhere = make_user(Role.TOWNSHIP_WORKER, region=regions.other_township)
    elsewhere.memberships.update(programmes=[Programme.JUVENILE])
    assert (
        login(client, elsewhere).get(f"/work/cases/{child_cases['juvenile'].pk}/").status_code
        == 404
    )


def test_only_the_programmes_workers_may_open_its_cases(
    client, village_director, regions, make_user
):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(15))
    with pytest.raises(ValidationError) as refused:
        services.case_open(by=village_director, person=child, programme=Programme.JUVENILE)
    assert "programme" in refused.value.message_dict
    assert not Case.objects.filter(person=child).exists()
    # The form does not offer it to them, and a forged POST is refused too.
    session = login(client, village_director)
    page = session.get(f"/work/cases/new/?person={child.pk}").content.decode()
    assert 'value="juvenile"' not in page
    session.post(
        f"/work/cases/new/?person={child.pk}", {"programme": "juvenile", "reason": "试图开案"}
    )
    assert not Case.objects.filter(person=child).exists()
    # A worker of the programme elsewhere may not either (the child is not theirs at all);
    # one here may.
    elsewhere = juvenile_worker(make_user, regions.other_township)
    with pytest.raises(Http404):
        services.case_open(by=elsewhere, person=child, programme=Programme.JUVENILE)
    assert services.case_open(
        by=juvenile_worker(make_user), person=child, programme=Programme.JUVENILE
    ).pk
