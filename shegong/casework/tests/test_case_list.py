"""The case list with the dashboard's filters: region, the days a case was opened or closed,
every stage; the justice-involved minors' cases only for their workers and only when chosen;
exported to .xlsx with the same rows, masked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shegong.accounts.models import Programme, Role
from shegong.casework import selectors
from shegong.casework.models import Case, Stage
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db

URL = "/work/cases/"
TODAY = timezone.localdate()


def listed(client, **params) -> list[int]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.status_code
    return sorted(case.pk for case in response.context["cases"])


def case_in(region, owner, *, programme=Programme.ELDERLY, days_ago=0, closed_days_ago=None):
    person = PersonFactory(region=region, birth_date=born_years_ago(80))
    case = Case.objects.create(person=person, programme=programme, owner=owner)
    now = timezone.now()
    changes = {"opened_at": now - dt.timedelta(days=days_ago)}
    if closed_days_ago is not None:
        changes.update(stage=Stage.CLOSED, closed_at=now - dt.timedelta(days=closed_days_ago))
    Case.objects.filter(pk=case.pk).update(**changes)
    return case


@pytest.fixture
def cases(regions, supervisor):
    return {
        "new": case_in(regions.village, supervisor),
        "old": case_in(regions.village, supervisor, days_ago=60),
        "closed": case_in(regions.village, supervisor, days_ago=90, closed_days_ago=0),
        "sibling": case_in(regions.sibling_village, supervisor),
        "juvenile": case_in(regions.village, supervisor, programme=Programme.JUVENILE),
    }


@pytest.fixture
def township(client, supervisor):
    return login(client, supervisor)


def pks(cases, *names) -> list[int]:
    return sorted(cases[name].pk for name in names)


def test_the_region_and_the_days_opened_or_closed(township, cases, regions):
    today = TODAY.isoformat()
    village = regions.village.prefix
    assert listed(township) == pks(cases, "new", "old", "sibling")  # open cases
    assert listed(township, stage="all") == pks(cases, "new", "old", "closed", "sibling")
    assert listed(township, stage="all", region=village) == pks(cases, "new", "old", "closed")
    opened_today = {"stage": "all", "from": today, "to": today}
    assert listed(township, **opened_today) == pks(cases, "new", "sibling")
    closed_today = {"stage": "closed", "dates": "closed", "from": today, "to": today}
    assert listed(township, **closed_today) == pks(cases, "closed")
    assert listed(township, stage="closed", **{"from": today}) == []  # opened long ago
    html = township.get(URL, {"stage": "all", "region": village}).content.decode()
    assert re.search(r'id="result-count" data-total="3"', html)
    assert 'data-field-error="to"' in township.get(URL, {"to": "soon"}).content.decode()


def test_juvenile_cases_are_for_their_workers_and_only_when_chosen(
    township, client, make_user, supervisor, cases
):
    assert cases["juvenile"].pk not in listed(township, stage="all")
    assert listed(township, programme=Programme.JUVENILE) == []
    worker = make_user(Role.TOWNSHIP_WORKER)
    worker.memberships.update(programmes=[Programme.JUVENILE])
    session = login(client, worker)
    assert cases["juvenile"].pk not in listed(session)  # as the dashboard counts
    assert listed(session, programme=Programme.JUVENILE) == pks(cases, "juvenile")
    assert 'value="juvenile"' in session.get(URL).content.decode()
    # Their "all programmes" says it leaves the programme out; nobody else's needs to.
    assert session.get(URL).context["programmes_closed"]
    assert not selectors.offers_closed_programme(supervisor)


def test_the_export_holds_the_lists_rows_masked(township, cases, regions):
    params = {"stage": "all", "region": regions.village.prefix, "export": "xlsx"}
    rows = xlsx_rows(township.get(URL, params))
    village = [cases[name].person for name in ("new", "old", "closed")]
    assert {(row[0], row[1]) for row in rows} == {(p.name, p.id_number_masked) for p in village}
    assert "export=xlsx" in township.get(URL).content.decode()


def test_an_outsider_finds_none_of_them(client, outsider, cases):
    session = login(client, outsider)
    assert listed(session, stage="all") == []
    assert xlsx_rows(session.get(URL, {"stage": "all", "export": "xlsx"})) == []
