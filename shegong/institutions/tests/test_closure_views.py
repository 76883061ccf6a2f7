"""Pages: a contract with its discharge and refund, the closure, the bureau's warnings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from shegong.accounts.models import Role
from shegong.institutions import selectors, services
from shegong.institutions.models import ContractStatus, InstitutionStatus
from shegong.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(contract, district_admin):
    services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(5000)
    )
    return contract


def contract_url(contract) -> str:
    return reverse("institutions:contract", args=[contract.resident.institution_id, contract.pk])


def test_the_operator_discharges_a_resident_and_refunds_the_balance_in_one_step(
    client, operator, paid
):
    login(client, operator)
    page = client.get(contract_url(paid))
    assert page.status_code == 200
    assert "王秀兰" in page.content.decode()

    response = client.post(
        contract_url(paid),
        {"discharged_on": dt.date.today().isoformat(), "reason": "回家", "refund_now": "on"},
    )

    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == ContractStatus.ENDED
    assert sum(selectors.contract_balances(paid).values()) == 0
    page = client.get(contract_url(paid)).content.decode()
    assert "−5000.00" in page  # the refund in the ledger
    assert 'id="discharge"' not in page


def test_a_discharge_without_refund_leaves_a_refund_button(client, district_admin, paid):
    login(client, district_admin)
    client.post(contract_url(paid), {"discharged_on": dt.date.today().isoformat()})

    page = client.get(contract_url(paid)).content.decode()
    assert 'value="refund_all"' in page
    client.post(contract_url(paid), {"action": "refund_all"})
    assert sum(selectors.contract_balances(paid).values()) == 0


def test_a_future_discharge_date_is_refused_on_its_field_and_changes_nothing(
    client, district_admin, paid
):
    login(client, district_admin)
    tomorrow = dt.date.today() + dt.timedelta(days=1)

    response = client.post(contract_url(paid), {"discharged_on": tomorrow.isoformat()})

    assert response.status_code == 200
    assert response.context["form"].errors["discharged_on"]
    paid.refresh_from_db()
    assert paid.status == ContractStatus.ACTIVE


def test_the_contract_page_is_404_to_a_bank_officer_and_another_operator(
    client, officer, other_operator, paid
):
    for user in (officer, other_operator):
        login(client, user)
        assert client.get(contract_url(paid)).status_code == 404
        assert client.post(contract_url(paid), {"action": "refund_all"}).status_code == 404
    assert sum(selectors.contract_balances(paid).values()) == Decimal(5000)


def test_the_operator_announces_a_closure_but_only_the_bureau_closes(
    client, operator, district_admin, institution, account
):
    url = reverse("institutions:closure", args=[institution.pk])
    login(client, operator)
    too_soon = client.post(
        url, {"closes_on": (dt.date.today() + dt.timedelta(days=10)).isoformat(), "reason": "x"}
    )
    assert too_soon.status_code == 200 and too_soon.context["form"].errors["closes_on"]

    client.post(
        url,
        {"closes_on": (dt.date.today() + dt.timedelta(days=31)).isoformat(), "reason": "租约到期"},
    )
    institution.refresh_from_db()
    assert institution.status == InstitutionStatus.CLOSING
    assert client.post(url, {"action": "close"}).status_code == 404

    login(client, district_admin)
    refused = client.post(url, {"action": "close"}, follow=True)  # the notice has not run out
    institution.refresh_from_db()
    assert institution.status == InstitutionStatus.CLOSING
    assert institution.closes_on.isoformat() in refused.content.decode()


def test_the_closure_page_is_404_out_of_scope(client, other_operator, officer, institution):
    url = reverse("institutions:closure", args=[institution.pk])
    for user in (other_operator, officer):
        login(client, user)
        assert client.get(url).status_code == 404


def test_the_warnings_page_lists_the_area_and_is_404_to_organisations_and_volunteers(
    client, district_admin, operator, officer, make_user, contract, institution, account
):
    services.closure_announce(
        by=district_admin, institution=institution,
        closes_on=dt.date.today() + dt.timedelta(days=30), reason="租约到期",
    )  # fmt: skip
    url = reverse("institutions:warnings")
    login(client, district_admin)
    page = client.get(url).content.decode()
    assert 'data-warning="closure_announced"' in page and institution.name in page

    for user in (operator, officer, make_user(Role.VOLUNTEER)):
        login(client, user)
        assert client.get(url).status_code == 404


def test_an_operator_admits_a_registry_person_by_full_id_number_and_name(
    client, operator, institution, account, elder
):
    from shegong.audit.models import AccessLog
    from shegong.institutions.models import Contract

    login(client, operator)
    url = reverse("institutions:contract_new", args=[institution.pk])
    terms = {"id_number": elder.id_number, "monthly_fee": "3000", "monthly_bed_fee": "1000",
             "deposit": "3000", "prepaid_months": "3", "membership_fee": "0",
             "signed_on": dt.date.today().isoformat()}  # fmt: skip

    wrong = client.post(url, {**terms, "name": "王秀"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["id_number"]
    assert not Contract.objects.exists()
    assert not AccessLog.objects.exists()

    signed = client.post(url, {**terms, "name": "王秀兰"})

    assert signed.status_code == 302
    contract = Contract.objects.get()
    assert contract.resident.person == elder and contract.resident.institution == institution
    log = AccessLog.objects.get()
    assert (log.user, log.person) == (operator, elder)
