"""Elderly visits (探访关爱): the tier rule in Python and SQL, the visit hook, high risk after an
alarm or a discharge, the monthly visit rate page, its scope, and "my work"."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from shegong.accounts.models import Programme, Role
from shegong.casework.models import Visit
from shegong.casework.services import visit_record
from shegong.elderly import services, visits
from shegong.elderly.models import ElderlyProfile, HighRiskReason, Level, LivingSituation
from shegong.elderly.visits import Tier, tier_q, visit_tier, years_before
from shegong.factories import PersonFactory
from shegong.testing import login

from .conftest import items_totalling

pytestmark = pytest.mark.django_db

ALONE = LivingSituation.ALONE
DAY = dt.timedelta(days=1)


def _today():
    return timezone.localdate()


def make_elderly(
    region,
    *,
    age=72,
    situations=(),
    cognitive=False,
    level="",
    high_risk_until=None,
    next_visit_due=None,
    birth_date=None,
    **fields,
):
    person = PersonFactory(
        region=region, birth_date=birth_date or years_before(_today(), age) - 30 * DAY, **fields
    )
    return ElderlyProfile.objects.create(
        person=person,
        living_situations=list(situations),
        cognitive_impairment=cognitive,
        level=level,
        high_risk_until=high_risk_until,
        next_visit_due=next_visit_due,
    )


def sql_tier(profile, today):
    """The tier that the SQL conditions give the file."""
    matches = [
        tier
        for tier in Tier.values
        if ElderlyProfile.objects.filter(tier_q(tier, today=today), pk=profile.pk).exists()
    ]
    assert len(matches) == 1, matches
    return matches[0]


# ---- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile_fields", "expected"),
    [
        ({}, Tier.NONE),
        ({"situations": [LivingSituation.EMPTY_NEST]}, Tier.QUARTERLY),
        ({"situations": [ALONE]}, Tier.QUARTERLY),
        ({"cognitive": True}, Tier.QUARTERLY),
        ({"age": 85}, Tier.QUARTERLY),
        ({"situations": [ALONE], "cognitive": True}, Tier.MONTHLY),
        ({"level": Level.MODERATE}, Tier.MONTHLY),
        ({"level": Level.COMPLETE}, Tier.MONTHLY),
        ({"level": Level.MILD}, Tier.NONE),
        ({"situations": [LivingSituation.INCAPACITATED]}, Tier.MONTHLY),
        ({"situations": [LivingSituation.SEVERELY_DISABLED]}, Tier.MONTHLY),
        ({"age": 85, "situations": [ALONE], "cognitive": True}, Tier.MONTHLY),
        ({"high_risk_until": "today"}, Tier.WEEKLY),
        ({"high_risk_until": "today", "level": Level.SEVERE}, Tier.WEEKLY),
        ({"high_risk_until": "yesterday", "level": Level.SEVERE}, Tier.MONTHLY),
        ({"high_risk_until": "yesterday"}, Tier.NONE),
    ],
)
def test_the_tier_rule_on_worked_examples(regions, profile_fields, expected):
    today = _today()
    if "high_risk_until" in profile_fields:
        day = profile_fields["high_risk_until"]
        profile_fields["high_risk_until"] = today if day == "today" else today - DAY
    profile = make_elderly(regions.village, **profile_fields)

    assert visit_tier(profile, today=today) == expected
    assert sql_tier(profile, today) == expected


def test_high_risk_ends_after_its_last_day(regions):
    profile = make_elderly(regions.village, situations=[ALONE], high_risk_until=_today())

    assert visit_tier(profile, today=_today()) == Tier.WEEKLY
    assert visit_tier(profile, today=_today() + DAY) == Tier.QUARTERLY


def test_the_python_and_the_sql_tier_agree_on_varied_files(regions):
    today = _today()
    eighty = years_before(today, 80)
    sixty = years_before(today, 60)
    births = [eighty, eighty + DAY, sixty, sixty + DAY, years_before(today, 72)]
    situations = [[], [ALONE], [LivingSituation.LEFT_BEHIND, ALONE], ["incapacitated"], ["x"]]
    risks = [None, today - DAY, today]
    profiles = [
        make_elderly(
            regions.village,
            birth_date=birth,
            situations=situation,
            cognitive=cognitive,
            level=level,
            high_risk_until=risk,
        )
        for birth, situation, cognitive, level, risk in itertools.product(
            births, situations, [False, True], ["", Level.MILD, Level.SEVERE], risks
        )
        # Keep the set varied but small: every combination of two of the axes at least.
        if (births.index(birth) + situations.index(situation) + risks.index(risk)) % 2 == 0
    ]
    python = {p.pk: visit_tier(p, today=today) for p in profiles}

    for tier in Tier.values:
        in_sql = set(
            ElderlyProfile.objects.filter(tier_q(tier, today=today)).values_list("pk", flat=True)
        )
        assert in_sql == {pk for pk, t in python.items() if t == tier}, tier
    assert set(python.values()) == set(Tier.values)


def test_the_profile_page_shows_the_tier_the_rule_and_an_overdue_visit(director_client, regions):
    profile = make_elderly(
        regions.village,
        situations=[ALONE],
        cognitive=True,
        next_visit_due=_today() - 3 * DAY,
    )

    page = director_client.get(f"/elderly/{profile.person_id}/").content.decode()

    assert 'data-tier="monthly"' in page
    assert 'id="tier-reasons"' in page
    assert 'id="visit-rule"' in page
    assert "data-overdue" in page
    assert f'href="/elderly/{profile.person_id}/visits/new/"' in page


def test_the_intervals_come_from_the_settings(settings, regions, village_director):
    settings.SHEGONG_ELDERLY_VISIT_DAYS = {"monthly": 14}
    profile = make_elderly(regions.village, level=Level.SEVERE)

    visit_record(
        by=village_director,
        person=profile.person,
        programme=Programme.ELDERLY,
        visited_on=_today(),
        mode="home",
    )

    profile.refresh_from_db()
    assert profile.next_visit_due == _today() + 14 * DAY
    assert visits.visit_days()["quarterly"] == 90


# ---- the schedule -----------------------------------------------------------------------------


def _visit(by, profile, visited_on, **extra):
    return visit_record(
        by=by,
        person=profile.person,
        programme=extra.pop("programme", Programme.ELDERLY),
        visited_on=visited_on,
        mode="home",
        **extra,
    )


def test_an_elderly_visit_moves_the_next_visit_one_interval_later(regions, village_director):
    monthly = make_elderly(regions.village, level=Level.MODERATE, next_visit_due=_today())
    quarterly = make_elderly(regions.village, age=85, next_visit_due=_today())

    _visit(village_director, monthly, _today() - 2 * DAY)
    _visit(village_director, quarterly, _today())

    monthly.refresh_from_db()
    quarterly.refresh_from_db()
    assert monthly.next_visit_due == _today() + 28 * DAY
    assert quarterly.next_visit_due == _today() + 90 * DAY
    assert monthly.version == 2


def test_an_earlier_next_visit_on_the_visit_is_kept(regions, village_director):
    profile = make_elderly(regions.village, level=Level.MODERATE)

    _visit(village_director, profile, _today(), next_visit_on=_today() + 10 * DAY)

    profile.refresh_from_db()
    assert profile.next_visit_due == _today() + 10 * DAY


def test_a_minors_visit_or_a_file_without_a_tier_keeps_no_schedule(regions, village_director):
    monthly = make_elderly(regions.village, level=Level.MODERATE, next_visit_due=_today())
    untiered = make_elderly(regions.village)

    _visit(village_director, monthly, _today(), programme=Programme.MINORS)
    _visit(village_director, untiered, _today())

    monthly.refresh_from_db()
    untiered.refresh_from_db()
    assert monthly.next_visit_due == _today()
    assert untiered.next_visit_due is None


def test_a_file_entering_a_tier_without_a_visit_is_due_today(regions, village_director):
    old = services.profile_ensure(
        by=village_director,
        person=PersonFactory(region=regions.village, birth_date=years_before(_today(), 85)),
    )
    young = services.profile_ensure(
        by=village_director,
        person=PersonFactory(region=regions.village, birth_date=years_before(_today(), 65)),
    )
    assert (old.next_visit_due, young.next_visit_due) == (_today(), None)

    young = services.profile_update(
        by=village_director,
        person_id=young.person_id,
        version=young.version,
        changes={"living_situations": [ALONE]},
    )
    assert young.next_visit_due == _today()


def test_a_stricter_tier_counts_from_the_last_visit_and_no_tier_clears_it(
    regions, village_director
):
    profile = make_elderly(regions.village, situations=[ALONE])
    _visit(village_director, profile, _today() - 10 * DAY)
    profile.refresh_from_db()
    assert profile.next_visit_due == _today() + 80 * DAY

    profile = services.profile_update(
        by=village_director,
        person_id=profile.person_id,
        version=profile.version,
        changes={"cognitive_impairment": True},
    )
    assert profile.next_visit_due == _today() + 20 * DAY

    profile = services.profile_update(
        by=village_director,
        person_id=profile.person_id,
        version=profile.version,
        changes={"living_situations": [], "cognitive_impairment": False},
    )
    assert profile.next_visit_due is None


def test_an_assessed_level_of_moderately_disabled_makes_the_visits_monthly(
    regions, village_director, assistant, old_person
):
    profile = services.profile_ensure(by=village_director, person=old_person)
    assert profile.next_visit_due is None

    services.assessment_record(
        by=village_director, person=old_person, items=items_totalling(50), second_assessor=assistant
    )

    profile.refresh_from_db()
    assert profile.level == Level.MODERATE
    assert visit_tier(profile) == Tier.MONTHLY
    assert profile.next_visit_due == _today()


def test_the_daily_refresh_follows_birthdays_and_the_end_of_high_risk(regions):
    turned_80 = make_elderly(regions.village, age=80)
    expired = make_elderly(
        regions.village, high_risk_until=_today() - DAY, next_visit_due=_today() + 3 * DAY
    )
    still = make_elderly(regions.village, level=Level.SEVERE, next_visit_due=_today() + 5 * DAY)

    assert visits.visits_refresh() == 2

    for profile in (turned_80, expired, still):
        profile.refresh_from_db()
    assert turned_80.next_visit_due == _today()
    assert expired.next_visit_due is None
    assert still.next_visit_due == _today() + 5 * DAY


# ---- high risk --------------------------------------------------------------------------------


def test_an_alarm_makes_a_visit_due_within_24_hours_and_weekly_visits(regions):
    profile = make_elderly(regions.village, age=85, next_visit_due=_today() + 40 * DAY)
    # 17:00 UTC is 01:00 the next morning in Asia/Shanghai: the local dates count.
    at = dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)

    services.visit_needed_after_alarm(person_id=profile.person_id, at=at)

    profile.refresh_from_db()
    assert profile.high_risk_reason == HighRiskReason.ALARM
    assert profile.high_risk_since == dt.date(2026, 3, 2)
    assert profile.high_risk_until == dt.date(2026, 4, 1)
    assert profile.next_visit_due == dt.date(2026, 3, 3)
    assert profile.version == 2


def test_an_alarm_extends_high_risk_and_keeps_an_earlier_due_date(regions, settings):
    settings.SHEGONG_ELDERLY_HIGH_RISK_DAYS = 10
    now = timezone.now()
    profile = make_elderly(
        regions.village, high_risk_until=_today() + 3 * DAY, next_visit_due=_today() - DAY
    )

    services.visit_needed_after_alarm(person_id=profile.person_id, at=now)

    profile.refresh_from_db()
    assert profile.high_risk_until == _today() + 10 * DAY
    assert profile.next_visit_due == _today() - DAY
    assert visit_tier(profile) == Tier.WEEKLY

    longer = make_elderly(regions.village, high_risk_until=_today() + 60 * DAY)
    services.visit_needed_after_alarm(person_id=longer.person_id, at=now)
    longer.refresh_from_db()
    assert longer.high_risk_until == _today() + 60 * DAY
    assert longer.next_visit_due == timezone.localdate(now + dt.timedelta(hours=24))


def test_an_alarm_for_someone_without_an_elderly_file_does_nothing(regions):
    person = PersonFactory(region=regions.village, birth_date=years_before(_today(), 70))

    services.visit_needed_after_alarm(person_id=person.pk, at=timezone.now())
    services.visit_needed_after_alarm(person_id=987654, at=timezone.now())

    assert not ElderlyProfile.objects.exists()


def test_a_visit_after_the_alarm_answers_it_and_one_before_does_not(regions, village_director):
    profile = make_elderly(regions.village, level=Level.SEVERE)
    services.visit_needed_after_alarm(person_id=profile.person_id, at=timezone.now())

    _visit(village_director, profile, _today() - 3 * DAY)
    profile.refresh_from_db()
    assert profile.next_visit_due == _today() + DAY

    _visit(village_director, profile, _today())
    profile.refresh_from_db()
    assert profile.next_visit_due == _today() + 7 * DAY


def test_a_discharge_from_hospital_makes_a_visit_due_within_7_days(director_client, regions):
    profile = make_elderly(regions.village, age=85, next_visit_due=_today() + 60 * DAY)
    discharged = _today() - 2 * DAY

    response = director_client.post(
        f"/elderly/{profile.person_id}/discharge/",
        {"version": profile.version, "discharged_on": discharged.isoformat()},
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.high_risk_reason == HighRiskReason.DISCHARGED
    assert profile.high_risk_until == discharged + 30 * DAY
    assert profile.next_visit_due == discharged + 7 * DAY
    page = director_client.get(response.url.split("#")[0]).content.decode()
    assert 'data-tier="weekly"' in page and 'id="high-risk"' in page


def test_a_stale_or_future_discharge_is_refused(director_client, regions):
    profile = make_elderly(regions.village, age=85)
    url = f"/elderly/{profile.person_id}/discharge/"

    stale = director_client.post(
        url, {"version": profile.version - 1, "discharged_on": _today().isoformat()}, follow=True
    )
    future = director_client.post(
        url, {"version": profile.version, "discharged_on": (_today() + DAY).isoformat()}
    )

    assert [m.level_tag for m in stale.context["messages"]] == ["error"]
    assert future.status_code == 302
    profile.refresh_from_db()
    assert profile.high_risk_until is None and profile.version == 1


def test_a_discharge_in_another_village_is_404(director_client, regions):
    profile = make_elderly(regions.far_village, age=85)

    response = director_client.post(
        f"/elderly/{profile.person_id}/discharge/",
        {"version": profile.version, "discharged_on": _today().isoformat()},
    )

    assert response.status_code == 404
    profile.refresh_from_db()
    assert profile.high_risk_until is None


# ---- recording a visit from the file -------------------------------------------------------------


def test_a_visit_is_recorded_from_the_file_with_the_elderly_programme(director_client, regions):
    profile = make_elderly(regions.village, level=Level.MODERATE, next_visit_due=_today())
    url = f"/elderly/{profile.person_id}/visits/new/"
    assert director_client.get(url).status_code == 200

    response = director_client.post(
        url, {"visited_on": _today().isoformat(), "mode": "phone", "observations": "精神好"}
    )

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.programme, visit.person_id, visit.mode) == (
        Programme.ELDERLY,
        profile.person_id,
        "phone",
    )
    profile.refresh_from_db()
    assert profile.next_visit_due == _today() + 30 * DAY
    page = director_client.get(f"/elderly/{profile.person_id}/").content.decode()
    assert f'data-visit="{visit.pk}"' in page and "精神好" in page


def test_a_visit_in_the_future_is_refused_on_the_form(director_client, regions):
    profile = make_elderly(regions.village, level=Level.MODERATE)

    response = director_client.post(
        f"/elderly/{profile.person_id}/visits/new/",
        {"visited_on": (_today() + DAY).isoformat(), "mode": "home"},
    )

    assert response.status_code == 422
    assert 'data-field-error="visited_on"' in response.content.decode()
    assert not Visit.objects.exists()


def test_recording_a_visit_in_another_village_is_404(director_client, regions):
    profile = make_elderly(regions.far_village, level=Level.MODERATE)
    url = f"/elderly/{profile.person_id}/visits/new/"

    assert director_client.get(url).status_code == 404
    response = director_client.post(url, {"visited_on": _today().isoformat(), "mode": "home"})
    assert response.status_code == 404
    assert not Visit.objects.exists()
    assert director_client.get(f"/elderly/{profile.person_id}/").status_code == 404


# ---- the monthly visit rate ---------------------------------------------------------------------


@pytest.fixture
def known_area(regions, village_director):
    """Village 东庄村: three people needing a monthly visit (two visited this month, one only
    last month), one quarterly person visited this quarter, one without a tier; village 西庄村:
    one high-risk person visited this month; 冶河镇's village: one monthly person, not visited.
    A minors visit never counts."""
    month_start = _today().replace(day=1)
    last_month = month_start - DAY
    by = village_director

    def visited(profile, day, programme=Programme.ELDERLY):
        Visit.objects.create(
            person=profile.person, programme=programme, visited_on=day, mode="home", visited_by=by
        )

    a1 = make_elderly(regions.village, level=Level.SEVERE)
    a2 = make_elderly(regions.village, situations=[ALONE], cognitive=True)
    a3 = make_elderly(regions.village, situations=[LivingSituation.INCAPACITATED])
    quarterly = make_elderly(regions.village, age=85)
    make_elderly(regions.village)
    visited(a1, month_start)
    visited(a1, month_start)  # two visits of one person count once
    visited(a2, _today())
    visited(a3, last_month)
    visited(a3, month_start, programme=Programme.MINORS)
    visited(quarterly, visits.quarter_bounds(_today())[0])
    b1 = make_elderly(regions.sibling_village, high_risk_until=_today() + 5 * DAY)
    visited(b1, month_start)
    make_elderly(
        regions.far_village, level=Level.COMPLETE, next_visit_due=_today() - DAY, name="远村老人"
    )
    return {"a3": a3}


def _row(page, prefix):
    """The figures of one row of the rate table: (monthly, visited, rate)."""
    start = page.index(f'data-region="{prefix}"')
    row = page[start : page.index("</tr>", start)]

    def cell(name):
        at = row.index(f"data-{name}") + len(f"data-{name}")
        return row[row.index(">", at) + 1 : row.index("<", at + 1)].strip()

    rate = row[row.index('data-rate="') + 11 :].split('"')[0]
    return int(cell("monthly")), int(cell("monthly-visited")), rate


def test_the_rate_counts_visited_people_per_village_and_in_total(known_area, regions):
    rows, total = visits.visit_rates(
        rows=visits.rows_under((regions.township.prefix,)), month=_today()
    )

    by_village = {row.region.code: row for row in rows}
    village = by_village[regions.village.code]
    assert (village.monthly, village.monthly_visited, village.rate) == (3, 2, 67)
    assert (village.quarterly, village.quarterly_visited) == (1, 1)
    assert village.colour == "danger"
    sibling = by_village[regions.sibling_village.code]
    assert (sibling.monthly, sibling.monthly_visited, sibling.rate, sibling.colour) == (
        1,
        1,
        100,
        "success",
    )
    assert (total.monthly, total.monthly_visited, total.rate) == (4, 3, 75)


def test_the_district_page_shows_townships_and_drills_into_villages(
    admin_client, known_area, regions
):
    page = admin_client.get("/elderly/visits/").content.decode()

    assert _row(page, regions.township.prefix) == (4, 3, "75")
    assert _row(page, regions.other_township.prefix) == (1, 0, "0")
    assert _row(page, "total") == (5, 3, "60")
    assert "远村老人" in page  # the overdue list

    drilled = admin_client.get(f"/elderly/visits/?region={regions.township.prefix}")
    assert _row(drilled.content.decode(), regions.village.prefix) == (3, 2, "67")
    assert "远村老人" not in drilled.content.decode()


def test_last_month_counts_last_months_visits(admin_client, known_area, regions):
    last_month = (_today().replace(day=1) - DAY).strftime("%Y-%m")

    page = admin_client.get(
        f"/elderly/visits/?region={regions.township.prefix}&month={last_month}"
    ).content.decode()

    assert _row(page, regions.village.prefix) == (3, 1, "33")


def test_a_village_director_sees_their_own_village_only(director_client, known_area, regions):
    page = director_client.get("/elderly/visits/").content.decode()

    assert _row(page, regions.village.prefix) == (3, 2, "67")
    assert f'data-region="{regions.sibling_village.prefix}"' not in page
    assert "远村老人" not in page
    other = director_client.get(f"/elderly/visits/?region={regions.other_township.prefix}")
    assert other.status_code == 404
    sibling = director_client.get(f"/elderly/visits/?region={regions.sibling_village.prefix}")
    assert sibling.status_code == 404


def test_a_viewer_sees_the_figures_but_no_names(client, make_user, known_area, regions):
    login(client, make_user(Role.VIEWER, username="leader"))

    page = client.get("/elderly/visits/").content.decode()

    assert _row(page, regions.township.prefix) == (4, 3, "75")
    assert 'id="overdue-visits"' not in page
    assert "远村老人" not in page
    assert client.get(f"/elderly/{known_area['a3'].person_id}/").status_code == 404


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.COUNSELOR])
def test_people_without_aggregates_get_404(client, make_user, role):
    login(client, make_user(role))

    assert client.get("/elderly/visits/").status_code == 404


def test_the_rate_page_costs_the_same_queries_for_more_people(
    admin_client, known_area, regions, django_assert_num_queries
):
    admin_client.get("/elderly/visits/")  # warm the session and the scope
    with django_assert_num_queries(RATE_PAGE_QUERIES) as first:
        admin_client.get("/elderly/visits/")
    for n in range(5):
        make_elderly(regions.far_village, level=Level.SEVERE, next_visit_due=_today() - n * DAY)
    with django_assert_num_queries(len(first.captured_queries)):
        admin_client.get("/elderly/visits/")


# Session, user, second factor, memberships, the row regions, the grouped counts, the overdue
# count and page, and the session's save (three queries).
RATE_PAGE_QUERIES = 11


def test_the_month_picker_reads_a_month_and_ignores_a_bad_one(admin_client, regions):
    good = admin_client.get("/elderly/visits/?month=2025-02").content.decode()
    bad = admin_client.get("/elderly/visits/?month=februari").content.decode()
    ahead = admin_client.get("/elderly/visits/?month=2999-01").content.decode()

    assert 'value="2025-02"' in good
    this_month = _today().strftime("%Y-%m")
    assert f'value="{this_month}"' in bad and f'value="{this_month}"' in ahead
    assert 'id="next-month"' not in ahead


# ---- my work ----------------------------------------------------------------------------------


def test_my_work_lists_the_visits_due_this_week_in_my_village(director_client, regions):
    overdue = make_elderly(regions.village, age=85, next_visit_due=_today() - 2 * DAY)
    soon = make_elderly(regions.village, age=85, next_visit_due=_today() + 6 * DAY)
    later = make_elderly(regions.village, age=85, next_visit_due=_today() + 8 * DAY)
    elsewhere = make_elderly(regions.sibling_village, age=85, next_visit_due=_today())

    page = director_client.get("/work/my-work/").content.decode()

    assert 'id="elderly-visits-due"' in page
    assert page.index(f'data-elderly="{overdue.person_id}"') < page.index(
        f'data-elderly="{soon.person_id}"'
    )
    assert f'data-elderly="{later.person_id}"' not in page
    assert f'data-elderly="{elsewhere.person_id}"' not in page


def test_my_work_has_no_elderly_visits_for_a_child_supervisor(client, make_user, regions):
    make_elderly(regions.village, age=85, next_visit_due=_today())
    login(client, make_user(Role.TOWNSHIP_SUPERVISOR))

    page = client.get("/work/my-work/").content.decode()

    assert 'id="elderly-visits-due"' not in page


def test_a_township_worker_sees_the_visits_due_in_the_township(client, make_user, regions):
    here = make_elderly(regions.sibling_village, age=85, next_visit_due=_today())
    there = make_elderly(regions.far_village, age=85, next_visit_due=_today())
    worker = make_user(Role.TOWNSHIP_WORKER)

    assert visits.visits_due_for(user=worker) == [here]
    page = login(client, worker).get("/work/my-work/").content.decode()
    assert f'data-elderly="{here.person_id}"' in page
    assert f'data-elderly="{there.person_id}"' not in page
