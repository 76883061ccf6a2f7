"""Bank statements: reading the bank's export, matching it to the ledger, the differences and
the bank's confirmation of movements."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shegong.factories import PersonFactory
from shegong.institutions import reconcile, services
from shegong.institutions.models import BankStatement, LedgerEntry, StatementLine

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = ["交易日期", "交易金额", "余额", "流水号", "摘要", "对方户名"]
TITLE = [
    ["演示银行栾城支行 账户交易明细"],
    ["账号：6222000011112222", "", "查询期间：2026-03-01 至 2026-03-31"],
]


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def import_rows(by, account, rows: list[list], name: str = "流水.xlsx") -> BankStatement:
    return reconcile.statement_import(by=by, account=account, file=xlsx(rows), filename=name)


def pay(by, contract, amount, day, fee_type="deposit") -> LedgerEntry:
    return services.payment_in(
        by=by, contract=contract, fee_type=fee_type, amount=D(amount), occurred_on=day
    )


def codes(report: dict) -> list[str]:
    return [d["code"] for d in report["differences"]]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SHEGONG_RECONCILE_DAYS = 3


@pytest.fixture
def second_contract(account, institution, regions, district_admin):
    return services.contract_create(
        by=district_admin, institution=institution, person=PersonFactory(region=regions.village),
        monthly_fee=D(3000), monthly_bed_fee=D(1000), deposit=D(5000),
        signed_on=dt.date(2026, 1, 6),
    )  # fmt: skip


# Reading the file


def test_it_reads_a_signed_amount_column_below_title_rows():
    data = xlsx(
        [*TITLE, HEADER,
         [dt.date(2026, 3, 2), 5000, 5000, "A001", "押金", "李明"],
         ["2026/3/5", "-1,200.50", "3,799.50", "A002", "退款", ""],
         [20260310, "¥300.00", "4099.5", "A003", "服务费", ""]]
    )  # fmt: skip

    parsed = reconcile.parse_statement(data, "流水.xlsx")

    assert parsed.header_row == 3
    assert [(x.row, x.occurred_on, x.amount) for x in parsed.lines] == [
        (4, dt.date(2026, 3, 2), D("5000.00")),
        (5, dt.date(2026, 3, 5), D("-1200.50")),
        (6, dt.date(2026, 3, 10), D("300.00")),
    ]
    assert parsed.lines[0].reference == "A001" and parsed.lines[0].counterparty == "李明"
    assert (parsed.period_start, parsed.period_end) == (dt.date(2026, 3, 2), dt.date(2026, 3, 10))
    assert parsed.closing_balance == D("4099.50")


def test_it_reads_money_in_and_out_in_two_columns():
    data = xlsx(
        [["记账日期", "摘要", "收入（元）", "支出（元）", "账户余额", "凭证号"],
         ["2026-03-02 09:15:00", "押金 7-2026-0001", "5,000.00", "", "5,000.00", "V1"],
         ["2026-03-03", "退款", "0.00", "200.00", "4,800.00", "V2"],
         ["2026-03-04", "冲正", "-", "-50", "4,750.00", "V3"]]
    )  # fmt: skip

    parsed = reconcile.parse_statement(data, "流水.xlsx")

    assert [x.amount for x in parsed.lines] == [D("5000.00"), D("-200.00"), D("-50.00")]
    assert parsed.lines[0].occurred_on == dt.date(2026, 3, 2)
    assert parsed.lines[0].memo == "押金 7-2026-0001"
    assert parsed.closing_balance == D("4750.00")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_it_reads_a_csv_in_utf8_or_gbk(encoding):
    data = csv_bytes(
        [["中国农业银行 明细对账单"], [],
         ["交易日期", "交易流水号", "贷方发生额", "借方发生额", "余额", "附言", "对方账户名称"],
         ["20260302", "9001", "5000", "", "5000", "王家缴押金", "张三"],
         ["20260306", "9002", "", "1,000.00", "4000", "退费", "张三"]],
        encoding,
    )  # fmt: skip

    parsed = reconcile.parse_statement(data, "对账单.csv")

    assert [x.amount for x in parsed.lines] == [D(5000), D(-1000)]
    assert parsed.lines[0].memo == "王家缴押金"
    assert parsed.lines[1].counterparty == "张三"
    assert parsed.closing_balance == D(4000)


def test_an_unsigned_amount_takes_its_sign_from_the_direction_column():
    data = xlsx(
        [["交易日期", "借贷标志", "交易金额", "摘要"],
         ["2026-03-02", "贷", "5000", "押金"],
         ["2026-03-03", "借", "200", "退款"]]
    )  # fmt: skip

    parsed = reconcile.parse_statement(data, "流水.xlsx")

    assert [x.amount for x in parsed.lines] == [D(5000), D(-200)]
    assert parsed.closing_balance is None and not parsed.has_balance


def test_a_newest_first_export_takes_the_closing_balance_from_its_top_row():
    data = xlsx(
        [HEADER,
         ["2026-03-20", "-100", "4900", "A2", "", ""],
         ["2026-03-02", "5000", "5000", "A1", "", ""]]
    )  # fmt: skip

    assert reconcile.parse_statement(data, "流水.xlsx").closing_balance == D(4900)


def test_total_rows_and_notes_below_the_table_are_not_movements():
    data = xlsx(
        [HEADER,
         ["2026-03-02", "5000", "5000", "A1", "押金", ""],
         [],
         ["合计", "5000", "", "", "", ""],
         ["", "", "", "", "打印柜员：0123", ""]]
    )  # fmt: skip

    assert len(reconcile.parse_statement(data, "流水.xlsx").lines) == 1


def test_every_unreadable_cell_is_reported_with_its_row_and_heading_and_nothing_is_saved(
    account, district_admin
):
    rows = [
        *TITLE, HEADER,
        ["2026-03-02", "5000", "5000", "A1", "押金", ""],
        ["2026-13-01", "100", "5100", "A2", "", ""],
        ["2026-03-04", "一百元", "5100", "A3", "", ""],
        ["2026-03-05", "100", "5,1,00", "A4", "", ""],
        ["", "100", "5300", "A5", "", ""],
    ]  # fmt: skip

    with pytest.raises(reconcile.StatementRowsError) as exc:
        import_rows(district_admin, account, rows)

    found = [(e.row, e.column) for e in exc.value.cell_errors]
    assert found == [(5, "交易日期"), (6, "交易金额"), (7, "余额"), (8, "交易日期")]
    assert "2026-13-01" in exc.value.messages[0] and "交易日期" in exc.value.messages[0]
    assert "5" in exc.value.messages[0]
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


def test_a_line_with_money_both_in_and_out_is_refused():
    data = xlsx([["日期", "收入", "支出"], ["2026-03-02", "100", "50"], ["2026-03-03", "", ""]])

    with pytest.raises(reconcile.StatementRowsError) as exc:
        reconcile.parse_statement(data, "流水.xlsx")

    assert [(e.row, e.column) for e in exc.value.cell_errors] == [(2, "收入"), (3, "收入")]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.csv", "empty"),
        (csv_bytes([["姓名", "身份证号"], ["王秀兰", "x"]]), "roster.csv", "no_header"),
        (csv_bytes([["交易日期", "交易金额"], ["", ""]]), "header_only.csv", "no_rows"),
        (b"not a spreadsheet", "statement.xlsx", "unreadable"),
        (b"%PDF-1.4", "statement.pdf", "unreadable"),
    ],
)
def test_a_file_that_is_not_a_statement_is_refused_with_a_clear_reason(data, name, code):
    with pytest.raises(ValidationError) as exc:
        reconcile.parse_statement(data, name)

    assert exc.value.error_list[0].code == code


# Importing


def test_an_import_stores_the_period_the_closing_balance_the_file_and_signed_lines(
    account, district_admin
):
    statement = import_rows(
        district_admin, account,
        [HEADER, ["2026-03-02", "5000", "5000", "A1", "押金", ""],
         ["2026-03-09", "-200", "4800", "A2", "退款", ""]],
    )  # fmt: skip

    assert (statement.period_start, statement.period_end) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 9),
    )
    assert statement.closing_balance == D(4800)
    assert statement.file_name == "流水.xlsx" and statement.file.read()[:2] == b"PK"
    assert list(statement.lines.values_list("row_number", "amount")) == [(2, D(5000)), (3, D(-200))]


def test_a_statement_already_imported_is_refused_as_a_whole(account, district_admin):
    rows = [HEADER, ["2026-03-02", "5000", "5000", "A1", "押金", ""]]
    import_rows(district_admin, account, rows)

    with pytest.raises(reconcile.StatementRowsError) as exc:
        import_rows(district_admin, account, [*rows, ["2026-03-03", "100", "5100", "A2", "", ""]])

    assert [e.row for e in exc.value.cell_errors] == [2]
    assert BankStatement.objects.count() == 1 and StatementLine.objects.count() == 1


def test_the_same_reference_on_another_day_is_another_movement(account, district_admin):
    import_rows(district_admin, account, [HEADER, ["2026-03-02", "5000", "", "V1", "", ""]])

    import_rows(district_admin, account, [HEADER, ["2026-04-02", "5000", "", "V1", "", ""]])

    assert BankStatement.objects.count() == 2


def test_only_an_officer_of_the_accounts_bank_or_a_registry_writer_may_import(
    account, officer, other_officer, operator, district_admin
):
    rows = [HEADER, ["2026-03-02", "5000", "", "A1", "", ""]]

    for user in (other_officer, operator):
        with pytest.raises(PermissionDenied):
            import_rows(user, account, rows)
    assert import_rows(officer, account, rows).uploaded_by == officer


# Matching


def test_a_line_matches_the_entry_of_the_same_signed_amount_within_the_window(
    account, contract, district_admin
):
    paid = pay(district_admin, contract, 5000, dt.date(2026, 3, 2))
    refunded = services.refund(
        by=district_admin, contract=contract, fee_type="deposit", amount=D(200),
        occurred_on=dt.date(2026, 3, 9),
    )  # fmt: skip

    statement = import_rows(
        district_admin, account,
        [HEADER, ["2026-03-04", "5000", "", "A1", "", ""],
         ["2026-03-09", "200", "", "A2", "", ""],
         ["2026-03-09", "-200", "", "A3", "", ""]],
    )  # fmt: skip

    matched = {line.row_number: line.entry for line in statement.lines.all()}
    assert matched == {2: paid, 3: None, 4: refunded}


def test_a_line_outside_the_date_window_is_not_matched_and_the_window_is_a_setting(
    account, contract, district_admin, settings
):
    pay(district_admin, contract, 5000, dt.date(2026, 3, 2))
    rows = [HEADER, ["2026-03-06", "5000", "", "A1", "", ""]]

    assert import_rows(district_admin, account, rows).lines.get().entry is None

    settings.SHEGONG_RECONCILE_DAYS = 4
    statement = BankStatement.objects.get()
    assert reconcile.match_statement(statement) == 1
    assert statement.lines.get().entry is not None


def test_the_contract_number_in_the_memo_wins_over_a_nearer_date(
    account, contract, second_contract, district_admin
):
    nearer = pay(district_admin, second_contract, 5000, dt.date(2026, 3, 2))
    named = pay(district_admin, contract, 5000, dt.date(2026, 3, 4))

    statement = import_rows(
        district_admin, account,
        [HEADER, ["2026-03-02", "5000", "", "A1", f"押金 合同{contract.number}", ""],
         ["2026-03-02", "5000", "", "A2", "押金", ""]],
    )  # fmt: skip

    lines = list(statement.lines.all())
    assert lines[0].entry == named
    assert lines[1].entry == nearer


def test_a_longer_contract_number_in_the_memo_is_not_the_contract(
    account, contract, second_contract, district_admin
):
    nearer = pay(district_admin, second_contract, 5000, dt.date(2026, 3, 2))
    pay(district_admin, contract, 5000, dt.date(2026, 3, 4))

    statement = import_rows(
        district_admin, account,
        [HEADER, ["2026-03-02", "5000", "", "A1", f"押金 1{contract.number}", ""]],
    )  # fmt: skip

    assert statement.lines.get().entry == nearer


def test_between_equal_candidates_the_nearest_date_then_the_lowest_id_wins(
    account, contract, second_contract, district_admin
):
    far = pay(district_admin, contract, 5000, dt.date(2026, 2, 27))
    first = pay(district_admin, contract, 5000, dt.date(2026, 3, 3))
    pay(district_admin, second_contract, 5000, dt.date(2026, 3, 3))

    statement = import_rows(
        district_admin, account, [HEADER, ["2026-03-02", "5000", "", "A1", "", ""]]
    )

    assert statement.lines.get().entry == first != far


def test_each_line_and_each_entry_is_matched_once(account, contract, district_admin):
    only = pay(district_admin, contract, 5000, dt.date(2026, 3, 2))

    statement = import_rows(
        district_admin, account,
        [HEADER, ["2026-03-02", "5000", "", "A1", "", ""],
         ["2026-03-02", "5000", "", "A2", "", ""]],
    )  # fmt: skip
    later = import_rows(district_admin, account, [HEADER, ["2026-03-03", "5000", "", "B1", "", ""]])

    assert [line.entry for line in statement.lines.all()] == [only, None]
    assert later.lines.get().entry is None


def test_an_entry_of_another_account_is_never_matched(
    account, other_account, contract, district_admin
):
    pay(district_admin, contract, 5000, dt.date(2026, 3, 2))

    statement = import_rows(
        district_admin, other_account, [HEADER, ["2026-03-02", "5000", "", "A1", "", ""]]
    )

    assert statement.lines.get().entry is None


# The differences


def test_reconciliation_lists_every_difference_with_counts(
    account, contract, second_contract, district_admin
):
    pay(district_admin, contract, 5000, dt.date(2026, 3, 2))
    late = pay(district_admin, second_contract, 3000, dt.date(2026, 3, 5))
    missing = pay(district_admin, second_contract, 800, dt.date(2026, 3, 6))
    pay(district_admin, contract, 999, dt.date(2026, 4, 20))  # after the period: not a difference

    statement = import_rows(
        district_admin, account,
        [HEADER, ["2026-03-02", "5000", "5000", "A1", "", ""],
         ["2026-03-07", "3000", "8000", "A2", "", ""],
         ["2026-03-08", "-66", "7934", "A3", "手续费", ""]],
    )  # fmt: skip
    report = reconcile.reconciliation(statement)

    assert codes(report) == ["bank_only", "ledger_only", "date_differs", "closing_balance"]
    bank_only, ledger_only, date_differs, closing = report["differences"]
    assert bank_only["row"] == 4 and "-66" in bank_only["message"]
    assert ledger_only["entry_id"] == missing.pk
    assert ledger_only["contract_number"] == second_contract.number
    assert date_differs["entry_id"] == late.pk and date_differs["informational"]
    assert "7934" in closing["message"] and "8800" in closing["message"]
    assert report["ledger_balance"] == D(8800)
    assert report["counts"] == {
        "lines": 3, "matched": 2, "bank_only": 1, "ledger_only": 1, "date_differs": 1,
        "unconfirmed": 2,
    }  # fmt: skip


def test_a_statement_that_agrees_with_the_ledger_has_no_difference(
    account, contract, district_admin
):
    pay(district_admin, contract, 5000, dt.date(2026, 2, 20))  # before: in the opening balance
    pay(district_admin, contract, 300, dt.date(2026, 3, 2), fee_type="service_prepaid")

    statement = import_rows(
        district_admin, account, [HEADER, ["2026-03-02", "300", "5300", "A1", "", ""]]
    )

    assert reconcile.reconciliation(statement)["differences"] == []


def test_without_a_balance_column_there_is_no_closing_balance_to_compare(
    account, contract, district_admin
):
    pay(district_admin, contract, 300, dt.date(2026, 3, 2))

    statement = import_rows(
        district_admin, account, [["交易日期", "交易金额"], ["2026-03-02", "300"]]
    )

    assert statement.closing_balance is None
    assert reconcile.reconciliation(statement)["differences"] == []


# The bank's confirmation


@pytest.fixture
def matched(account, contract, district_admin):
    entry = pay(district_admin, contract, 5000, dt.date(2026, 3, 2))
    unmatched = pay(district_admin, contract, 100, dt.date(2026, 3, 3))
    statement = import_rows(
        district_admin, account, [HEADER, ["2026-03-02", "5000", "", "A1", "", ""]]
    )
    return statement, entry, unmatched


def test_an_officer_of_the_accounts_bank_confirms_a_movement_once(matched, officer, make_user):
    _statement, entry, _ = matched
    colleague = make_user("bank_officer", username="colleague")
    entry.account.bank.officers.add(colleague)

    reconcile.entry_confirm(by=officer, entry=entry)
    first = LedgerEntry.objects.get(pk=entry.pk)
    reconcile.entry_confirm(by=colleague, entry=entry)
    again = LedgerEntry.objects.get(pk=entry.pk)

    assert first.confirmed_by_bank == officer and first.confirmed_at is not None
    assert (again.confirmed_by_bank, again.confirmed_at) == (officer, first.confirmed_at)


def test_nobody_but_an_officer_of_the_accounts_bank_confirms(
    matched, other_officer, operator, district_admin
):
    _statement, entry, _ = matched

    for user in (other_officer, operator, district_admin):
        with pytest.raises(PermissionDenied):
            reconcile.entry_confirm(by=user, entry=entry)
        with pytest.raises(PermissionDenied):
            reconcile.statement_confirm_matched(by=user, statement=_statement)
    assert not LedgerEntry.objects.filter(confirmed_by_bank__isnull=False).exists()


def test_confirming_a_statement_confirms_its_matched_movements_only(matched, officer):
    statement, entry, unmatched = matched

    assert reconcile.statement_confirm_matched(by=officer, statement=statement) == 1
    assert reconcile.statement_confirm_matched(by=officer, statement=statement) == 0

    assert LedgerEntry.objects.get(pk=entry.pk).confirmed_by_bank == officer
    assert LedgerEntry.objects.get(pk=unmatched.pk).confirmed_by_bank is None
    assert reconcile.reconciliation(statement)["counts"]["unconfirmed"] == 0
