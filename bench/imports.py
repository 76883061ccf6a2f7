#!/usr/bin/env python
"""Benchmark: a generated roster of N rows (.xlsx) imported end to end, beside its bare floor.

    .venv/bin/python bench/imports.py                      # 100,000 rows, SQLite under var/bench/
    .venv/bin/python bench/imports.py --rows 20000
    .venv/bin/python bench/imports.py --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench_import

End to end = what the worker does for a user: check the file (read, clean, classify: the
preview) and then the confirmed import (read, clean and classify again inside the
transaction, encrypt, bulk insert people, categories and audit entries). The floor = reading
the same file with calamine plus a bulk insert of the same raw rows into a bare table, in one
transaction. Prints one JSON document. Not a test; never gates CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None) -> Path:
    bench_dir = ROOT / "var" / "bench" / "imports"
    bench_dir.mkdir(parents=True, exist_ok=True)
    os.environ["SHEGONG_VAR_DIR"] = str(bench_dir)
    os.environ["DEBUG"] = "0"
    os.environ["SHEGONG_DEMO"] = "1"  # allows the built-in dev keys without DEBUG
    os.environ["HUEY_IMMEDIATE"] = "1"
    if database_url:
        if "bench" not in database_url.rsplit("/", 1)[-1]:
            raise SystemExit("the bench database name must contain 'bench'")
        os.environ["DATABASE_URL"] = database_url
        _ensure_pg_database(database_url)
    else:
        for name in ("shegong.sqlite3", "shegong.sqlite3-wal", "shegong.sqlite3-shm"):
            (bench_dir / name).unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shegong.settings"
    import django

    django.setup()
    return bench_dir


def _ensure_pg_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def make_roster(path: Path, rows: int, villages: list[tuple[str, str]]) -> None:
    """A roster like a township keeps: a title row, Chinese headings, one person a row."""
    from faker import Faker
    from openpyxl import Workbook

    from shegong.people import idnumbers

    rng = random.Random(42)
    fake = Faker("zh_CN")
    fake.seed_instance(42)
    surnames = [fake.last_name() for _ in range(200)]
    given = [fake.first_name() for _ in range(400)]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(["栾城镇人员花名册（基准测试生成）"])
    sheet.append(
        ["序号", "姓名", "公民身份号码", "性别", "出生日期", "联系电话", "所属村", "人员类别"]
    )
    used: set[str] = set()
    today = dt.date.today()
    categories = ["低保", "特困", "", "", "", "留守儿童", "独居老人", ""]
    for n in range(1, rows + 1):
        while True:
            birth = today - dt.timedelta(days=rng.randint(1, 95 * 365))
            sex = rng.choice("MF")
            seq = rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            number = idnumbers.make("130111", birth, seq)
            if number not in used:
                used.add(number)
                break
        village = rng.choice(villages)[1]
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else ""
        sheet.append(
            [
                n,
                rng.choice(surnames) + rng.choice(given),
                number,
                "男" if sex == "M" else "女",
                birth.strftime("%Y.%m.%d"),
                phone,
                village,
                rng.choice(categories),
            ]
        )
    workbook.save(path)


def floor(path: Path) -> float:
    """Read the file and bulk insert its raw rows into a bare table, in one transaction."""
    from django.db import connection, transaction

    from shegong.people import roster

    started = time.perf_counter()
    table = roster.read_table(path.read_bytes(), path.name)
    rows = [[("" if c is None else str(c)) for c in row[:8]] for row in table[2:]]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (n text, name text, id_number text, sex text, "
            "birth text, phone text, village text, category text)"
        )
        cursor.executemany("INSERT INTO bench_floor VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--floor-runs", type=int, default=3)
    args = parser.parse_args()

    bench_dir = setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from shegong.accounts.models import Membership, Role, User
    from shegong.demo.generate import seed_regions_and_staff
    from shegong.people import imports
    from shegong.people.models import ImportStatus, Person
    from shegong.regions.models import Level, Region

    seed_regions_and_staff()
    township = Region.objects.filter(level=Level.TOWNSHIP).order_by("code").first()
    villages = list(
        Region.objects.filter(parent=township).order_by("code").values_list("code", "name")
    )
    user, _ = User.objects.get_or_create(username="bench-importer")
    Membership.objects.get_or_create(user=user, role=Role.TOWNSHIP_WORKER, region=township)

    path = bench_dir / f"roster-{args.rows}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        make_roster(path, args.rows, villages)
        print(f"generated {path} in {time.perf_counter() - t:.1f}s", file=sys.stderr)

    floors = [floor(path) for _ in range(args.floor_runs)]
    floor_s = statistics.median(floors)

    job = imports.import_job_create(
        by=user, region_code=township.code, filename=path.name, content=path.read_bytes()
    )
    t = time.perf_counter()
    job = imports.import_job_check(job.pk)
    check_s = time.perf_counter() - t
    assert job.status == ImportStatus.CHECKED, (job.status, job.message, job.errors[:3])
    assert job.count_error == 0, job.errors[:5]
    imports.import_job_confirm(by=user, job=job)
    t = time.perf_counter()
    job = imports.import_job_commit(job.pk, by=user)
    commit_s = time.perf_counter() - t
    assert job.status == ImportStatus.DONE, job.message
    imported = Person.objects.count()

    rerun = imports.import_job_create(
        by=user, region_code=township.code, filename=path.name, content=path.read_bytes()
    )
    t = time.perf_counter()
    rerun = imports.import_job_check(rerun.pk)
    recheck_s = time.perf_counter() - t

    from django.db import connection

    end_to_end = check_s + commit_s
    result = {
        "benchmark": "roster import",
        "database": connection.vendor,
        "rows": args.rows,
        "people_after_import": imported,
        "check_seconds": round(check_s, 2),
        "import_seconds": round(commit_s, 2),
        "end_to_end_seconds": round(end_to_end, 2),
        "end_to_end_rows_per_second": round(args.rows / end_to_end),
        "import_rows_per_second": round(args.rows / commit_s),
        "floor_seconds": round(floor_s, 2),
        "floor_rows_per_second": round(args.rows / floor_s),
        "ratio_import_to_floor": round(commit_s / floor_s, 2),
        "ratio_end_to_end_to_floor": round(end_to_end / floor_s, 2),
        "rerun_same_file": {
            "seconds": round(recheck_s, 2),
            "new": rerun.count_new,
            "update": rerun.count_update,
            "unchanged": rerun.count_unchanged,
        },
        "targets": {
            "rows_per_second": 10_000,
            "ratio_to_floor": 3.0,
            "import_meets_rate": args.rows / commit_s >= 10_000,
            "import_within_3x_floor": commit_s / floor_s <= 3.0,
            "end_to_end_meets_rate": args.rows / end_to_end >= 10_000,
        },
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
