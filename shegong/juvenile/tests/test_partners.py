"""The overview figures, the partner records (agencies, joint opinions, contracts), who reads and
who keeps them, what a contract delivered, and the programme in the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.juvenile import partners, services
from shegong.juvenile.models import (
    Agency,
    AgencyKind,
    JointOpinion,
    Referral,
    ReferralStatus,
    ServiceContract,
)

from .conftest import accept_and_start, approve_a_report, in_programme, referral_data

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.localdate()


def _session(referral, worker, held_on, kind="individual"):
    return services.session_add(
        by=worker,
        referral_id=referral.pk,
        data={
            "held_on": held_on,
            "kind": kind,
            "guardians_attending": "母亲",
            "attended": True,
            "content": "面谈",
            "assignments": "",
        },
    )


def _order(referral, worker, *, issued_days_ago, every):
    return services.order_add(
        by=worker,
        referral_id=referral.pk,
        data={
            "kind": "supervision",
            "issued_by": "栾城区人民检察院",
            "issued_on": _today() - dt.timedelta(days=issued_days_ago),
            "obligations": "按时接送",
            "check_every_days": every,
        },
    )


@pytest.fixture
def known_data(
    regions,
    liaison,
    procuratorate,
    other_liaison,
    other_agency,
    juvenile_worker,
    juvenile_supervisor,
):
    """Procuratorate: one referral on time (report approved, sessions, two orders), one late, one
    just submitted. Women's federation: one rejected (not counted for timeliness)."""
    submit = services.referral_submit
    on_time = submit(by=liaison, agency=procuratorate, data=referral_data(regions))
    late = submit(by=liaison, agency=procuratorate, data=referral_data(regions, minor_name="张三"))
    submit(by=liaison, agency=procuratorate, data=referral_data(regions, minor_name="王五"))
    rejected = submit(
        by=other_liaison, agency=other_agency, data=referral_data(regions, minor_name="赵六")
    )
    services.referral_reject(
        by=juvenile_worker, referral_id=rejected.pk, version=rejected.version, reason="重复转介"
    )

    on_time = accept_and_start(on_time, juvenile_worker)
    approve_a_report(on_time, author=juvenile_worker, supervisor=juvenile_supervisor)
    late = accept_and_start(late, juvenile_worker)
    approve_a_report(late, author=juvenile_worker, supervisor=juvenile_supervisor)
    Referral.objects.filter(pk=late.pk).update(due_on=_today() - dt.timedelta(days=1))

    _session(on_time, juvenile_worker, _today())
    _session(on_time, juvenile_worker, _today(), kind="group")
    _session(on_time, juvenile_worker, dt.date(_today().year - 1, 6, 1))  # another year
    _order(on_time, juvenile_worker, issued_days_ago=45, every=30)  # its check is overdue
    done = _order(on_time, juvenile_worker, issued_days_ago=10, every=5).checks.get()
    services.compliance_record(by=juvenile_worker, check_id=done.pk, result="compliant")
    return on_time


def _figure(page: str, name: str) -> str:
    return page.split(f'data-figure="{name}"')[1].split(">", 1)[1].split("<", 1)[0]


# ---- the overview -------------------------------------------------------------------------------


def test_the_overview_figures_on_a_known_data_set(juvenile_worker, known_data):
    figures = partners.overview(user=juvenile_worker, year=_today().year)
    rows = {row["agency"]: row for row in figures["rows"]}
    assert {name: row["total"] for name, row in rows.items()} == {
        "栾城区人民检察院": 3,
        "栾城区妇女联合会": 1,
    }
    statuses = figures["statuses"]
    procuratorate = rows["栾城区人民检察院"]["cells"]
    assert procuratorate[statuses.index(ReferralStatus.IN_PROGRESS)] == 2
    assert procuratorate[statuses.index(ReferralStatus.SUBMITTED)] == 1
    assert figures["total"] == 4
    investigations = figures["investigations"]
    assert (investigations["requested"], investigations["on_time"], investigations["late"]) == (
        3,
        1,
        1,
    )
    assert (investigations["pending"], investigations["overdue"]) == (1, 0)
    assert figures["sessions"]["held"] == 2 and figures["sessions"]["group"] == 1
    assert figures["orders_total"] == 2
    checks = figures["checks"]
    assert (checks["done"], checks["due"], checks["overdue"], checks["share"]) == (1, 2, 1, 100)


