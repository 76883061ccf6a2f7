"""The colour-card pages: list, card, file, assessment form and result, overview, admin."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shegong.accounts.models import Programme, Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.casework.models import Case
from shegong.children import services
from shegong.children.models import ChildProfile, Colour, Instrument, InterventionRule, Option
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

from .answers import answers

pytestmark = pytest.mark.django_db


def graded(by, person, spec, level="low", **chosen):
    services.assessment_record(by=by, person=person, answers=answers(spec, level, **chosen))
    return ChildProfile.objects.get(person=person)


def form_answers(spec, level="low", **chosen):
    return {f"q-{k}": v for k, v in answers(spec, level, **chosen).items()}


# ---- list -----------------------------------------------------------------------------------


def test_the_list_shows_colour_badges_with_their_names(
    director_client, village_director, child, spec
):
    graded(village_director, child, spec, "high")

    response = director_client.get("/children/")

    content = response.content.decode()
    assert "李小花" in content
    assert 'data-colour="red"' in content
    assert str(Colour.RED.label) in content


def test_the_list_filters_by_colour_and_overdue(director_client, village_director, regions, spec):
    red = PersonFactory(region=regions.village, name="红孩", birth_date=born_years_ago(8))
    blue = PersonFactory(region=regions.village, name="蓝孩", birth_date=born_years_ago(9))
    graded(village_director, red, spec, "high")
    graded(village_director, blue, spec, "low")
    ChildProfile.objects.filter(person=blue).update(
        next_visit_due=timezone.localdate() - dt.timedelta(days=1)
    )

    def names(**params):
        response = director_client.get("/children/", params)
        return [c.person.name for c in response.context["children"]]

    assert names(colour="red") == ["红孩"]
    assert names(overdue="visit") == ["蓝孩"]
    assert names(q="蓝") == ["蓝孩"]
    assert names() == ["红孩", "蓝孩"]  # reddest first


def test_an_htmx_search_renders_only_the_results(director_client, village_director, child, spec):
    graded(village_director, child, spec)

    response = director_client.get("/children/", {"q": "小花"}, headers={"HX-Request": "true"})

    assert "<html" not in response.content.decode()
    assert "李小花" in response.content.decode()


def test_the_list_shows_only_children_in_scope(make_user, regions, village_director, spec):
    mine = PersonFactory(region=regions.village, name="本村", birth_date=born_years_ago(8))
    theirs = PersonFactory(
        region=regions.sibling_village, name="邻村", birth_date=born_years_ago(8)
    )
    district = make_user(Role.CENTER_WORKER)
    graded(village_director, mine, spec)
    graded(district, theirs, spec)
    client = login(Client(), village_director)

    names = [c.person.name for c in client.get("/children/").context["children"]]

    assert names == ["本村"]


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER, Role.COUNSELOR])
def test_roles_without_the_registry_get_404_everywhere(
    make_user, role, village_director, child, spec
):
    graded(village_director, child, spec)
    client = login(Client(), make_user(role, region=child.region))

    for url in [
        "/children/",
        f"/children/{child.pk}/",
        f"/children/{child.pk}/assess/",
        "/children/overview/",
    ]:
        assert client.get(url).status_code == 404, url


UI_LIST_QUERIES = 11


def fill(by, regions, spec, count):
    for n in range(count):
        person = PersonFactory(region=regions.village, birth_date=born_years_ago(5 + n % 12))
        graded(by, person, spec, ["low", "high"][n % 2])
        if n % 3 == 0:
            ChildProfile.objects.filter(person=person).update(director=by)


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_list_costs_the_same_for_one_child_and_a_full_page(
    director_client, village_director, regions, spec
):
    fill(village_director, regions, spec, 1)
    one = queries_for(director_client, "/children/")

    fill(village_director, regions, spec, 30)
    full = queries_for(director_client, "/children/")

    assert one == full
    assert full <= UI_LIST_QUERIES


# ---- colour card ----------------------------------------------------------------------------


def test_reading_a_childs_card_is_in_the_access_log(director_client, village_director, child, spec):
    profile = graded(village_director, child, spec)
    assert not AccessLog.objects.exists()  # assessing is not reading the file

    response = director_client.get(f"/children/{child.pk}/")

    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.person, entry.object_id) == (
        village_director,
        AccessAction.READ,
        child,
        str(profile.pk),
    )


def test_reading_an_assessment_result_is_in_the_access_log(
    director_client, village_director, child, spec
):
    graded(village_director, child, spec)
    assessment = ChildProfile.objects.get(person=child).assessments.get()

    director_client.get(f"/children/{child.pk}/assessments/{assessment.pk}/")

    assert AccessLog.objects.filter(person=child, action=AccessAction.READ).count() == 1


def test_the_card_shows_colour_dates_case_history_and_a_print_button(
    director_client, village_director, child, spec
):
    graded(village_director, child, spec, "high")
    case = Case.objects.get(person=child)

    content = director_client.get(f"/children/{child.pk}/").content.decode()

    assert 'id="current-colour"' in content and 'data-colour="red"' in content
    assert case.get_absolute_url() in content
    assert "data-print" in content  # static/js/shegong.js prints (no inline handler: CSP)
    assert (timezone.localdate() + dt.timedelta(days=7)).isoformat() in content
    assert "v1" in content


def test_an_overdue_visit_is_highlighted(director_client, village_director, child, spec):
    graded(village_director, child, spec)
    ChildProfile.objects.filter(person=child).update(
        next_visit_due=timezone.localdate() - dt.timedelta(days=2)
    )

    content = director_client.get(f"/children/{child.pk}/").content.decode()

    assert 'id="next-visit"><span class="overdue">' in content


def test_a_child_of_another_village_is_404(make_user, regions, village_director, spec):
    theirs = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(8))
    graded(make_user(Role.CENTER_WORKER), theirs, spec)
    client = login(Client(), village_director)

    for url in [
        f"/children/{theirs.pk}/",
        f"/children/{theirs.pk}/edit/",
        f"/children/{theirs.pk}/assess/",
    ]:
        assert client.get(url).status_code == 404, url
    assert not AccessLog.objects.filter(person=theirs).exists()


def test_a_child_without_a_file_can_get_one(director_client, child, instrument):
    response = director_client.get(f"/children/{child.pk}/")
    assert f"children/{child.pk}/register/" in response.content.decode()

    response = director_client.post(f"/children/{child.pk}/register/")

    assert response.status_code == 302
    assert ChildProfile.objects.filter(person=child).exists()


def test_the_person_page_links_a_child_to_the_colour_card(director_client, child, person):
    assert f"/children/{child.pk}/" in director_client.get(f"/people/{child.pk}/").content.decode()
    assert "colour-card-link" not in director_client.get(f"/people/{person.pk}/").content.decode()


# ---- file edit ------------------------------------------------------------------------------


def edit_data(profile, **fields):
    return {
        "version": profile.version,
        "difficulties": ["left_behind", "poverty"],
        "father": "working_away",
        "mother": "missing",
        "guardian_capacity": "limited",
        "guardian_notes": "祖母照料，年老多病",
        "school": "东庄小学",
        "grade": "四年级",
        "health": "",
        "director": "",
        "supervisor": "",
        **fields,
    }


def test_the_file_edit_saves_and_offers_only_people_with_the_roles(
    director_client, village_director, supervisor, make_user, regions, child, spec
):
    profile = graded(village_director, child, spec)
    make_user(Role.VILLAGE_DIRECTOR, region=regions.far_village, username="faraway")
    form = director_client.get(f"/children/{child.pk}/edit/").context["form"]
    assert list(form.fields["director"].queryset) == [village_director]
    assert list(form.fields["supervisor"].queryset) == [supervisor]

    response = director_client.post(
        f"/children/{child.pk}/edit/",
        edit_data(profile, director=village_director.pk, supervisor=supervisor.pk),
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.difficulties == ["left_behind", "poverty"]
    assert (profile.director, profile.supervisor, profile.school) == (
        village_director,
        supervisor,
        "东庄小学",
    )


def test_a_stale_file_edit_shows_a_conflict(director_client, village_director, child, spec):
    profile = graded(village_director, child, spec)
    stale = edit_data(profile)
    ChildProfile.objects.filter(pk=profile.pk).update(version=profile.version + 1)

    response = director_client.post(f"/children/{child.pk}/edit/", stale)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    profile.refresh_from_db()
    assert profile.school == ""


# ---- assessment form and result -------------------------------------------------------------


def test_the_assessment_form_has_one_card_per_dimension_in_chinese(director_client, child, spec):
    content = director_client.get(f"/children/{child.pk}/assess/").content.decode()

    assert content.count('class="card mb-3" id="dim-') == 5
    assert "有自伤、自杀念头或行为" in content


def test_a_missing_answer_is_named_and_nothing_is_recorded(director_client, child, spec):
    data = form_answers(spec)
    missing = next(iter(data))
    del data[missing]

    response = director_client.post(f"/children/{child.pk}/assess/", data)

    assert response.status_code == 422
    assert f'data-field-error="{missing[2:]}"' in response.content.decode()
    assert not ChildProfile.objects.filter(person=child, assessments__isnull=False).exists()


def test_assessing_shows_the_result_with_total_dimensions_and_drivers(director_client, child, spec):
    response = director_client.post(
        f"/children/{child.pk}/assess/", form_answers(spec, "low", mood="self_harm"), follow=True
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="final-colour"><span class="card-colour card-colour-red' in content
    assert "有自伤、自杀念头或行为" in content
    assert content.count("<tr><td>") >= 5  # one row per dimension
    assert Case.objects.filter(person=child, programme=Programme.MINORS).exists()


def test_overriding_on_the_result_page_needs_a_reason(
    director_client, village_director, child, spec
):
    graded(village_director, child, spec)
    assessment = ChildProfile.objects.get(person=child).assessments.get()
    url = f"/children/{child.pk}/assessments/{assessment.pk}/override/"

    refused = director_client.post(url, {"colour": "orange", "reason": ""})
    accepted = director_client.post(
        url, {"colour": "orange", "reason": "监护人近期住院"}, follow=True
    )

    assert refused.status_code == 422
    assert accepted.status_code == 200
    assert "监护人近期住院" in accepted.content.decode()
    assessment.refresh_from_db()
    assert (assessment.computed_colour, assessment.colour) == (Colour.BLUE, Colour.ORANGE)
    card = director_client.get(f"/children/{child.pk}/").content.decode()
    assert "监护人近期住院" in card and "override-row" in card


def test_a_result_renders_against_its_own_version(
    director_client, district_admin, village_director, child, instrument, spec
):
    graded(village_director, child, spec, health="severe")
    assessment = ChildProfile.objects.get(person=child).assessments.get()
    draft = services.instrument_draft(by=district_admin, source=instrument)
    Option.objects.filter(item__dimension__instrument=draft, value="severe").update(
        label="改过的措辞"
    )
    services.instrument_publish(by=district_admin, instrument=draft)

    content = director_client.get(
        f"/children/{child.pk}/assessments/{assessment.pk}/"
    ).content.decode()

    assert "重病或重度残疾" in content
    assert "改过的措辞" not in content
    assert "v1" in content


# ---- overview -------------------------------------------------------------------------------


def test_the_overview_figures_add_up(make_user, regions, spec):
    worker = make_user(Role.CENTER_WORKER)
    levels = {
        regions.village: ["high", "high", "low"],
        regions.sibling_village: ["low"],
        regions.far_village: ["high", "low", "low"],
    }
    for village, graded_as in levels.items():
        for level in graded_as:
            graded(worker, PersonFactory(region=village, birth_date=born_years_ago(9)), spec, level)
    PersonFactory(region=regions.far_village, birth_date=born_years_ago(9))  # no file
    ChildProfile.objects.filter(person__region=regions.village).update(
        next_visit_due=timezone.localdate() - dt.timedelta(days=1)
    )
    client = login(Client(), worker)

    overview = client.get("/children/overview/").context["overview"]

    t = overview.totals
    assert (t.red, t.orange, t.blue, t.ungraded) == (3, 0, 4, 0)
    assert t.overdue_visits == 3
    assert t.unassigned == 7
    assert sum(tw.red for tw in overview.townships) == t.red
    assert sum(tw.blue for tw in overview.townships) == t.blue
    for township in overview.townships:
        assert sum(v.total for v in township.villages) == township.total
    assert [tw.total for tw in overview.townships] == [4, 3]
    assert overview.changes == {"new": 7, "up": 0, "down": 0}


def test_the_overview_counts_grade_changes(director_client, village_director, child, spec):
    graded(village_director, child, spec, "low")
    graded(village_director, child, spec, "high")
    graded(village_director, child, spec, "high")  # no change

    overview = director_client.get("/children/overview/").context["overview"]

    assert overview.changes == {"new": 1, "up": 1, "down": 0}


def test_the_overview_is_scoped(director_client, make_user, regions, spec):
    other = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(9))
    graded(make_user(Role.CENTER_WORKER), other, spec)

    overview = director_client.get("/children/overview/").context["overview"]

    assert overview.totals.total == 0


# ---- instrument and rules -------------------------------------------------------------------


def test_the_admin_drafts_edits_and_publishes_an_instrument(admin_client, instrument):
    response = admin_client.post(f"/children/instruments/{instrument.pk}/draft/")
    draft = Instrument.objects.get(version=2)
    assert response["Location"] == f"/children/instruments/{draft.pk}/"
    page = admin_client.get(f"/children/instruments/{draft.pk}/")
    assert 'id="instrument-form"' in page.content.decode()
    option = Option.objects.get(
        item__dimension__instrument=draft, item__key="health", value="minor"
    )
    dimension = draft.dimensions.get(key="school")
    data = {"name": "第二版", "red_from": "32", "orange_from": "16"}
    for d in draft.dimensions.all():
        data[f"dim-{d.pk}-name"] = d.name
        data[f"dim-{d.pk}-weight"] = "0.5" if d == dimension else str(d.weight)
        for item in d.items.all():
            data[f"item-{item.pk}-text"] = item.text
            for o in item.options.all():
                data[f"opt-{o.pk}-label"] = o.label
                data[f"opt-{o.pk}-score"] = str(o.score)
                if o.emergency or o == option:
                    data[f"opt-{o.pk}-emergency"] = "on"

    saved = admin_client.post(f"/children/instruments/{draft.pk}/", data)
    admin_client.post(f"/children/instruments/{draft.pk}/publish/")

    assert saved.status_code == 302
    draft.refresh_from_db()
    option.refresh_from_db()
    dimension.refresh_from_db()
    assert (draft.name, draft.red_from, draft.orange_from) == ("第二版", 32, 16)
    assert option.emergency
    assert str(dimension.weight) == "0.50"
    assert draft.is_current and not Instrument.objects.get(version=1).is_current
    # the past version is read-only
    past = admin_client.get(f"/children/instruments/{instrument.pk}/").content.decode()
    assert 'id="instrument-form"' not in past


def test_bad_thresholds_are_refused(admin_client, district_admin, instrument):
    draft = services.instrument_draft(by=district_admin, source=instrument)

    response = admin_client.post(
        f"/children/instruments/{draft.pk}/", {"name": "x", "red_from": "10", "orange_from": "20"}
    )

    assert response.status_code == 422
    draft.refresh_from_db()
    assert draft.red_from == 30


def test_only_the_district_admin_reaches_the_instrument_and_rules(director_client, instrument):
    assert director_client.get("/children/instruments/").status_code == 404
    assert director_client.get(f"/children/instruments/{instrument.pk}/").status_code == 404
    assert director_client.get("/children/rules/").status_code == 404


def test_the_rules_page_shows_and_saves_the_defaults(admin_client, instrument):
    page = admin_client.get("/children/rules/")
    formset = page.context["formset"]
    assert [f.instance.colour for f in formset] == ["red", "orange", "blue"]
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3"}
    for n, form in enumerate(formset):
        rule = form.instance
        data[f"form-{n}-id"] = rule.pk
        data[f"form-{n}-case_within_hours"] = rule.case_within_hours or ""
        if rule.case_recommended:
            data[f"form-{n}-case_recommended"] = "on"
        data[f"form-{n}-visit_every_days"] = (
            10 if rule.colour == "orange" else rule.visit_every_days
        )
        data[f"form-{n}-reassess_every_days"] = rule.reassess_every_days
        if rule.supervisor_reviews_plan:
            data[f"form-{n}-supervisor_reviews_plan"] = "on"

    response = admin_client.post("/children/rules/", data)

    assert response.status_code == 302
    assert InterventionRule.objects.get(colour="orange").visit_every_days == 10
    red = InterventionRule.objects.get(colour="red")
    assert (red.case_within_hours, red.visit_every_days, red.reassess_every_days) == (24, 7, 30)
    assert red.supervisor_reviews_plan
