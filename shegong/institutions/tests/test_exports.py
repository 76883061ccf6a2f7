"""The institution lists as .xlsx: residents and the ledger of one institution, its bank
statements and inspections, and the bureau's custody warnings. Each export holds what its page
shows to that user: an operator their own institution, a bank officer the ledger of the accounts
their bank holds (never a resident), the registry their area; ID numbers masked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.factories import PersonFactory
from shegong.institutions import inspections, services
from shegong.institutions.models import BankStatement
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db


def detail(institution) -> str:
    return f"/institutions/{institution.pk}/"


def export(client, url: str, **params):
    return client.get(url, {"export": "xlsx", **params})


@pytest.fixture
def entry(contract, district_admin):
    return services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(5000),
        occurred_on=dt.date(2026, 3, 2),
    )  # fmt: skip


@pytest.fixture
def far_contract(other_account, other_institution, regions, district_admin):
    """A resident of the other township's institution, with a payment in its ledger."""
    person = PersonFactory(region=regions.far_village, name="赵南营", phone="13700007777")
    contract = services.contract_create(
        by=district_admin, institution=other_institution, person=person,
        monthly_fee=Decimal(2000), monthly_bed_fee=Decimal(800), deposit=Decimal(3000),
        prepaid_months=1, signed_on=dt.date(2026, 1, 6),
    )  # fmt: skip
    services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(3000),
        occurred_on=dt.date(2026, 3, 2),
    )  # fmt: skip
    return contract


def test_the_residents_export_masks_id_numbers_unless_revealed(
    client, village_director, institution, contract, far_contract, elder
):
    client = login(client, village_director)
    rows = xlsx_rows(export(client, detail(institution), part="residents"))
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (contract.number, "王秀兰", elder.id_number_masked)
    ]
    assert not AccessLog.objects.exists()
    rows = xlsx_rows(export(client, detail(institution), part="residents", unmasked="1"))
    assert rows[0][2] == elder.id_number
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert (entry.user, entry.field) == (village_director, "id_number")


def test_an_operator_exports_their_own_residents_masked(
    client, operator, institution, contract, far_contract, other_institution, elder
):
    client = login(client, operator)
    rows = xlsx_rows(export(client, detail(institution), part="residents", unmasked="1"))
    assert [(row[1], row[2]) for row in rows] == [("王秀兰", elder.id_number_masked)]
    assert export(client, detail(other_institution), part="residents").status_code == 404


def test_a_bank_officer_exports_the_ledger_but_no_resident(
    client, officer, institution, entry, far_contract, other_institution
):
    client = login(client, officer)
    rows = xlsx_rows(export(client, detail(institution), part="ledger"))
    assert [(row[0], row[1], row[4]) for row in rows] == [
        (dt.datetime(2026, 3, 2), entry.contract.number, 5000)
    ]
    assert xlsx_rows(export(client, detail(institution), part="residents")) == []
    assert export(client, detail(other_institution), part="ledger").status_code == 404


def test_the_ledger_export_is_not_cut_at_the_pages_rows(
    client, district_admin, institution, contract, monkeypatch
):
    from shegong.institutions import views

    monkeypatch.setattr(views, "LEDGER_ROWS", 1)
    for day in (2, 3):
        services.payment_in(
            by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(100),
            occurred_on=dt.date(2026, 3, day),
        )  # fmt: skip
    client = login(client, district_admin)
    rows = xlsx_rows(export(client, detail(institution), part="ledger"))
    assert [row[0].day for row in rows] == [3, 2]
    assert export(client, detail(institution), part="nothing").status_code == 404


def statement_of(account, user, file_name: str) -> BankStatement:
    return BankStatement.objects.create(
        account=account, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31),
        closing_balance=Decimal(5000), file="institutions/statements/x.xlsx",
        file_name=file_name, uploaded_by=user,
    )  # fmt: skip


@pytest.mark.parametrize("who", ["officer", "operator", "village_director"])
def test_the_statement_export_holds_the_accounts_statements(
    request, client, who, institution, account, other_account, other_institution, district_admin
):
    statement_of(account, district_admin, "三月流水.xlsx")
    statement_of(other_account, district_admin, "冶河三月.xlsx")
    client = login(client, request.getfixturevalue(who))
    url = f"/institutions/{institution.pk}/statements/"
    rows = xlsx_rows(export(client, url))
    assert [(row[2], row[7]) for row in rows] == [("三月流水.xlsx", 5000)]
    other = f"/institutions/{other_institution.pk}/statements/"
    assert export(client, other).status_code == 404


def test_the_inspection_export_has_a_row_per_item(
    client, village_director, district_admin, institution, operator, officer
):
    today = timezone.localdate()
    inspections.inspection_create(
        by=district_admin, institution=institution, inspected_on=today - dt.timedelta(days=10),
        inspectors="李明", findings="消防通道堵塞。",
        items=[
            {"description": "清理消防通道", "deadline": today + dt.timedelta(days=20)},
            {"description": "更新应急预案", "deadline": today - dt.timedelta(days=1)},
        ],
    )  # fmt: skip
    inspections.inspection_create(
        by=district_admin, institution=institution, inspected_on=today - dt.timedelta(days=40),
        inspectors="王芳", findings="未见问题。", items=[],
    )  # fmt: skip
    url = f"/institutions/{institution.pk}/inspections/"
    for user in (village_director, operator):
        rows = xlsx_rows(export(login(client, user), url))
        assert sorted((row[1], row[3] or "", row[6] or "") for row in rows) == [
            ("李明", "更新应急预案", "已逾期"),
            ("李明", "清理消防通道", ""),
            ("王芳", "", ""),
        ]
    assert export(login(client, officer), url).status_code == 404


def test_the_warnings_export_holds_the_institutions_in_the_area(
    client, settings, make_user, regions, district_admin, contract, far_contract
):
    settings.SHEGONG_CUSTODY_LARGE_AMOUNT = Decimal(100)  # every payment below: a warning
    for each in (contract, far_contract):
        services.payment_in(
            by=district_admin, contract=each, fee_type="deposit", amount=Decimal(500)
        )
    township = make_user(Role.TOWNSHIP_WORKER, region=regions.township)
    page = login(client, township).get("/institutions/warnings/").content.decode()
    rows = xlsx_rows(export(client, "/institutions/warnings/"))
    assert rows and {row[0] for row in rows} == {"东庄村幸福院"}
    assert all(row[2] in page for row in rows)


def test_the_pages_offer_the_exports(client, district_admin, institution, contract, entry):
    client = login(client, district_admin)
    page = client.get(detail(institution)).content.decode()
    assert "part=residents" in page and "part=ledger" in page
    for url in (
        f"/institutions/{institution.pk}/statements/",
        f"/institutions/{institution.pk}/inspections/",
        "/institutions/warnings/",
    ):
        assert "export=xlsx" in client.get(url).content.decode(), url
