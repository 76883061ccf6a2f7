"""Demo elderly-care institutions (names marked 演示/生成), a custodian bank, residents from the
elderly registry with contracts within the national caps, and ledgers that show each warning:
a withdrawal with its purpose, discharges with refunds (one late), an emergency advance whose
evidence is overdue, and one institution that announced its closure."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from stdnum.cn import uscc

from shegong.accounts.models import User
from shegong.elderly.models import ElderlyProfile
from shegong.institutions import inspections, reconcile, services
from shegong.institutions.models import (
    Bank,
    CustodyAccount,
    Institution,
    InstitutionStatus,
    InstitutionType,
)
from shegong.regions.models import Level, Region, under_prefix

from .generate import DISTRICT_AREA

OPERATOR = "demo-institution"
OFFICER = "demo-bank"
BANK = "演示银行栾城支行"
INSTITUTIONS = [
    ("栾城区福寿园养老院（演示/生成）", InstitutionType.PRIVATE, 120, 60, 3),
    ("冶河镇敬老院（演示/生成）", InstitutionType.PUBLIC, 60, 20, 2),
    ("窦妪镇康养中心（演示/生成）", InstitutionType.PUBLIC_BUILT_PRIVATE_RUN, 80, 40, 0),
]
RESIDENTS_EACH = 6


def _credit_code(n: int) -> str:
    base = f"52130111MJ{n:07d}"
    return base + uscc.calc_check_digit(base)


def generate_institutions(seed: int = 7) -> int:
    """Add the demo institutions once (nothing when the bank exists); returns how many
    contracts were signed."""
    users = {u.username: u for u in User.objects.filter(username__in=[OPERATOR, OFFICER])}
    admin = User.objects.filter(username="demo-district").first()
    townships = list(Region.objects.filter(level=Level.TOWNSHIP).order_by("code")[:3])
    if admin is None or len(users) < 2 or not townships or Bank.objects.filter(name=BANK).exists():
        return 0
    rng = random.Random(seed)
    today = dt.date.today()
    old_people = list(
        ElderlyProfile.objects.filter(
            under_prefix("person__region_id", DISTRICT_AREA), person__is_demo=True
        )
        .select_related("person")
        .order_by("pk")[: RESIDENTS_EACH * len(INSTITUTIONS)]
    )
    signed = 0
    with transaction.atomic():
        bank = Bank.objects.create(name=BANK)
        bank.officers.add(users[OFFICER])
        for n, (name, kind, beds, nursing, stars) in enumerate(INSTITUTIONS, start=1):
            township = townships[(n - 1) % len(townships)]
            institution = Institution.objects.create(
                name=name,
                credit_code=_credit_code(n),
                filing_number=f"冀民养备（演示）{n:04d}号",
                filed_on=today - dt.timedelta(days=400 + 30 * n),
                kind=kind,
                operator_name=f"演示养老服务有限公司{n}（生成）",
                address=f"{township.name}演示路{n}号",
                region=township,
                beds_total=beds,
                beds_nursing=nursing,
                star_rating=stars,
                services="生活照料、膳食、康复护理、医疗协助",
                care_workers=beds // 6,
                medical_staff=2 + n,
                social_workers=1 + n % 2,
                is_demo=True,
            )
            if n == 1:
                institution.operators.add(users[OPERATOR])
            CustodyAccount.objects.create(
                institution=institution,
                bank=bank,
                number=f"62220000{n:08d}",
                agreement_on=today - dt.timedelta(days=365),
                reserve_ratio=Decimal("0.200"),
            )
            chunk = old_people[(n - 1) * RESIDENTS_EACH : n * RESIDENTS_EACH]
            signed += _residents(admin, institution, chunk, rng, today)
            if n == 1:
                _inspection(admin, users[OPERATOR], institution, today)
                _statement(users[OFFICER], institution, today)
            if n == len(INSTITUTIONS):
                services.closure_announce(
                    by=admin, institution=institution, closes_on=today + dt.timedelta(days=45),
                    reason="演示：场地租约到期，停止运营",
                )  # fmt: skip
    return signed


def _residents(admin, institution, profiles, rng: random.Random, today: dt.date) -> int:
    contracts = []
    for i, profile in enumerate(profiles):
        bed_fee = Decimal(rng.choice([800, 1000, 1200, 1500]))
        monthly = bed_fee + Decimal(rng.choice([600, 1200, 2000]))
        months = rng.choice([1, 3, 6])
        contract = services.contract_create(
            by=admin,
            institution=institution,
            person=profile.person,
            monthly_fee=monthly,
            monthly_bed_fee=bed_fee,
            deposit=bed_fee * 3,
            prepaid_months=months,
            bed=f"{1 + i // 2}0{1 + i % 2}",
            signed_on=today - dt.timedelta(days=90 + 7 * i),
        )
        paid_on = contract.signed_on
        services.payment_in(
            by=admin, contract=contract, fee_type="deposit", amount=contract.deposit,
            occurred_on=paid_on,
        )  # fmt: skip
        services.payment_in(
            by=admin, contract=contract, fee_type="service_prepaid",
            amount=monthly * months, occurred_on=paid_on,
        )  # fmt: skip
        contracts.append(contract)
    if not contracts:
        return 0
    first = contracts[0]
    services.withdrawal(
        by=admin, contract=first, fee_type="service_prepaid", amount=first.monthly_fee,
        purpose="演示：第一个月服务费结算", occurred_on=today - dt.timedelta(days=60),
        evidence=ContentFile("演示发票（生成）".encode(), name="demo-invoice.txt"),
    )  # fmt: skip
    if len(contracts) > 1:
        # Left a month ago and refunded five days later: a late refund for the bureau.
        leaving = contracts[1]
        services.discharge(
            by=admin, contract=leaving, discharged_on=today - dt.timedelta(days=33),
            reason="演示：回家居住",
        )  # fmt: skip
        services.refund_all(by=admin, contract=leaving, occurred_on=today - dt.timedelta(days=30))
    if len(contracts) > 3:
        # Left last week and refunded the same day.
        services.discharge(
            by=admin, contract=contracts[3], discharged_on=today - dt.timedelta(days=7),
            reason="演示：转入医院长期住院",
        )  # fmt: skip
        services.refund_all(
            by=admin, contract=contracts[3], occurred_on=today - dt.timedelta(days=7)
        )
    if len(contracts) > 2 and institution.status == InstitutionStatus.OPEN:
        ill = contracts[2]
        services.emergency_advance(
            by=admin, contract=ill, fee_type="deposit", amount=Decimal(500),
            purpose="演示：急诊住院垫付", occurred_on=today - dt.timedelta(days=20),
        )  # fmt: skip
    return len(contracts)


def _inspection(admin, operator, institution, today: dt.date) -> None:
    """A supervision visit a month ago: one item put right and checked, one reported done, one
    overdue."""
    visit = inspections.inspection_create(
        by=admin,
        institution=institution,
        inspected_on=today - dt.timedelta(days=30),
        inspectors="区民政局养老服务股（演示）",
        findings="演示：消防通道堆放杂物；护理记录不全；部分床位呼叫器失灵。",
        items=[
            {"description": "清理消防通道", "deadline": today - dt.timedelta(days=23)},
            {"description": "补齐近三个月护理记录", "deadline": today - dt.timedelta(days=2)},
            {"description": "维修床位呼叫器", "deadline": today + dt.timedelta(days=10)},
        ],
    )
    fire, records, bells = visit.items.order_by("pk")
    fire = inspections.item_report_done(
        by=operator, item=fire, note="演示：已清理并拍照留存", version=fire.version
    )
    inspections.item_verify(
        by=admin, item=fire, note="演示：复查合格", accepted=True, version=fire.version
    )
    inspections.item_report_done(
        by=operator, item=bells, note="演示：已更换呼叫器", version=bells.version
    )


def _statement(officer, institution, today: dt.date) -> None:
    """Last month's statement from the bank: every movement of the ledger in that window, plus
    one bank charge the ledger does not have, so the reconciliation shows a difference."""
    account = institution.custody_account
    start = today - dt.timedelta(days=95)
    entries = account.entries.filter(occurred_on__gte=start).order_by("occurred_on", "pk")
    rows = ["交易日期,收入,支出,摘要,流水号"]
    for n, entry in enumerate(entries, start=1):
        money = f"{entry.amount},," if entry.kind == "payment_in" else f",{entry.amount},"
        rows.append(f"{entry.occurred_on:%Y-%m-%d},{money}{entry.contract.number} 演示,DEMO{n:05d}")
    rows.append(f"{today - dt.timedelta(days=3):%Y-%m-%d},,12.50,演示：账户管理费,DEMO99999")
    reconcile.statement_import(
        by=officer,
        account=account,
        file="\n".join(rows).encode("utf-8"),
        filename="演示对账单（生成）.csv",
    )