def test_the_overview_page_shows_the_figures_in_a_bounded_number_of_queries(
    client_for, juvenile_worker, known_data, django_assert_max_num_queries
):
    client = client_for(juvenile_worker)
    with django_assert_max_num_queries(11):
        page = client.get("/juvenile/overview/").content.decode()
    assert _figure(page, "on_time") == "1" and _figure(page, "requested") == "3"
    assert _figure(page, "sessions") == "2" and _figure(page, "checks_overdue") == "1"
    assert _figure(page, "checks_done") == "1" and _figure(page, "checks_due") == "2"
    assert _figure(page, "referrals") == "4"


def test_last_years_sessions_are_counted_in_last_year(juvenile_worker, known_data):
    figures = partners.overview(user=juvenile_worker, year=_today().year - 1)
    assert figures["sessions"]["held"] == 1


def test_a_liaison_sees_only_their_agencys_figures(client_for, liaison, other_liaison, known_data):
    mine = partners.overview(user=liaison, year=_today().year)
    assert [row["agency"] for row in mine["rows"]] == ["栾城区人民检察院"]
    theirs = partners.overview(user=other_liaison, year=_today().year)
    assert [row["agency"] for row in theirs["rows"]] == ["栾城区妇女联合会"]
    assert theirs["investigations"]["requested"] == 0 and theirs["sessions"]["held"] == 0
    page = client_for(other_liaison).get("/juvenile/overview/").content.decode()
    assert "栾城区人民检察院" not in page and 'id="liaison-note"' in page


@pytest.mark.parametrize(
    "role", [Role.VILLAGE_DIRECTOR, Role.VOLUNTEER, Role.VIEWER, Role.CENTER_WORKER]
)
def test_the_overview_is_404_outside_the_programme(client_for, make_user, role):
    client = client_for(make_user(role, username="outsider"))
    assert client.get("/juvenile/overview/").status_code == 404


# ---- partner records: reading -------------------------------------------------------------------


@pytest.fixture
def opinion(procuratorate, other_agency, tmp_path, settings) -> JointOpinion:
    settings.MEDIA_ROOT = tmp_path
    opinion = JointOpinion.objects.create(
        title="关于建立涉案未成年人家庭教育指导工作机制的意见",
        signed_on=_today() - dt.timedelta(days=200),
        scope="涉案未成年人及其监护人",
        responsibilities=[
            {"agency": procuratorate.pk, "text": "负责转介与督促监护令"},
            {"agency": other_agency.pk, "text": "负责家庭教育指导"},
        ],
    )
    opinion.parties.set([procuratorate, other_agency])
    opinion.document.save("意见.pdf", SimpleUploadedFile("意见.pdf", b"%PDF-1.4 opinion"))
    return opinion


def test_workers_and_liaisons_read_the_partners_page(
    client_for, juvenile_worker, liaison, opinion, service_contract
):
    for user in (juvenile_worker, liaison):
        page = client_for(user).get("/juvenile/partners/").content.decode()
        assert "栾城区人民检察院" in page and opinion.title in page
        assert service_contract.number in page
        assert "/juvenile/contracts/new/" not in page  # only a manager adds


@pytest.mark.parametrize("role", [Role.VILLAGE_DIRECTOR, Role.VOLUNTEER, Role.DISTRICT_ADMIN])
def test_the_partner_pages_are_404_outside_the_programme(
    client_for, make_user, role, opinion, service_contract
):
    client = client_for(make_user(role, username="outsider"))
    for url in (
        "/juvenile/partners/",
        f"/juvenile/opinions/{opinion.pk}/",
        f"/juvenile/opinions/{opinion.pk}/document/",
        f"/juvenile/contracts/{service_contract.pk}/",
        "/juvenile/contracts/new/",
    ):
        assert client.get(url).status_code == 404, url


