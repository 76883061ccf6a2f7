"""seed_demo fills the justice-involved minors programme: partners, a joint opinion, a contract,
the demo liaison and worker, and referrals from two agencies in every state."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from shegong.accounts import scope
from shegong.accounts.models import Role, User
from shegong.casework.models import Notification
from shegong.demo import generate, juvenile
from shegong.juvenile import selectors
from shegong.juvenile.models import (
    Agency,
    AgencyKind,
    JointOpinion,
    Referral,
    ReferralStatus,
    ReportStatus,
    ServiceContract,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    """The regions, staff and demo accounts, then the programme (seed_demo's order)."""
    generate.seed_regions_and_staff(seed=7)
    with django_capture_on_commit_callbacks(execute=True):  # the notifications
        juvenile.generate_juvenile(seed=7)


def user(username):
    return User.objects.get(username=username)


def test_seed_demo_adds_the_programme_after_the_devices():
    out = io.StringIO()

    call_command("seed_demo", people=20, stdout=out)

    assert "9 juvenile referrals" in out.getvalue()
    assert Referral.objects.count() == 9


def test_it_adds_the_partner_agencies_and_a_generated_social_work_organisation(seeded):
    kinds = set(Agency.objects.values_list("kind", flat=True))

    assert kinds == set(AgencyKind.values) - {AgencyKind.PUBLIC_SECURITY}
    organisation = Agency.objects.get(kind=AgencyKind.SOCIAL_WORK_ORG)
    assert organisation.name.endswith("社会工作服务中心（生成）")
    assert Agency.objects.get(kind=AgencyKind.PROCURATORATE).name == "栾城区人民检察院"


def test_the_joint_opinion_has_six_parties_each_with_a_responsibility(seeded):
    opinion = JointOpinion.objects.get()

    parties = set(opinion.parties.values_list("pk", flat=True))
    assert len(parties) == 6
    assert {row["agency"] for row in opinion.responsibilities} == parties
    assert all(row["text"] for row in opinion.responsibilities)


def test_the_procuratorate_buys_services_from_the_social_work_organisation(seeded):
    contract = ServiceContract.objects.select_related("purchaser", "provider").get()

    assert contract.purchaser.kind == AgencyKind.PROCURATORATE
    assert contract.provider.kind == AgencyKind.SOCIAL_WORK_ORG
    assert contract.deliverables["investigations"] > 0
    delivered = {
        row["key"]: row["delivered"]
        for row in selectors.contract_delivery(contract, user("demo-juvenile"))
    }
    assert delivered["investigations"] >= 1


def test_the_demo_liaison_and_worker_accounts_are_set_up(seeded):
    liaison, worker, district = (
        user("demo-procuratorate"),
        user("demo-juvenile"),
        user("demo-district"),
    )

    assert [m.role for m in liaison.memberships.all()] == [Role.AGENCY_LIAISON]
    assert list(liaison.agencies.values_list("kind", flat=True)) == [AgencyKind.PROCURATORATE]
    assert [(m.role, m.programmes) for m in worker.memberships.all()] == [
        (Role.CENTER_WORKER, ["juvenile"])
    ]
    assert scope.works_in_programme(worker, "juvenile")
    assert scope.works_in_programme(district, "juvenile")
    assert "elderly" in district.memberships.get().programmes  # still hears elderly alarms


def test_referrals_come_from_two_agencies_in_every_state(seeded):
    referrals = Referral.objects.select_related("agency")

    assert {r.status for r in referrals} == set(ReferralStatus.values)
    assert {r.agency.kind for r in referrals} == {AgencyKind.PROCURATORATE, AgencyKind.COURT}
    assert all("（演示）" in r.case_number for r in referrals)
    rejected = referrals.get(status=ReferralStatus.REJECTED)
    assert rejected.reject_reason
    assert referrals.get(status=ReferralStatus.DONE).closing.outcome
    assert all(r.events.exists() for r in referrals)
    assert max(r.referred_at for r in referrals) < timezone.now()
    assert min(r.referred_at for r in referrals) < timezone.now() - timezone.timedelta(days=90)


def test_reports_are_in_draft_waiting_and_approved_with_the_history_kept(seeded):
    statuses = {
        r.pk: [v.status for v in selectors.versions_of(r)]
        for r in Referral.objects.filter(report_versions__isnull=False).distinct()
    }

    assert sorted(statuses.values()) == [
        [ReportStatus.APPROVED, ReportStatus.RETURNED],
        [ReportStatus.DRAFT],
        [ReportStatus.SUBMITTED],
    ]


def test_the_approved_report_opens_as_a_word_document(seeded):
    referral = Referral.objects.get(report_versions__status=ReportStatus.APPROVED)
    version = selectors.approved_version(referral)

    content = selectors.report_docx(referral, version)

    assert content[:2] == b"PK"
    assert "演示数据" in version.sections["basic"]
    assert version.decided_by.username == "demo-district"


def test_the_demo_worker_has_an_overdue_check_on_my_work(seeded):
    worker = user("demo-juvenile")

    [overdue] = selectors.overdue_checks(user=worker)

    assert overdue.order.checks.filter(checked_on__isnull=False).count() == 1


def test_the_procuratorate_liaison_sees_only_its_own_referrals(seeded):
    liaison = user("demo-procuratorate")

    visible = selectors.referral_list(user=liaison)

    assert visible.count() >= 4
    assert {r.agency.kind for r in visible} == {AgencyKind.PROCURATORATE}
    assert not selectors.referral_list(user=user("demo-village")).exists()
    assert selectors.referral_list(user=user("demo-juvenile")).count() == Referral.objects.count()


def test_the_workflow_notified_the_liaison_and_the_supervisor(seeded):
    assert Notification.objects.filter(user__username="demo-procuratorate").exists()
    assert Notification.objects.filter(user__username="demo-district", url__contains="/").exists()


def test_it_adds_nothing_the_second_time(seeded):
    counts = Agency.objects.count(), Referral.objects.count(), User.objects.count()

    assert juvenile.generate_juvenile(seed=7) == 0
    assert (Agency.objects.count(), Referral.objects.count(), User.objects.count()) == counts
