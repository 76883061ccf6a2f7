#!/usr/bin/env python
"""Custody benchmark: elderly-care institutions' custody accounts at district scale.

Builds its own database (never the developer's) with generated data marked 基准/生成: 30
institutions of 100 residents each, one custody account each and a year of ledger entries
(~40,000), then measures the median wall time and the SQL queries of:

1. ``selectors.custody_summary`` of one account, and ``selectors.warnings_for`` over them all
   for a district admin (plus the /institutions/warnings/ page that shows it);
2. the institution page GET /institutions/<pk>/ as a district admin (Django test Client);
3. ``reconcile.statement_import`` of a one-year CSV statement of one account (~1,300 lines with
   3 bank-only lines, 3 ledger entries missing and 5 dates shifted), then
   ``reconcile.reconciliation`` of it;
4. the family page's ``family.look_up``.

    .venv/bin/python bench/custody.py                 # SQLite under var/bench/custody/
    .venv/bin/python bench/custody.py --runs 3 --residents 20
    .venv/bin/python bench/custody.py --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench_custody

Prints one JSON document on stdout, progress on stderr. A benchmark, not a test: it never
gates CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISTRICT_CODE = "130111000000"
ADMIN = "bench-custody-admin"
OFFICER = "bench-custody-officer"
MARK = "（基准/生成）"
# Deliberate differences between the generated bank statement and the ledger.
BANK_ONLY = [
    ("账户管理费", Decimal("-12.50")),
    ("结息", Decimal("3.87")),
    ("短信服务费", Decimal("-2.00")),
]
MISSING_ENTRIES = 3
DATE_SHIFTS = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--institutions", type=int, default=30)
    parser.add_argument("--residents", type=int, default=100, help="per institution")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of a bench database (name must contain 'bench'; created and "
        "dropped); SQLite under var/bench/custody/ if empty",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the PostgreSQL database")
    return parser.parse_args()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the bench database ---------------------------------------------------------------------


def _maintenance(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.lstrip("/"), urlunsplit(parts._replace(path="/postgres"))


def recreate_postgres(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    name, maintenance = _maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure(args: argparse.Namespace) -> dict:
    """A new bench database every run; refuse anything that is not ours."""
    var_dir = ROOT / "var" / "bench" / "custody"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["SHEGONG_VAR_DIR"] = str(var_dir)  # media (evidence, statements) too
    os.environ["DEBUG"] = "0"  # production-like: no SQL log, no template debug
    os.environ["SHEGONG_DEMO"] = "1"  # allows the built-in dev keys without DEBUG
    os.environ["HUEY_IMMEDIATE"] = "1"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "shegong.settings"
    if args.database_url:
        url = args.database_url
        name = urlsplit(url).path.lstrip("/")
        if not url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
        if "bench" not in name:
            raise SystemExit(f"refusing database {name!r}: use a dedicated one named *bench*")
        recreate_postgres(url)
        os.environ["DATABASE_URL"] = url
        return {"backend": "postgresql", "database": name}
    path = var_dir / "custody.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return {"backend": "sqlite", "database": str(path.relative_to(ROOT))}


# --- measuring ------------------------------------------------------------------------------


def measure(fn, runs: int, *, before=None) -> dict:
    """Median and spread of ``runs`` timed calls after one untimed, and the queries of one.
    ``before`` (untimed) runs ahead of every call, e.g. to undo the previous one."""
    from django.db import connection

    # Counted as they are sent: CaptureQueriesContext reads connection.queries_log later, and
    # every test Client request clears that log when it starts (request_started).
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    if before:
        before()
    with connection.execute_wrapper(count):
        result = fn()
    samples = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
        "queries": len(queries),
        "result": result,
    }


def figure(measured: dict, **extra) -> dict:
    return {k: v for k, v in measured.items() if k != "result"} | extra


# --- generated data -------------------------------------------------------------------------


def _credit_code(n: int) -> str:
    from stdnum.cn import uscc

    base = f"52130111MJ{9_000_000 + n:07d}"
    return base + uscc.calc_check_digit(base)


def _month_day(year: int, month: int, day: int) -> dt.date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, min(day, 28))


def build(args: argparse.Namespace) -> dict:
    """Regions, people, users, institutions, residents, contracts and a year of ledger, in bulk.
    The ledger is what the services would have written (same rules: evidence with every
    withdrawal, an advance's evidence due in 7 working days, refunds after discharge)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone

    from shegong.accounts.models import Membership, Role, User
    from shegong.demo import generate
    from shegong.institutions.models import Bank, CustodyAccount, Institution, InstitutionType
    from shegong.people.models import Person
    from shegong.regions.models import Level, Region

    rng = random.Random(args.seed)
    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    timings = {}

    t = time.perf_counter()
    generate.seed_regions_and_staff(args.seed)
    timings["regions_and_staff_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    generate.generate_people(args.institutions * args.residents, seed=args.seed)
    timings["people_s"] = round(time.perf_counter() - t, 1)

    t = time.perf_counter()
    district = Region.objects.get(code=DISTRICT_CODE)
    admin = User.objects.create(username=ADMIN)
    Membership.objects.create(user=admin, role=Role.DISTRICT_ADMIN, region=district)
    officer = User.objects.create(username=OFFICER)
    Membership.objects.create(user=officer, role=Role.BANK_OFFICER, region=district)
    bank = Bank.objects.create(name=f"基准银行栾城支行{MARK}")
    bank.officers.add(officer)
    # One small stored invoice that every withdrawal points at (40,000 copies add nothing).
    evidence = default_storage.save(
        "institutions/evidence/bench-invoice.txt", ContentFile("基准测试发票（生成）".encode())
    )
    townships = list(Region.objects.filter(level=Level.TOWNSHIP).order_by("code"))
    person_ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    entries_total = 0
    with transaction.atomic():
        for n in range(1, args.institutions + 1):
            township = townships[(n - 1) % len(townships)]
            institution = Institution.objects.create(
                name=f"{township.name}第{n}养老院{MARK}",
                credit_code=_credit_code(n),
                kind=rng.choice(InstitutionType.values),
                operator_name=f"基准养老服务有限公司{n}{MARK}",
                address=f"{township.name}基准路{n}号",
                region=township,
                beds_total=args.residents + 20,
                beds_nursing=args.residents // 2,
                star_rating=rng.randint(0, 5),
                is_demo=True,
            )
            account = CustodyAccount.objects.create(
                institution=institution,
                bank=bank,
                number=f"62229000{n:08d}",
                agreement_on=start - dt.timedelta(days=30),
                reserve_ratio=Decimal("0.200"),
            )
            people = person_ids[(n - 1) * args.residents : n * args.residents]
            entries_total += _institution_ledger(
                rng, institution, account, admin, evidence, people, today=today, start=start
            )
    timings["institutions_and_ledger_s"] = round(time.perf_counter() - t, 1)
    return {
        "admin": admin,
        "officer": officer,
        "timings": timings,
        "ledger_entries": entries_total,
    }


def _institution_ledger(
    rng, institution, account, admin, evidence, person_ids, *, today, start
) -> int:
    """One institution: residents and contracts signed in the year's first four weeks, each
    paying a deposit (3 months' bed fee) and 12 months of service fees in advance, then one
    withdrawal with evidence a month. A few leave and are refunded (one late, one not yet), a few
    have an emergency advance (one with its evidence overdue)."""
    from shegong.institutions.models import (
        Contract,
        ContractStatus,
        EntryKind,
        LedgerEntry,
        Resident,
    )
    from shegong.institutions.selectors import add_working_days, refund_due_on

    count = len(person_ids)
    leaving = rng.sample(range(count), min(6, count))
    ill = rng.sample([i for i in range(count) if i not in leaving], min(3, count - len(leaving)))
    residents, contracts, plans = [], [], []
    for i, person_id in enumerate(person_ids):
        signed_on = start + dt.timedelta(days=rng.randint(0, 27))
        bed_fee = Decimal(rng.choice([800, 1000, 1200, 1500]))
        monthly = bed_fee + Decimal(rng.choice([600, 1200, 2000]))
        discharged_on = None
        if i in leaving:
            role = leaving.index(i)
            # Most left months ago; the late refund and the unrefunded one recently.
            days_ago = {4: 40, 5: 10}.get(role, rng.randint(60, 240))
            discharged_on = today - dt.timedelta(days=days_ago)
        residents.append(
            Resident(
                institution=institution,
                person_id=person_id,
                bed=f"{1 + i // 10}{i % 10:02d}",
                admitted_on=signed_on,
                discharged_on=discharged_on,
                discharge_reason="回家居住（生成）" if discharged_on else "",
                bed_fee=bed_fee,
                care_fee=monthly - bed_fee,
            )
        )
        plans.append((signed_on, bed_fee, monthly, discharged_on, i))
    Resident.objects.bulk_create(residents, batch_size=500)
    for resident, (signed_on, bed_fee, monthly, discharged_on, i) in zip(
        residents, plans, strict=True
    ):
        contracts.append(
            Contract(
                resident=resident,
                number=f"{institution.pk}-{signed_on.year}-{i + 1:04d}",
                monthly_fee=monthly,
                monthly_bed_fee=bed_fee,
                deposit=bed_fee * 3,
                prepaid_months=12,
                signed_on=signed_on,
                status=ContractStatus.ENDED if discharged_on else ContractStatus.ACTIVE,
                created_by=admin,
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=500)

    entries = []

    def entry(contract, fee_type, kind, amount, on, purpose="", with_evidence=False, due=None):
        entries.append(
            LedgerEntry(
                account=account, contract=contract, fee_type=fee_type, kind=kind,
                amount=amount, occurred_on=on, purpose=purpose,
                evidence=evidence if with_evidence else "", evidence_due_on=due,
                recorded_by=admin,
            )
        )  # fmt: skip

    for contract, (signed_on, _bed, monthly, discharged_on, i) in zip(
        contracts, plans, strict=True
    ):
        deposit, prepaid = contract.deposit, monthly * 12
        entry(contract, "deposit", EntryKind.PAYMENT_IN, deposit, signed_on)
        entry(contract, "service_prepaid", EntryKind.PAYMENT_IN, prepaid, signed_on)
        end = min(discharged_on or today, today - dt.timedelta(days=1))
        used = Decimal(0)
        for k in range(1, 13):
            on = _month_day(signed_on.year, signed_on.month + k, signed_on.day)
            if on > end:
                break
            used += monthly
            entry(
                contract, "service_prepaid", EntryKind.WITHDRAWAL, monthly, on,
                purpose=f"{on:%Y-%m}服务费结算（生成）", with_evidence=True,
            )  # fmt: skip
        if i in ill:
            overdue = ill.index(i) == 0
            on = today - dt.timedelta(days=30 if overdue else rng.randint(100, 300))
            entry(
                contract, "deposit", EntryKind.EMERGENCY_ADVANCE, Decimal(rng.choice([500, 800])),
                on, purpose="急诊住院垫付（生成）", with_evidence=not overdue,
                due=add_working_days(on, 7),
            )  # fmt: skip
        if discharged_on and leaving.index(i) != 5:  # the last one is not refunded yet
            due = refund_due_on(discharged_on)
            on = due + dt.timedelta(days=4) if leaving.index(i) == 4 else due
            entry(contract, "deposit", EntryKind.REFUND, deposit, on, purpose="退款（生成）")
            if prepaid > used:
                entry(
                    contract, "service_prepaid", EntryKind.REFUND, prepaid - used, on,
                    purpose="退款（生成）",
                )  # fmt: skip
    # Recorded as they happened: ids rise with the date, as in a real ledger.
    entries.sort(key=lambda e: (e.occurred_on, e.contract.number))
    LedgerEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


# --- the bank statement ---------------------------------------------------------------------


def statement_csv(account, rng: random.Random) -> tuple[bytes, dict]:
    """The bank's one-year CSV export of ``account``, generated from its ledger with deliberate
    differences: entries missing, dates shifted (booked a day or two later), bank-only lines."""
    from shegong.institutions.models import EntryKind

    entries = list(account.entries.select_related("contract").order_by("occurred_on", "pk"))
    middle = list(range(len(entries) // 10, len(entries) * 9 // 10))
    picked = rng.sample(middle, MISSING_ENTRIES + DATE_SHIFTS)
    missing, shifted = set(picked[:MISSING_ENTRIES]), set(picked[MISSING_ENTRIES:])
    lines = []  # (date, signed amount, memo)
    for index, entry in enumerate(entries):
        if index in missing:
            continue
        on = entry.occurred_on + dt.timedelta(days=rng.choice([1, 2]) if index in shifted else 0)
        sign = 1 if entry.kind == EntryKind.PAYMENT_IN else -1
        memo = f"{entry.contract.number} {entry.purpose or entry.get_kind_display()}"
        lines.append((on, sign * entry.amount, memo))
    for memo, amount in BANK_ONLY:
        lines.append((entries[rng.choice(middle)].occurred_on, amount, f"{memo}（生成）"))
    lines.sort(key=lambda line: line[0])
    rows = [
        f"基准银行栾城支行 账户交易明细{MARK}",
        f"账号：{account.number}",
        "交易日期,收入,支出,余额,流水号,摘要",
    ]
    balance = Decimal(0)
    for n, (on, amount, memo) in enumerate(lines, start=1):
        balance += amount
        money = f"{amount}," if amount > 0 else f",{-amount}"
        rows.append(f"{on:%Y-%m-%d},{money},{balance},B{on:%Y%m%d}{n:05d},{memo}")
    expected = {
        "lines": len(lines),
        "matched": len(lines) - len(BANK_ONLY),
        "bank_only": len(BANK_ONLY),
        "ledger_only": MISSING_ENTRIES,
        "date_differs": DATE_SHIFTS,
    }
    return "\n".join(rows).encode("utf-8"), expected


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    where = configure(args)

    import django

    django.setup()

    import sqlite3

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from shegong.institutions import family, reconcile, selectors
    from shegong.institutions.models import BankStatement, ContractStatus, CustodyAccount
    from shegong.testing import login

    log(f"bench database: {where['database']}")
    try:
        call_command("migrate", interactive=False, verbosity=0)
        t = time.perf_counter()
        built = build(args)
        build_s = time.perf_counter() - t
        log(f"built {built['ledger_entries']:,} ledger entries in {build_s:.1f}s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum would have done by now
                cursor.execute("VACUUM (ANALYZE)")
        admin, officer = built["admin"], built["officer"]
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        settings.WHITENOISE_USE_FINDERS = False  # no static file is asked for
        load_before = round(os.getloadavg()[0], 2)
        runs = args.runs
        rng = random.Random(args.seed)

        accounts = list(CustodyAccount.objects.select_related("institution", "bank").order_by("pk"))
        account = accounts[0]
        institution = account.institution

        log("1. custody summary and warnings")
        summary = measure(lambda: selectors.custody_summary(account), runs)
        warned = measure(lambda: selectors.warnings_for(fetched_by=admin), runs)

        log("2. institution page")
        client = login(Client(), admin)
        url = f"/institutions/{institution.pk}/"

        def get(path):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code}")
            return len(response.content)

        page = measure(lambda: get(url), runs)
        warnings_page = measure(lambda: get("/institutions/warnings/"), runs)

        log("3. statement import and reconciliation")
        data, expected = statement_csv(account, rng)
        name = "基准对账单（生成）.csv"
        imported = []

        def undo():  # each run imports the same file afresh
            for statement in BankStatement.objects.filter(account=account):
                statement.file.delete(save=False)
                statement.delete()

        def do_import():
            statement = reconcile.statement_import(
                by=officer, account=account, file=data, filename=name
            )
            imported.append(statement)
            return statement

        importing = measure(do_import, runs, before=undo)
        statement = imported[-1]
        reconciling = measure(lambda: reconcile.reconciliation(statement), runs)
        counts = reconciling["result"]["counts"]
        got = {k: counts[k] for k in expected}
        if got != expected:
            raise SystemExit(f"reconciliation found {got}, expected {expected}")
        closing = [
            d for d in reconciling["result"]["differences"] if d["code"] == "closing_balance"
        ]

        log("4. family look-up")
        resident = (
            institution.residents.filter(contract__status=ContractStatus.ACTIVE)
            .select_related("contract", "person")
            .order_by("pk")
            .first()
        )
        number, tail = resident.contract.number, resident.person.id_number[-6:]
        addresses = iter(f"10.{k // 250}.{k % 250}.1" for k in range(10_000))  # under the limit

        def look():
            found = family.look_up(number=number, id_tail=tail, ip=next(addresses))
            if found is None:
                raise SystemExit("the family look-up did not match")
            return found

        looked = measure(look, runs)

        lines = expected["lines"]
        document = {
            "benchmark": "custody",
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            **where,
            "engine_version": (
                sqlite3.sqlite_version
                if connection.vendor == "sqlite"
                else ".".join(str(n) for n in divmod(connection.pg_version, 10000))
            ),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before_after": [load_before, round(os.getloadavg()[0], 2)],
            "runs": runs,
            "data": {
                "institutions": len(accounts),
                "residents_each": args.residents,
                "ledger_entries": built["ledger_entries"],
                "ledger_entries_measured_account": account.entries.count(),
                "build_seconds": round(build_s, 1),
                **built["timings"],
            },
            "custody_summary": figure(
                summary,
                warnings=dict(Counter(w["code"] for w in summary["result"]["warnings"])),
            ),
            "warnings_for_district_admin": figure(
                warned,
                warnings=len(warned["result"]),
                queries_per_institution=round(warned["queries"] / len(accounts), 1),
            ),
            "warnings_page": figure(warnings_page, bytes=warnings_page["result"]),
            "institution_page": figure(page, bytes=page["result"]),
            "statement_import": figure(
                importing,
                lines=lines,
                lines_per_second=round(lines / (importing["median_ms"] / 1000)),
                csv_bytes=len(data),
            ),
            "reconciliation": figure(
                reconciling,
                counts=counts,
                lines_per_second=round(lines / (reconciling["median_ms"] / 1000)),
                closing_balance_differs=bool(closing),
            ),
            "family_look_up": figure(looked, fee_rows=len(looked["result"].rows)),
        }
        print(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    finally:
        if args.database_url and not args.keep:
            connection.close()
            recreate_postgres(args.database_url, drop_only=True)
            log("dropped the bench database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
