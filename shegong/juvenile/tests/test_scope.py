"""Who sees a referral (the scope gate's closed-programme rule): the programme's workers in
their area and the referring agency's liaisons (reading); nobody else, whatever their role."""

import pytest
from django.http import Http404

from shegong.accounts import scope
from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.juvenile import selectors, services
from shegong.juvenile.models import ComplianceCheck, Interview, Referral, ReportVersion

from .conftest import in_programme, referral_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def near(referral):
    """The procuratorate's referral of a boy in 东庄村 (栾城镇)."""
    return referral


@pytest.fixture
def far(regions, liaison, procuratorate):
    """The procuratorate's referral of a girl in 南营村 (冶河镇)."""
    return services.referral_submit(
        by=liaison,
        agency=procuratorate,
        data=referral_data(
            regions, case_number="栾检未〔2024〕2号", sex="F", region_code=regions.far_village.code
        ),
    )


@pytest.fixture
def womens(regions, other_liaison, other_agency):
    """The women's federation's referral, in 东庄村 too."""
    return services.referral_submit(
        by=other_liaison,
        agency=other_agency,
        data=referral_data(regions, case_number="妇联转〔2024〕7号"),
    )


@pytest.fixture
def everything(near, far, womens):
    return {"near": near, "far": far, "womens": womens}


def seen(user, *, write=False):
    return set(
        scope.visible(Referral.objects.all(), user, write=write).values_list(
            "case_number", flat=True
        )
    )


def names(*referrals):
    return {r.case_number for r in referrals}


def test_a_programme_worker_at_the_district_sees_every_referral(everything, juvenile_worker):
    assert seen(juvenile_worker) == names(*everything.values())
    assert seen(juvenile_worker, write=True) == names(*everything.values())


def test_a_programme_worker_of_a_township_sees_only_that_township(everything, make_user, regions):
    worker = in_programme(make_user(Role.TOWNSHIP_WORKER, username="t_worker"))

    assert seen(worker) == names(everything["near"], everything["womens"])
    with pytest.raises(Http404):
        selectors.get_referral_for_user(worker, everything["far"].pk)


@pytest.mark.parametrize(
    "role",
    [
        Role.DISTRICT_ADMIN,
        Role.CENTER_WORKER,
        Role.TOWNSHIP_SUPERVISOR,
        Role.TOWNSHIP_WORKER,
    ],
)
def test_the_same_roles_without_the_programme_see_nothing(everything, make_user, role):
    user = make_user(role, username="without")

    assert seen(user) == set()
    with pytest.raises(Http404):
        selectors.get_referral_for_user(user, everything["near"].pk)


def test_another_programme_is_not_enough(everything, make_user):
    user = in_programme(make_user(Role.CENTER_WORKER, username="minors"), "minors")

    assert seen(user) == set()


@pytest.mark.parametrize("role", [Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT])
def test_village_staff_see_nothing_even_in_their_own_village_and_with_the_programme(
    everything, make_user, role
):
    user = in_programme(make_user(role, username="village"))

    assert everything["near"].region_id == user.memberships.get().region_id
    assert seen(user) == set()
    with pytest.raises(Http404):
        selectors.get_referral_for_user(user, everything["near"].pk)


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.VIEWER, Role.COUNSELOR, Role.INSTITUTION_OPERATOR]
)
def test_everyone_else_sees_nothing(everything, make_user, role):
    user = in_programme(make_user(role, username="outsider"))

    assert seen(user) == set()
    assert not selectors.can_use(user)


def test_a_liaison_sees_their_own_agencys_referrals_wherever_they_are(everything, liaison):
    assert seen(liaison) == names(everything["near"], everything["far"])
    assert selectors.get_referral_for_user(liaison, everything["far"].pk) == everything["far"]


def test_a_liaison_of_another_agency_gets_404(everything, liaison, other_liaison):
    assert seen(other_liaison) == names(everything["womens"])
    with pytest.raises(Http404):
        selectors.get_referral_for_user(other_liaison, everything["near"].pk)
    with pytest.raises(Http404):
        selectors.get_referral_for_user(liaison, everything["womens"].pk)


def test_a_liaison_never_writes_through_the_gate(everything, liaison):
    assert seen(liaison, write=True) == set()


def test_being_named_a_liaison_needs_the_liaison_role(everything, make_user, procuratorate):
    viewer = make_user(Role.VIEWER, username="named_but_viewer")
    procuratorate.liaisons.add(viewer)

    assert seen(viewer) == set()
    assert scope.partner_agencies(viewer) == []


def test_records_under_a_referral_follow_it(
    referral_in_progress, juvenile_worker, liaison, other_liaison, make_user
):
    from django.utils import timezone

    services.interview_add(
        by=juvenile_worker,
        referral_id=referral_in_progress.pk,
        data={
            "interviewee": "李建军",
            "relation": "父亲",
            "held_at": timezone.now(),
            "place": "家中",
            "method": "home_visit",
            "summary": "了解家庭情况",
        },
    )
    services.report_save(
        by=juvenile_worker, referral_id=referral_in_progress.pk, sections={"basic": "初稿"}
    )
    services.order_add(
        by=juvenile_worker,
        referral_id=referral_in_progress.pk,
        data={
            "kind": "supervision",
            "issued_by": "栾城区人民检察院",
            "issued_on": timezone.localdate(),
            "obligations": "按时接送",
        },
    )
    director = in_programme(make_user(Role.VILLAGE_DIRECTOR, username="director"))

    for model in (Interview, ReportVersion, ComplianceCheck):
        assert scope.visible(model.objects.all(), juvenile_worker).count() == 1
        assert scope.visible(model.objects.all(), liaison).count() == 1
        assert scope.visible(model.objects.all(), liaison, write=True).count() == 0
        assert scope.visible(model.objects.all(), other_liaison).count() == 0
        assert scope.visible(model.objects.all(), director).count() == 0


def test_who_may_use_the_programme(make_user, juvenile_worker, liaison, village_director):
    assert selectors.can_use(juvenile_worker)
    assert selectors.can_use(liaison)
    assert not selectors.can_use(village_director)
    assert not selectors.can_use(make_user(Role.AGENCY_LIAISON, username="no_agency"))


def test_every_read_of_a_referral_is_in_the_access_log(
    everything, juvenile_worker, liaison, other_liaison
):
    near = everything["near"]

    selectors.get_referral_for_user(juvenile_worker, near.pk)
    selectors.get_referral_for_user(liaison, near.pk)
    selectors.get_referral_for_user(liaison, near.pk)
    with pytest.raises(Http404):
        selectors.get_referral_for_user(other_liaison, near.pk)

    rows = AccessLog.objects.filter(object_type="juvenile.referral", object_id=str(near.pk))
    assert [(row.user, row.action) for row in rows.order_by("id")] == [
        (juvenile_worker, AccessAction.READ),
        (liaison, AccessAction.READ),
        (liaison, AccessAction.READ),
    ]
    assert not AccessLog.objects.filter(user=other_liaison).exists()


def test_the_list_is_scoped_and_does_not_log(everything, liaison):
    assert set(selectors.referral_list(user=liaison)) == {everything["near"], everything["far"]}
    assert not AccessLog.objects.exists()
