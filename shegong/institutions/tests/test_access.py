"""Role boundaries: registry roles by region, operators their institution, bank officers the
accounts their bank holds and never a resident's name, ID number or phone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from shegong.accounts import scope
from shegong.accounts.models import Role
from shegong.institutions import services
from shegong.institutions.models import Contract, Institution, LedgerEntry, Resident
from shegong.testing import login

pytestmark = pytest.mark.django_db


def custody_url(institution) -> str:
    return f"/api/v1/institutions/{institution.pk}/custody"


@pytest.fixture
def paid(contract, district_admin):
    services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(5000)
    )
    return contract


def test_an_operator_sees_only_their_institution(
    client, operator, institution, other_institution, bearer
):
    headers = bearer(operator)

    listed = client.get("/api/v1/institutions", headers=headers).json()

    assert [i["id"] for i in listed] == [institution.pk]
    assert client.get(f"/api/v1/institutions/{institution.pk}", headers=headers).status_code == 200
    assert (
        client.get(f"/api/v1/institutions/{other_institution.pk}", headers=headers).status_code
        == 404
    )


def test_an_operator_of_another_institution_gets_404_everywhere(
    client, other_operator, institution, paid, bearer
):
    headers = bearer(other_operator)

    assert client.get(f"/api/v1/institutions/{institution.pk}", headers=headers).status_code == 404
    assert client.get(custody_url(institution), headers=headers).status_code == 404
    login(client, other_operator)
    assert client.get(reverse("institutions:detail", args=[institution.pk])).status_code == 404
    assert client.get(reverse("institutions:entry_new", args=[institution.pk])).status_code == 404


def test_an_operator_records_ledger_entries_of_their_residents(operator, paid):
    assert scope.visible(Contract.objects.all(), operator, write=True).get() == paid
    assert scope.visible(Resident.objects.all(), operator).count() == 1


def test_a_bank_officer_reads_the_custody_of_their_bank_without_personal_data(
    client, officer, institution, paid, elder, bearer
):
    response = client.get(custody_url(institution), headers=bearer(officer))

    assert response.status_code == 200
    body = response.content.decode()
    assert response.json()["balances"]["deposit"] == "5000.00"
    for secret in (
        elder.name,
        elder.id_number,
        elder.id_number_masked,
        "13912345678",
        elder.phone_masked,
    ):
        assert secret not in body


def test_a_bank_officer_sees_no_resident_on_the_institution_page(
    client, officer, institution, paid, elder
):
    login(client, officer)

    response = client.get(reverse("institutions:detail", args=[institution.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert paid.number in body
    for secret in (elder.name, elder.id_number_masked, elder.phone_masked):
        assert secret not in body
    assert not scope.visible(Resident.objects.all(), officer).exists()
    assert not scope.visible(Contract.objects.all(), officer).exists()


def test_a_bank_officer_of_another_bank_gets_404(client, other_officer, institution, paid, bearer):
    headers = bearer(other_officer)

    assert client.get(custody_url(institution), headers=headers).status_code == 404
    assert client.get(f"/api/v1/institutions/{institution.pk}", headers=headers).status_code == 404
    assert not scope.visible(LedgerEntry.objects.all(), other_officer).exists()


def test_a_bank_officer_cannot_write(client, officer, institution, elder, paid, bearer):
    response = client.post(
        f"/api/v1/institutions/{institution.pk}/contracts",
        content_type="application/json",
        data={"person_id": elder.pk, "monthly_fee": "3000"},
        headers=bearer(officer),
    )

    assert response.status_code == 404
    assert not scope.visible(LedgerEntry.objects.all(), officer, write=True).exists()


def test_registry_roles_see_the_institutions_of_their_region(
    make_user, regions, institution, other_institution
):
    director = make_user(Role.VILLAGE_DIRECTOR)
    far = make_user(Role.VILLAGE_DIRECTOR, region=regions.far_village)
    volunteer = make_user(Role.VOLUNTEER)

    assert list(scope.visible(Institution.objects.all(), director)) == [institution]
    assert list(scope.visible(Institution.objects.all(), far)) == [other_institution]
    assert not scope.visible(Institution.objects.all(), volunteer).exists()


def test_a_user_who_is_both_operator_and_registry_worker_sees_each_institution_once(
    make_user, regions, institution, other_institution
):
    user = make_user(Role.VILLAGE_DIRECTOR)
    user.memberships.create(role=Role.INSTITUTION_OPERATOR, region=regions.district)
    institution.operators.add(user, make_user(Role.INSTITUTION_OPERATOR))

    assert list(scope.visible(Institution.objects.all(), user)) == [institution]


# The API


def test_the_api_signs_a_contract_within_the_caps(
    client, district_admin, institution, account, elder, bearer
):
    response = client.post(
        f"/api/v1/institutions/{institution.pk}/contracts",
        content_type="application/json",
        data={"person_id": elder.pk, "monthly_fee": "3000", "monthly_bed_fee": "1000",
              "deposit": "6000", "prepaid_months": 6, "signed_on": "2026-03-01"},
        headers=bearer(district_admin),
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert response.json()["number"] == f"{institution.pk}-2026-0001"


def test_the_api_answers_422_naming_the_cap_broken(
    client, district_admin, institution, elder, bearer
):
    response = client.post(
        f"/api/v1/institutions/{institution.pk}/contracts",
        content_type="application/json",
        data={"person_id": elder.pk, "monthly_fee": "3000", "prepaid_months": 24},
        headers=bearer(district_admin),
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "prepaid_months"]
    assert "24" in error["msg"]
    assert not Contract.objects.exists()


def test_the_monthly_bed_fee_defaults_to_the_monthly_fee(
    client, district_admin, institution, elder, bearer
):
    response = client.post(
        f"/api/v1/institutions/{institution.pk}/contracts",
        content_type="application/json",
        data={"person_id": elder.pk, "monthly_fee": "2000", "deposit": "24000"},
        headers=bearer(district_admin),
    )

    assert response.status_code == 201
    assert response.json()["monthly_bed_fee"] == "2000.00"


# Pages


def test_the_institution_page_shows_residents_balances_and_warnings(
    client, operator, institution, paid, elder, account, district_admin
):
    LedgerEntry.objects.create(
        account=account, contract=paid, fee_type="deposit", kind="withdrawal",
        amount=Decimal(10), occurred_on=dt.date(2026, 1, 6), recorded_by=district_admin,
    )  # fmt: skip
    login(client, operator)

    body = client.get(reverse("institutions:detail", args=[institution.pk])).content.decode()

    assert elder.name in body and paid.number in body
    assert 'data-warning="withdrawal_without_evidence"' in body
    assert 'id="nav-institutions"' in body


def test_the_ledger_form_records_a_payment(client, operator, institution, paid):
    login(client, operator)

    response = client.post(
        reverse("institutions:entry_new", args=[institution.pk]),
        {"contract": paid.pk, "kind": "payment_in", "fee_type": "service_prepaid",
         "amount": "9000", "occurred_on": "2026-01-06"},
    )  # fmt: skip

    assert response.status_code == 302
    assert LedgerEntry.objects.filter(fee_type="service_prepaid").get().amount == 9000


def test_the_contract_form_shows_a_broken_cap_on_its_field(
    client, district_admin, institution, elder
):
    login(client, district_admin)

    response = client.post(
        reverse("institutions:contract_new", args=[institution.pk]),
        {"id_number": elder.id_number, "monthly_fee": "3000", "deposit": "99999",
         "prepaid_months": "0", "membership_fee": "0", "signed_on": "2026-01-06"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "99999" in response.content.decode()
    assert not Contract.objects.exists()


def test_the_list_is_404_for_a_volunteer(client, make_user):
    login(client, make_user(Role.VOLUNTEER))

    assert client.get(reverse("institutions:list")).status_code == 404


def test_the_institution_page_query_count_does_not_grow_with_residents(
    client, operator, institution, paid, district_admin, regions, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shegong.factories import PersonFactory

    url = reverse("institutions:detail", args=[institution.pk])
    login(client, operator)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        contract = services.contract_create(
            by=district_admin, institution=institution,
            person=PersonFactory(region=regions.village), monthly_fee=Decimal(2000),
        )  # fmt: skip
        services.payment_in(
            by=district_admin, contract=contract, fee_type="service_prepaid", amount=Decimal(100)
        )
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)
