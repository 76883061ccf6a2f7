"""Fixtures of the justice-involved minors programme: two partner agencies with a liaison each,
the programme's worker and supervisor, and a referral the procuratorate submitted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shegong.accounts import scope
from shegong.accounts.models import Role
from shegong.factories import born_years_ago
from shegong.juvenile import services
from shegong.juvenile.models import Agency, AgencyKind, Referral
from shegong.testing import login


def in_programme(user, programme: str = "juvenile"):
    """Name the programme on the user's memberships (make_user cannot)."""
    user.memberships.update(programmes=[programme])
    scope.forget_scope(user)
    return user


@pytest.fixture
def procuratorate(regions) -> Agency:
    return Agency.objects.create(
        name="栾城区人民检察院", kind=AgencyKind.PROCURATORATE, region=regions.district
    )


@pytest.fixture
def liaison(make_user, procuratorate):
    """The procuratorate's liaison (an agency_liaison membership at the district)."""
    user = make_user(Role.AGENCY_LIAISON, username="liaison", full_name="孙检察")
    procuratorate.liaisons.add(user)
    return user


@pytest.fixture
def other_agency(regions) -> Agency:
    return Agency.objects.create(
        name="栾城区妇女联合会", kind=AgencyKind.WOMENS_FEDERATION, region=regions.district
    )


@pytest.fixture
def other_liaison(make_user, other_agency):
    user = make_user(Role.AGENCY_LIAISON, username="other_liaison", full_name="周妇联")
    other_agency.liaisons.add(user)
    return user


@pytest.fixture
def juvenile_worker(make_user):
    """A centre social worker in the juvenile programme (whole district)."""
    return in_programme(make_user(Role.CENTER_WORKER, username="jworker", full_name="赵社工"))


@pytest.fixture
def juvenile_supervisor(make_user):
    """A district administrator in the juvenile programme: approves reports (needs TOTP)."""
    return in_programme(make_user(Role.DISTRICT_ADMIN, username="jsupervisor", full_name="钱督导"))


def referral_data(regions, **changes: Any) -> dict[str, Any]:
    """What the liaison's form sends, parsed: a 15-year-old boy in the director's village."""
    data = {
        "case_number": "栾检未刑诉〔2024〕12号",
        "minor_name": "李小明",
        "sex": "M",
        "birth_date": born_years_ago(15),
        "region_code": regions.village.code,
        "guardian_name": "李建军",
        "guardian_relation": "父亲",
        "guardian_phone": "13912345678",
        "school_or_work": "栾城区第二中学",
        "case_summary": "涉嫌盗窃电动车一辆，价值约两千元。",
        "procedural_status": "prosecution_review",
        "services": ["investigation", "guidance"],
        "due_on": timezone.localdate() + dt.timedelta(days=20),
    }
    data.update(changes)
    return data


@pytest.fixture
def referral(regions, liaison, procuratorate) -> Referral:
    """A referral the procuratorate submitted (status submitted)."""
    return services.referral_submit(by=liaison, agency=procuratorate, data=referral_data(regions))


@pytest.fixture
def client_for(db):
    """client_for(user) → a new test client logged in as ``user`` (TOTP passed if needed)."""

    def make(user) -> Client:
        return login(Client(), user)

    return make


# ---- guidance, orders, partners (test_followup.py, test_partners.py) -----------------------------


def accept_and_start(referral: Referral, worker, **accept) -> Referral:
    """Move a submitted referral to "in progress", ``worker`` its social worker."""
    referral = services.referral_accept(
        by=worker, referral_id=referral.pk, version=referral.version, worker=worker, **accept
    )
    return services.referral_start(by=worker, referral_id=referral.pk, version=referral.version)


def approve_a_report(referral: Referral, *, author, supervisor):
    """Write every section, submit, and have ``supervisor`` approve: the approved version."""
    from shegong.juvenile.report import SECTION_KEYS

    version = services.report_save(
        by=author, referral_id=referral.pk, sections=dict.fromkeys(SECTION_KEYS, "调查内容。")
    )
    services.report_submit(by=author, version_id=version.pk)
    return services.report_decide(by=supervisor, version_id=version.pk, approve=True)


@pytest.fixture
def referral_in_progress(referral, juvenile_worker) -> Referral:
    """The procuratorate's referral, accepted and started by the juvenile worker."""
    return accept_and_start(referral, juvenile_worker)


@pytest.fixture
def social_work_org(regions) -> Agency:
    return Agency.objects.create(
        name="栾城区启航社会工作服务中心", kind=AgencyKind.SOCIAL_WORK_ORG, region=regions.district
    )


@pytest.fixture
def service_contract(procuratorate, social_work_org):
    """The procuratorate buys the programme's services from the social-work organisation."""
    from shegong.juvenile.models import ServiceContract

    today = timezone.localdate()
    return ServiceContract.objects.create(
        number="LCJ-2024-001",
        title="涉案未成年人社会调查与帮教服务",
        purchaser=procuratorate,
        provider=social_work_org,
        starts_on=today - dt.timedelta(days=90),
        ends_on=today + dt.timedelta(days=275),
        scope="社会调查、家庭教育指导、帮教",
        amount="180000.00",
        deliverables={"referrals": 4, "investigations": 2, "guidance_sessions": 4, "mentoring": 2},
    )


# ---- reports, the API (test_services.py, test_docx.py, test_api.py) ---------------------------


@pytest.fixture
def report_sections() -> dict[str, str]:
    """A text for each of the ten sections, each naming its section so it can be found."""
    from shegong.juvenile.report import SECTIONS

    return {key: f"{heading}：调查所见（测试文本）。" for key, heading, _label in SECTIONS}


@pytest.fixture
def approved_referral(referral_in_progress, juvenile_worker, juvenile_supervisor, report_sections):
    """The procuratorate's referral with a report the supervisor approved (version 1)."""
    version = services.report_save(
        by=juvenile_worker, referral_id=referral_in_progress.pk, sections=report_sections
    )
    services.report_submit(by=juvenile_worker, version_id=version.pk)
    services.report_decide(by=juvenile_supervisor, version_id=version.pk, approve=True)
    return Referral.objects.get(pk=referral_in_progress.pk)