def test_the_opinion_shows_each_partys_responsibilities_and_the_document(
    client_for, liaison, opinion
):
    client = client_for(liaison)
    page = client.get(f"/juvenile/opinions/{opinion.pk}/").content.decode()
    assert "负责转介与督促监护令" in page and "负责家庭教育指导" in page
    download = client.get(f"/juvenile/opinions/{opinion.pk}/document/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 opinion"
    assert "attachment" in download["Content-Disposition"]


def test_a_liaison_of_an_agency_not_party_gets_404(
    client_for, make_user, regions, opinion, service_contract
):
    outsider_agency = Agency.objects.create(
        name="栾城区团委", kind=AgencyKind.YOUTH_LEAGUE, region=regions.district
    )
    stranger = make_user(Role.AGENCY_LIAISON, username="youth")
    outsider_agency.liaisons.add(stranger)
    client = client_for(stranger)
    page = client.get("/juvenile/partners/").content.decode()
    assert opinion.title not in page and service_contract.number not in page
    assert client.get(f"/juvenile/opinions/{opinion.pk}/").status_code == 404
    assert client.get(f"/juvenile/opinions/{opinion.pk}/document/").status_code == 404
    assert client.get(f"/juvenile/contracts/{service_contract.pk}/").status_code == 404


# ---- contracts ----------------------------------------------------------------------------------


def test_the_contract_page_counts_what_was_delivered(
    client_for,
    regions,
    liaison,
    procuratorate,
    juvenile_worker,
    juvenile_supervisor,
    service_contract,
):
    referral = services.referral_submit(
        by=liaison, agency=procuratorate, data=referral_data(regions)
    )
    referral = accept_and_start(referral, juvenile_worker, contract=service_contract)
    approve_a_report(referral, author=juvenile_worker, supervisor=juvenile_supervisor)
    _session(referral, juvenile_worker, _today())
    _session(referral, juvenile_worker, _today())
    services.mentoring_add(
        by=juvenile_worker,
        referral_id=referral.pk,
        data={"held_on": _today(), "kind": "mentoring", "content": "谈心", "hours": 1},
    )
    services.referral_submit(  # not under the contract
        by=liaison, agency=procuratorate, data=referral_data(regions, minor_name="另一人")
    )
    page = client_for(juvenile_worker).get(f"/juvenile/contracts/{service_contract.pk}/")
    html = page.content.decode()

    def delivered(key: str) -> str:
        row = html.split(f'data-deliverable="{key}"')[1]
        return row.split("data-delivered>")[1].split("<")[0]

    assert [
        delivered(k) for k in ("referrals", "investigations", "guidance_sessions", "mentoring")
    ] == [
        "1",
        "1",
        "2",
        "1",
    ]
    assert "width: 25%" in html and "width: 50%" in html  # 1 of 4 referrals, 1 of 2 reports
    assert "bg-success" not in html  # no target met yet
    assert f'data-referral="{referral.pk}"' in html and "另一人" not in html


def test_the_purchasers_liaison_reads_the_contract(client_for, liaison, service_contract):
    assert client_for(liaison).get(f"/juvenile/contracts/{service_contract.pk}/").status_code == 200


# ---- partner records: keeping them --------------------------------------------------------------


def test_a_district_admin_in_the_programme_adds_an_agency(client_for, regions, juvenile_supervisor):
    client = client_for(juvenile_supervisor)
    assert client.get("/juvenile/partners/agencies/new/").status_code == 200
    response = client.post(
        "/juvenile/partners/agencies/new/",
        {
            "name": "栾城区教育局",
            "kind": "education",
            "region": regions.district.pk,
            "contact": "王科长",
        },
    )
    assert response.status_code == 302
    assert Agency.objects.get(name="栾城区教育局").kind == AgencyKind.EDUCATION
    again = client.post(
        "/juvenile/partners/agencies/new/",
        {"name": "栾城区教育局", "kind": "education", "region": regions.district.pk},
    )
    assert again.status_code == 422 and 'data-field-error="name"' in again.content.decode()


def test_a_district_admin_records_a_joint_opinion_with_a_document(
    client_for, juvenile_supervisor, procuratorate, other_agency, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(juvenile_supervisor)
    response = client.post(
        "/juvenile/opinions/new/",
        {
            "title": "联合意见",
            "parties": [procuratorate.pk, other_agency.pk],
            "signed_on": (_today() - dt.timedelta(days=30)).isoformat(),
            "scope": "涉案未成年人",
            f"resp-{procuratorate.pk}": "转介",
            f"resp-{other_agency.pk}": "指导",
            "document": SimpleUploadedFile("opinion.pdf", b"%PDF-1.4"),
        },
    )
    assert response.status_code == 302
    opinion = JointOpinion.objects.get()
    assert set(opinion.parties.all()) == {procuratorate, other_agency}
    assert {r["text"] for r in opinion.responsibilities} == {"转介", "指导"}
    assert opinion.document.name.endswith(".pdf")


def test_a_joint_opinion_has_at_least_two_parties(client_for, juvenile_supervisor, procuratorate):
    response = client_for(juvenile_supervisor).post(
        "/juvenile/opinions/new/",
        {
            "title": "意见",
            "parties": [procuratorate.pk],
            "signed_on": _today().isoformat(),
            "scope": "x",
        },
    )
    assert response.status_code == 422 and 'data-field-error="parties"' in response.content.decode()


def test_a_district_admin_records_a_contract_with_its_deliverables(
    client_for, juvenile_supervisor, procuratorate, social_work_org
):
    client = client_for(juvenile_supervisor)
    data = {
        "number": "LCJ-2025-002",
        "title": "帮教服务",
        "purchaser": procuratorate.pk,
        "provider": social_work_org.pk,
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "scope": "帮教",
        "amount": "96000",
        "referrals": "20",
        "investigations": "10",
        "guidance_sessions": "60",
        "mentoring": "",
    }
    response = client.post("/juvenile/contracts/new/", data)
    contract = ServiceContract.objects.get()
    assert response.status_code == 302 and response["Location"] == contract.get_absolute_url()
    assert contract.deliverables == {"referrals": 20, "investigations": 10, "guidance_sessions": 60}
    same_parties = client.post(
        "/juvenile/contracts/new/", {**data, "number": "X-1", "provider": procuratorate.pk}
    )
    assert same_parties.status_code == 422
    assert 'data-field-error="provider"' in same_parties.content.decode()


def test_only_a_district_admin_in_the_programme_keeps_the_records(
    client_for, make_user, juvenile_worker, liaison
):
    admin_elsewhere = in_programme(make_user(Role.DISTRICT_ADMIN, username="eldadmin"), "elderly")
    for user in (juvenile_worker, liaison, admin_elsewhere):
        client = client_for(user)
        for url in (
            "/juvenile/partners/agencies/new/",
            "/juvenile/opinions/new/",
            "/juvenile/contracts/new/",
        ):
            assert client.get(url).status_code == 404, (user, url)


# ---- navigation and home ------------------------------------------------------------------------


def test_the_navigation_offers_the_programme_to_workers_and_liaisons_only(
    client_for, make_user, juvenile_worker, liaison, village_director
):
    for user in (juvenile_worker, liaison):
        assert 'id="nav-juvenile"' in client_for(user).get("/juvenile/").content.decode()
    page = client_for(village_director).get("/people/").content.decode()
    assert 'id="nav-juvenile"' not in page


def test_a_liaison_lands_on_the_referral_list(client_for, liaison):
    response = client_for(liaison).get("/")
    assert response.status_code == 302 and response["Location"] == "/juvenile/"


# ---- binding liaisons to their agency ------------------------------------------------------


def test_a_district_admin_binds_a_liaison_who_then_sees_the_agencys_referrals(
    client_for, make_user, juvenile_supervisor, procuratorate, referral
):
    newcomer = make_user(Role.AGENCY_LIAISON, username="newcomer", full_name="新联络员")
    assert client_for(newcomer).get(f"/juvenile/{referral.pk}/").status_code == 404

    admin = client_for(juvenile_supervisor)
    page = admin.get("/juvenile/partners/").content.decode()
    assert "newcomer" in page  # offered in the agency's select
    response = admin.post(
        f"/juvenile/partners/agencies/{procuratorate.pk}/liaisons/", {"user": newcomer.pk}
    )
    assert response.status_code == 302
    assert procuratorate.liaisons.filter(pk=newcomer.pk).exists()
    assert client_for(newcomer).get(f"/juvenile/{referral.pk}/").status_code == 200

    admin.post(
        f"/juvenile/partners/agencies/{procuratorate.pk}/liaisons/",
        {"user": newcomer.pk, "action": "remove"},
    )
    assert not procuratorate.liaisons.filter(pk=newcomer.pk).exists()
    assert client_for(newcomer).get(f"/juvenile/{referral.pk}/").status_code == 404


def test_only_liaison_role_users_can_be_bound_and_only_by_a_programme_admin(
    client_for, village_director, juvenile_supervisor, juvenile_worker, procuratorate
):
    admin = client_for(juvenile_supervisor)
    admin.post(
        f"/juvenile/partners/agencies/{procuratorate.pk}/liaisons/", {"user": village_director.pk}
    )
    assert not procuratorate.liaisons.filter(pk=village_director.pk).exists()
    worker = client_for(juvenile_worker)
    response = worker.post(
        f"/juvenile/partners/agencies/{procuratorate.pk}/liaisons/", {"user": juvenile_worker.pk}
    )
    assert response.status_code == 404
