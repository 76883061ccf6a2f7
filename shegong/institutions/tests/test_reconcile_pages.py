"""Bank statement pages: who reaches them, what a bank officer sees (contract numbers, never a
resident's name, ID number or phone), uploading and confirming."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shegong.accounts.models import Role
from shegong.institutions import reconcile, services
from shegong.institutions.models import BankStatement, LedgerEntry
from shegong.testing import login

pytestmark = pytest.mark.django_db

HEADER = ["交易日期", "交易金额", "余额", "流水号", "摘要", "对方户名"]


def xlsx(rows: list[list]) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("三月流水.xlsx", out.getvalue())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SHEGONG_RECONCILE_DAYS = 3


@pytest.fixture
def entry(contract, district_admin) -> LedgerEntry:
    return services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(5000),
        occurred_on=dt.date(2026, 3, 2),
    )  # fmt: skip


@pytest.fixture
def statement(account, entry, district_admin) -> BankStatement:
    upload = xlsx(
        [HEADER, ["2026-03-03", "5000", "5000", "A1", f"押金 {entry.contract.number}", "李明"],
         ["2026-03-04", "-20", "4980", "A2", "手续费", ""]]
    )  # fmt: skip
    return reconcile.statement_import(
        by=district_admin, account=account, file=upload.read(), filename=upload.name
    )


def urls(institution, statement, entry) -> dict[str, tuple[str, str]]:
    """Every statement page and action, with its method."""
    pk = institution.pk
    return {
        "list": ("get", reverse("institutions:statements", args=[pk])),
        "upload": ("get", reverse("institutions:statement_upload", args=[pk])),
        "upload_post": ("post", reverse("institutions:statement_upload", args=[pk])),
        "detail": ("get", reverse("institutions:statement_detail", args=[pk, statement.pk])),
        "confirm_all": (
            "post",
            reverse("institutions:statement_confirm", args=[pk, statement.pk]),
        ),
        "confirm": ("post", reverse("institutions:entry_confirm", args=[pk, entry.pk])),
    }


def status(client, method: str, url: str) -> int:
    return getattr(client, method)(url).status_code


def assert_no_personal_data(body: str, elder) -> None:
    for secret in (
        elder.name,
        elder.id_number,
        elder.id_number_masked,
        "13912345678",
        elder.phone_masked,
    ):
        assert secret not in body


def test_a_bank_officer_uploads_a_statement_and_sees_contract_numbers_only(
    client, officer, institution, account, entry, elder
):
    login(client, officer)

    response = client.post(
        reverse("institutions:statement_upload", args=[institution.pk]),
        {"file": xlsx([HEADER, ["2026-03-02", "5000", "5000", "A1", "押金", ""]])},
        follow=True,
    )

    assert response.status_code == 200
    statement = BankStatement.objects.get()
    assert statement.uploaded_by == officer
    assert response.redirect_chain[-1][0] == reverse(
        "institutions:statement_detail", args=[institution.pk, statement.pk]
    )
    body = response.content.decode()
    assert entry.contract.number in body
    assert_no_personal_data(body, elder)
    for url in (
        reverse("institutions:statements", args=[institution.pk]),
        reverse("institutions:detail", args=[institution.pk]),
    ):
        assert_no_personal_data(client.get(url).content.decode(), elder)


def test_the_reconciliation_page_lists_the_differences_and_the_lines(
    client, officer, institution, statement, entry, elder
):
    login(client, officer)

    body = client.get(
        reverse("institutions:statement_detail", args=[institution.pk, statement.pk])
    ).content.decode()

    assert 'data-difference="bank_only" data-row="3"' in body
    assert 'data-difference="date_differs"' in body
    assert 'data-count="matched">1<' in body
    assert entry.contract.number in body
    assert 'id="confirm-all"' in body
    assert_no_personal_data(body, elder)


def test_a_file_with_bad_rows_is_refused_row_by_row_and_nothing_is_saved(
    client, officer, institution, account
):
    login(client, officer)

    response = client.post(
        reverse("institutions:statement_upload", args=[institution.pk]),
        {"file": xlsx([["标题"], HEADER, ["2026-03-02", "5000", "", "", "", ""],
                       ["昨天", "5000", "", "", "", ""], ["2026-03-04", "五千", "", "", "", ""]])},
    )  # fmt: skip

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-row="4"' in body and 'data-row="5"' in body and 'data-row="3"' not in body
    assert "交易日期" in body and "昨天" in body and "五千" in body
    assert not BankStatement.objects.exists()


def test_the_bank_officer_confirms_all_matched_movements_and_one_at_a_time(
    client, officer, institution, statement, entry, contract, district_admin
):
    login(client, officer)
    urls_ = urls(institution, statement, entry)

    response = client.post(urls_["confirm_all"][1])

    assert response.status_code == 302
    assert LedgerEntry.objects.get(pk=entry.pk).confirmed_by_bank == officer
    other = services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(10)
    )
    response = client.post(
        reverse("institutions:entry_confirm", args=[institution.pk, other.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:detail", args=[institution.pk])
    assert LedgerEntry.objects.get(pk=other.pk).confirmed_by_bank == officer
    detail = client.get(reverse("institutions:detail", args=[institution.pk])).content.decode()
    assert detail.count("data-confirmed") == 2
    assert 'id="statements-link"' in detail


@pytest.mark.parametrize("who", ["other_officer", "other_operator"])
def test_another_bank_or_another_institution_gets_404_on_every_url(
    client, request, who, institution, statement, entry
):
    login(client, request.getfixturevalue(who))

    for name, (method, url) in urls(institution, statement, entry).items():
        assert status(client, method, url) == 404, name
    assert not LedgerEntry.objects.filter(confirmed_by_bank__isnull=False).exists()
    assert BankStatement.objects.count() == 1


def test_the_operator_reads_the_statements_but_neither_uploads_nor_confirms(
    client, operator, institution, statement, entry
):
    login(client, operator)
    pages = urls(institution, statement, entry)

    list_page = client.get(pages["list"][1]).content.decode()
    assert f'data-statement="{statement.pk}"' in list_page
    assert 'id="upload-statement"' not in list_page
    detail = client.get(pages["detail"][1]).content.decode()
    assert 'id="confirm-all"' not in detail
    for name in ("upload", "upload_post", "confirm_all", "confirm"):
        assert status(client, *pages[name]) == 404, name
    assert not LedgerEntry.objects.filter(confirmed_by_bank__isnull=False).exists()


def test_the_district_sees_every_statement_and_uploads_but_does_not_confirm(
    client, district_admin, institution, statement, entry
):
    login(client, district_admin)
    pages = urls(institution, statement, entry)

    list_page = client.get(pages["list"][1]).content.decode()
    assert f'data-statement="{statement.pk}"' in list_page
    assert 'id="upload-statement"' in list_page
    assert status(client, *pages["detail"]) == 200
    assert status(client, *pages["upload"]) == 200
    assert status(client, *pages["confirm_all"]) == 404
    assert status(client, *pages["confirm"]) == 404


def test_a_registry_role_of_another_township_gets_404(
    client, make_user, regions, institution, statement, entry
):
    login(client, make_user(Role.VILLAGE_DIRECTOR, region=regions.far_village))

    for name, (method, url) in urls(institution, statement, entry).items():
        assert status(client, method, url) == 404, name


def test_the_reconciliation_page_query_count_does_not_grow_with_lines(
    client, officer, institution, account, contract, district_admin, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def upload(days: range) -> BankStatement:
        for day in days:
            services.payment_in(
                by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(day),
                occurred_on=dt.date(2026, 3, day),
            )  # fmt: skip
        rows = [[f"2026-03-{day:02d}", str(day), "", f"R{day}", "", ""] for day in days]
        file = xlsx([HEADER, *rows])
        return reconcile.statement_import(
            by=district_admin, account=account, file=file.read(), filename=file.name
        )

    small, large = upload(range(1, 2)), upload(range(10, 20))
    login(client, officer)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("institutions:statement_detail", args=[institution.pk, small.pk]))
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("institutions:statement_detail", args=[institution.pk, large.pk]))


def test_the_statement_list_query_count_does_not_grow_with_statements(
    client, officer, institution, account, district_admin, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def upload(month: int) -> None:
        file = xlsx([HEADER, [f"2026-{month:02d}-01", "100", "", f"R{month}", "", ""]])
        reconcile.statement_import(
            by=district_admin, account=account, file=file.read(), filename=file.name
        )

    url = reverse("institutions:statements", args=[institution.pk])
    upload(1)
    login(client, officer)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for month in (2, 3, 4):
        upload(month)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).content.decode().count("data-statement=") == 4
