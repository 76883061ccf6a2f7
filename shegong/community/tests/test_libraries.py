"""The organisation and talent libraries: who reads them (the whole district library for every
registry reader; counts for viewers; 404 for anyone else), who edits what (their own area
only), validation, version conflicts, incubation with milestones and graduation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from shegong.accounts.models import Role
from shegong.community import libraries, libraries_services
from shegong.community.models import (
    Incubation,
    IncubationStage,
    Organisation,
    OrganisationKind,
    Professional,
)
from shegong.testing import login

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def english():
    """Services speak English here (the UI default is Chinese); pages are checked by markup."""
    with translation.override("en"):
        yield


@pytest.fixture
def district_org(regions) -> Organisation:
    return Organisation.objects.create(
        name="栾城区爱心基金会", kind=OrganisationKind.CHARITY, region=regions.district
    )


@pytest.fixture
def township_org(regions) -> Organisation:
    return Organisation.objects.create(
        name="栾城镇夕阳红志愿服务队", kind=OrganisationKind.COMMUNITY, region=regions.township
    )


@pytest.fixture
def far_org(regions) -> Organisation:
    return Organisation.objects.create(
        name="冶河镇康复中心", kind=OrganisationKind.REHABILITATION, region=regions.far_village
    )


@pytest.fixture
def other_worker(make_user, regions):
    """A township worker of the other township (冶河镇)."""
    return make_user(Role.TOWNSHIP_WORKER, regions.other_township, username="other")


@pytest.fixture
def township_worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="township")


def org_data(regions, **overrides) -> dict:
    data = {
        "name": "东庄村老年协会",
        "kind": "community",
        "credit_code": "",
        "contact_name": "王秀英",
        "contact_phone": "13800000000",
        "services": "助老探访",
        "service_area": "东庄村",
        "region": regions.village.code,
        "status": "active",
        "joined_on": days(-10).isoformat(),
    }
    data.update(overrides)
    return data


# Reading -------------------------------------------------------------------------------------


def test_a_village_director_reads_the_whole_district_library(
    client, village_director, district_org, township_org, far_org
):
    login(client, village_director)

    page = client.get(reverse("community:organisations")).content.decode()

    for organisation in (district_org, township_org, far_org):
        assert f'data-organisation="{organisation.pk}"' in page
    assert client.get(reverse("community:organisation", args=[district_org.pk])).status_code == 200


def test_a_plain_scope_filter_would_hide_the_district_organisation(village_director, district_org):
    """Why the library has its own read rule: the gate would hide what serves every village."""
    from shegong.accounts import scope

    assert not scope.visible(Organisation.objects.all(), village_director).exists()
    assert district_org in libraries.organisation_library(village_director)


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.AGENCY_LIAISON, Role.INSTITUTION_OPERATOR, Role.COUNSELOR]
)
def test_outsiders_get_404_on_every_library_page(client, make_user, role, township_org):
    professional = Professional.objects.create(
        name="李医生", profession="doctor", region=township_org.region, organisation=township_org
    )
    login(client, make_user(role))

    for url in (
        reverse("community:organisations"),
        reverse("community:organisation", args=[township_org.pk]),
        reverse("community:organisation_new"),
        reverse("community:organisation_edit", args=[township_org.pk]),
        reverse("community:professionals"),
        reverse("community:professional", args=[professional.pk]),
        reverse("community:links"),
        reverse("community:link_new"),
    ):
        assert client.get(url).status_code == 404, url


def test_a_viewer_sees_counts_and_no_entries(client, make_user, district_org, township_org):
    login(client, make_user(Role.VIEWER))

    response = client.get(reverse("community:organisations"))
    page = response.content.decode()

    assert response.status_code == 200
    assert 'data-count="organisations">2<' in page
    assert district_org.name not in page and "data-organisation=" not in page
    assert client.get(reverse("community:organisation", args=[district_org.pk])).status_code == 404
    assert client.get(reverse("community:professionals")).status_code == 200


def test_a_worker_of_another_township_reads_but_cannot_edit(client, other_worker, township_org):
    login(client, other_worker)

    assert client.get(reverse("community:organisation", args=[township_org.pk])).status_code == 200
    edit = reverse("community:organisation_edit", args=[township_org.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"name": "改名"}).status_code == 404
    assert client.get(
        reverse("community:incubation_start", args=[township_org.pk])
    ).status_code == (404)
    township_org.refresh_from_db()
    assert township_org.name == "栾城镇夕阳红志愿服务队"


def test_a_township_worker_cannot_edit_a_district_organisation(township_worker, district_org):
    with pytest.raises(Http404):
        libraries_services.organisation_update(
            by=township_worker, organisation_id=district_org.pk, version=1, name="改名"
        )


def test_filters_by_kind_status_name_and_serving_region(
    client, village_director, district_org, township_org, far_org, regions
):
    Organisation.objects.filter(pk=far_org.pk).update(status="paused")
    login(client, village_director)
    url = reverse("community:organisations")

    def shown(**params) -> set[int]:
        page = client.get(url, params).content.decode()
        return {
            o.pk
            for o in (district_org, township_org, far_org)
            if f'data-organisation="{o.pk}"' in page
        }

    assert shown(kind="charity") == {district_org.pk}
    assert shown(status="paused") == {far_org.pk}
    assert shown(q="夕阳红") == {township_org.pk}
    # Serving a village of 栾城镇: the township's and the district's, not 冶河镇's.
    assert shown(region=regions.village.code) == {district_org.pk, township_org.pk}
    assert shown(region=regions.other_township.prefix) == {district_org.pk, far_org.pk}


def test_the_list_query_count_does_not_grow_with_organisations(
    client, village_director, regions, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Organisation.objects.create(name="组织", kind="charity", region=regions.district)
    login(client, village_director)
    url = reverse("community:organisations")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(30):
        Organisation.objects.create(name=f"组织{n}", kind="charity", region=regions.district)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("data-organisation=") == 25


# Writing -------------------------------------------------------------------------------------


def test_a_village_director_adds_an_organisation_in_their_village(
    client, village_director, regions
):
    login(client, village_director)

    response = client.post(reverse("community:organisation_new"), org_data(regions))

    organisation = Organisation.objects.get(name="东庄村老年协会")
    assert response.status_code == 302
    assert response.url == reverse("community:organisation", args=[organisation.pk])
    assert organisation.region == regions.village and organisation.version == 1


def test_a_region_outside_the_writers_area_is_refused_on_its_field(village_director, regions):
    with pytest.raises(ValidationError) as caught:
        libraries_services.organisation_create(
            by=village_director, name="西庄合作社", kind="charity", region=regions.sibling_village
        )

    assert "region" in caught.value.message_dict


def test_bad_input_is_named_on_its_field(client, village_director, regions, district_org):
    login(client, village_director)

    page = client.post(
        reverse("community:organisation_new"),
        org_data(
            regions,
            name=district_org.name,
            credit_code="91130111MA0000000X",
            joined_on=days(3).isoformat(),
        ),
    ).content.decode()

    assert 'data-field-error="name"' in page
    assert 'data-field-error="credit_code"' in page
    assert 'data-field-error="joined_on"' in page
    assert Organisation.objects.count() == 1


def test_an_edit_saves_and_moves_the_version(client, township_worker, township_org, regions):
    login(client, township_worker)
    url = reverse("community:organisation_edit", args=[township_org.pk])

    data = org_data(regions, name="夕阳红服务队", region=regions.township.code, version=1)
    response = client.post(url, data)

    township_org.refresh_from_db()
    assert response.status_code == 302
    assert (township_org.name, township_org.version) == ("夕阳红服务队", 2)


def test_a_stale_edit_changes_nothing_and_says_so(client, township_worker, township_org, regions):
    libraries_services.organisation_update(
        by=township_worker, organisation_id=township_org.pk, version=1, contact_name="李主任"
    )
    login(client, township_worker)

    page = client.post(
        reverse("community:organisation_edit", args=[township_org.pk]),
        org_data(regions, name="别的名字", region=regions.township.code, version=1),
    ).content.decode()

    township_org.refresh_from_db()
    assert "data-form-error" in page and township_org.name in page
    assert (township_org.name, township_org.contact_name, township_org.version) == (
        "栾城镇夕阳红志愿服务队",
        "李主任",
        2,
    )


def test_a_stale_version_is_refused_by_the_service(township_worker, township_org):
    with pytest.raises(ValidationError, match=township_org.name) as refused:
        libraries_services.organisation_update(
            by=township_worker, organisation_id=township_org.pk, version=7, name="新名"
        )
    assert refused.value.code == "stale"


def test_professionals_are_added_edited_and_filtered(
    client, township_worker, township_org, regions
):
    login(client, township_worker)

    response = client.post(
        reverse("community:professional_new"),
        {
            "name": "赵心理",
            "profession": "counsellor",
            "qualification": "二级心理咨询师",
            "organisation": township_org.pk,
            "skills": "儿童心理",
            "availability": "周末",
            "phone": "",
            "region": regions.township.code,
            "is_active": "on",
        },
    )
    professional = Professional.objects.get(name="赵心理")
    assert response.status_code == 302 and professional.organisation == township_org

    libraries_services.professional_update(
        by=township_worker, professional_id=professional.pk, version=1, availability="工作日"
    )
    with pytest.raises(ValidationError, match=professional.name) as refused:
        libraries_services.professional_update(
            by=township_worker, professional_id=professional.pk, version=1, name="x"
        )
    assert refused.value.code == "stale"
    url = reverse("community:professionals")
    assert (
        f'data-professional="{professional.pk}"' in client.get(url, {"q": "儿童"}).content.decode()
    )
    assert "data-professional=" not in client.get(url, {"profession": "lawyer"}).content.decode()
    by_org = client.get(url, {"organisation": township_org.pk}).content.decode()
    assert f'data-professional="{professional.pk}"' in by_org
    detail = client.get(reverse("community:organisation", args=[township_org.pk])).content.decode()
    assert "赵心理" in detail


# Incubation ----------------------------------------------------------------------------------


@pytest.fixture
def incubation(township_worker, township_org) -> Incubation:
    return libraries_services.incubation_start(
        by=township_worker, organisation=township_org, started_on=days(-100), mentor="区指导中心"
    )


def test_only_a_community_organisation_is_incubated(district_admin, district_org):
    with pytest.raises(ValidationError, match="Only community social organisations"):
        libraries_services.incubation_start(
            by=district_admin, organisation=district_org, started_on=days(-1)
        )


def test_stages_milestones_and_graduation(client, township_worker, township_org, incubation):
    login(client, township_worker)

    client.post(
        reverse("community:incubation_edit", args=[township_org.pk]),
        {"stage": "growing", "mentor": "王老师", "version": 1},
    )
    client.post(
        reverse("community:milestone_add", args=[township_org.pk]),
        {"reached_on": days(-30).isoformat(), "title": "完成备案", "note": ""},
    )
    response = client.post(
        reverse("community:incubation_graduate", args=[township_org.pk]),
        {"graduated_on": days(-1).isoformat(), "version": 2},
    )

    incubation.refresh_from_db()
    assert response.status_code == 302
    assert (incubation.stage, incubation.mentor, incubation.graduated_on) == (
        IncubationStage.GRADUATED,
        "王老师",
        days(-1),
    )
    assert list(incubation.milestones.values_list("title", flat=True)) == ["完成备案"]
    page = client.get(reverse("community:organisation", args=[township_org.pk])).content.decode()
    assert 'data-stage="graduated"' in page and "完成备案" in page


def test_a_graduated_organisation_cannot_go_back(township_worker, township_org, incubation):
    graduated = libraries_services.incubation_graduate(
        by=township_worker, organisation=township_org, version=1, graduated_on=TODAY
    )

    with pytest.raises(ValidationError, match="cannot go back"):
        libraries_services.incubation_update(
            by=township_worker,
            organisation=township_org,
            version=graduated.version,
            stage="growing",
            mentor="",
        )
    with pytest.raises(ValidationError, match="already graduated"):
        libraries_services.incubation_graduate(
            by=township_worker, organisation=township_org, version=2, graduated_on=TODAY
        )


def test_milestone_and_graduation_dates_are_checked(township_worker, township_org, incubation):
    with pytest.raises(ValidationError) as future:
        libraries_services.milestone_add(
            by=township_worker, organisation=township_org, reached_on=days(1), title="x"
        )
    with pytest.raises(ValidationError) as early:
        libraries_services.incubation_graduate(
            by=township_worker, organisation=township_org, version=1, graduated_on=days(-200)
        )

    assert "reached_on" in future.value.message_dict
    assert "graduated_on" in early.value.message_dict
    assert Incubation.objects.get(pk=incubation.pk).stage == IncubationStage.SEED


def test_a_stale_stage_change_is_refused(client, township_worker, township_org, incubation):
    libraries_services.incubation_update(
        by=township_worker, organisation=township_org, version=1, stage="startup", mentor=""
    )
    login(client, township_worker)

    page = client.post(
        reverse("community:incubation_edit", args=[township_org.pk]),
        {"stage": "growing", "mentor": "", "version": 1},
    ).content.decode()

    assert "data-form-error" in page
    assert Incubation.objects.get(pk=incubation.pk).stage == IncubationStage.STARTUP


def test_an_incubated_organisation_stays_community(township_worker, township_org, incubation):
    with pytest.raises(ValidationError) as caught:
        libraries_services.organisation_update(
            by=township_worker, organisation_id=township_org.pk, version=1, kind="charity"
        )

    assert "kind" in caught.value.message_dict


def test_every_library_page_renders_for_its_writer(
    client, township_worker, township_org, incubation, regions
):
    professional = Professional.objects.create(
        name="李医生", profession="doctor", region=regions.township, organisation=township_org
    )
    login(client, township_worker)

    for name, args in (
        ("community:organisations", []),
        ("community:organisation_new", []),
        ("community:organisation", [township_org.pk]),
        ("community:organisation_edit", [township_org.pk]),
        ("community:incubation_edit", [township_org.pk]),
        ("community:milestone_add", [township_org.pk]),
        ("community:incubation_graduate", [township_org.pk]),
        ("community:professionals", []),
        ("community:professional_new", []),
        ("community:professional", [professional.pk]),
        ("community:professional_edit", [professional.pk]),
        ("community:links", []),
        ("community:link_new", []),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
