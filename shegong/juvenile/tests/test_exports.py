"""The programme's lists as .xlsx: referrals (filtered, an agency's liaison their own agency's
only, identifiers always masked) and the partner records, for the programme's readers only."""

from __future__ import annotations

import pytest

from shegong.accounts.models import Role
from shegong.juvenile import services
from shegong.juvenile.models import Agency, AgencyKind, JointOpinion, Referral
from shegong.testing import xlsx_rows

from .conftest import referral_data

pytestmark = pytest.mark.django_db

REFERRALS = "/juvenile/"
PARTNERS = "/juvenile/partners/"


@pytest.fixture
def referrals(regions, referral, other_agency, other_liaison) -> dict[str, Referral]:
    """The procuratorate's referral (with an ID number) and one from the women's federation."""
    Referral.objects.filter(pk=referral.pk).update(id_number_masked="130111********1234")
    other = services.referral_submit(
        by=other_liaison,
        agency=other_agency,
        data=referral_data(regions, case_number="妇联转〔2024〕3号", minor_name="周小红"),
    )
    return {"own": referral, "other": other}


def test_the_referral_export_holds_the_filtered_list_masked(client_for, juvenile_worker, referrals):
    client = client_for(juvenile_worker)
    rows = xlsx_rows(client.get(REFERRALS, {"export": "xlsx"}))
    assert sorted(row[1] for row in rows) == ["周小红", "李小明"]
    own = next(row for row in rows if row[1] == "李小明")
    assert own[4] == "130111********1234"
    assert own[14] == "139****5678"
    assert own[6] == "东庄村" and own[7] == "栾城区人民检察院"
    rows = xlsx_rows(client.get(REFERRALS, {"export": "xlsx", "q": "李小明"}))
    assert [row[1] for row in rows] == ["李小明"]
    # Full numbers are never exported from the programme, even on request.
    rows = xlsx_rows(client.get(REFERRALS, {"export": "xlsx", "unmasked": "1", "q": "李小明"}))
    assert rows[0][4] == "130111********1234" and rows[0][14] == "139****5678"


def test_a_liaison_exports_their_own_agencys_referrals_only(client_for, liaison, referrals):
    rows = xlsx_rows(client_for(liaison).get(REFERRALS, {"export": "xlsx"}))
    assert [row[1] for row in rows] == ["李小明"]


@pytest.fixture
def opinion(procuratorate, other_agency) -> JointOpinion:
    opinion = JointOpinion.objects.create(
        title="关于涉案未成年人社会调查的联合意见", signed_on="2024-03-01", scope="社会调查"
    )
    opinion.parties.set([procuratorate, other_agency])
    return opinion


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("agencies", {"栾城区人民检察院", "栾城区妇女联合会", "栾城区启航社会工作服务中心"}),
        ("opinions", {"关于涉案未成年人社会调查的联合意见"}),
        ("contracts", {"LCJ-2024-001"}),
    ],
)
def test_each_partner_list_exports(
    client_for, juvenile_worker, other_agency, opinion, service_contract, part, expected
):
    response = client_for(juvenile_worker).get(PARTNERS, {"export": "xlsx", "part": part})
    assert {row[0] for row in xlsx_rows(response)} == expected


def test_a_liaison_exports_the_records_their_agency_is_party_to(
    client_for, make_user, regions, opinion, service_contract
):
    youth = Agency.objects.create(
        name="栾城区团委", kind=AgencyKind.YOUTH_LEAGUE, region=regions.district
    )
    stranger = make_user(Role.AGENCY_LIAISON, username="youth")
    youth.liaisons.add(stranger)
    client = client_for(stranger)
    assert xlsx_rows(client.get(PARTNERS, {"export": "xlsx", "part": "opinions"})) == []
    assert xlsx_rows(client.get(PARTNERS, {"export": "xlsx", "part": "contracts"})) == []


def test_the_pages_offer_the_exports_and_refuse_outsiders(
    client_for, make_user, juvenile_worker, referral
):
    client = client_for(juvenile_worker)
    assert "export=xlsx" in client.get(REFERRALS).content.decode()
    assert "part=contracts" in client.get(PARTNERS).content.decode()
    assert client.get(PARTNERS, {"export": "xlsx", "part": "nothing"}).status_code == 404
    outsider = client_for(make_user(Role.VILLAGE_DIRECTOR, username="outsider"))
    assert outsider.get(REFERRALS, {"export": "xlsx"}).status_code == 404
    assert outsider.get(PARTNERS, {"export": "xlsx", "part": "agencies"}).status_code == 404
