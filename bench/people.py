#!/usr/bin/env python
"""People registry benchmark: name search, ID lookup and list page 1 through the real stack.

Seeds its own database (never the developer's) with generated people, then measures, for a
village-scoped and a district-scoped user, p50/p95 of the UI page (/people/?q=) and the API
(/api/v1/people?q=) through Django's test Client, beside the bare SQL floor for the same result
(COUNT + first page, raw SQL on connection.cursor()). Prints one JSON document on stdout;
progress and profiling go to stderr. A benchmark, not a test: it never gates CI.

    .venv/bin/python bench/people.py                       # SQLite at var/bench/people.sqlite3
    .venv/bin/python bench/people.py --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench
    make bench BENCH_ARGS="--requests 50 --explain"
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISTRICT_CODE = "130111000000"
VILLAGE_USER = "bench-village"
DISTRICT_USER = "bench-district"
# The targets (p95, ms) and the allowed ratio to the bare SQL floor.
TARGET_P95_MS = {"search": 50.0, "lookup": 50.0, "list": 150.0}
FLOOR_RATIO = 3.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=300_000, help="seed up to this many")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of a bench database (name must contain 'bench'); SQLite if empty",
    )
    parser.add_argument(
        "--var-dir", default=str(ROOT / "var" / "bench"), help="SQLite file, queue, media"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per figure")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--debug",
        action="store_true",
        help="keep settings.DEBUG on while measuring (SQL logging, template debug)",
    )
    parser.add_argument("--seed-only", action="store_true", help="seed, print the rate, stop")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print each request's SQL and its plan (EXPLAIN QUERY PLAN / ANALYZE) to stderr",
    )
    return parser.parse_args()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def ensure_postgres_database(url: str) -> None:
    """Create the bench database when missing (connects to the 'postgres' maintenance db)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure(args: argparse.Namespace) -> dict:
    """Point Django at the bench database before setup; refuse anything that is not ours."""
    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    caller_url = os.environ.get("DATABASE_URL", "")
    os.environ["DEBUG"] = "1"  # development keys and demo mode; measured with DEBUG off below
    os.environ["SHEGONG_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shegong.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)  # the queue lives under var/bench too
    if args.database_url:
        url = args.database_url
        name = urlsplit(url).path.lstrip("/")
        if not url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
        if "bench" not in name or url == caller_url:
            raise SystemExit(f"refusing database {name!r}: use a dedicated one named *bench*")
        ensure_postgres_database(url)
        os.environ["DATABASE_URL"] = url
        return {"backend": "postgresql", "database": redact(url)}
    path = var_dir / "people.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return {"backend": "sqlite", "database": str(path)}


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
    }


def timed(fns: dict[str, Callable[[], object]], requests: int, warmup: int) -> dict[str, dict]:
    """Time each callable ``requests`` times, interleaved (a, b, c, a, b, c, ...), so that a
    burst of load on the machine hits the floor and the stack alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(requests):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: summary(values) for name, values in samples.items()}


# --- data -----------------------------------------------------------------------------------


def seed(target: int, seed_value: int) -> dict | None:
    from shegong.demo import generate
    from shegong.people.models import Person
    from shegong.regions.models import Level, Region

    if not Region.objects.filter(level=Level.VILLAGE).exists():
        log("seeding regions, stations and staff")
        generate.seed_regions_and_staff(seed_value)
    have = Person.objects.count()
    if have >= target:
        log(f"bench database already holds {have:,} people; not seeding")
        return None
    missing = target - have
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        print(f"\r  people {done:,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr)

    generate.generate_people(missing, seed=seed_value, progress=progress)
    elapsed = time.monotonic() - started
    log("")
    return {
        "added": missing,
        "seconds": round(elapsed, 1),
        "people_per_s": round(missing / elapsed),
    }


def bench_users():
    """A village director at the first village and a centre worker for the whole district."""
    from shegong.accounts.models import Membership, Role, User
    from shegong.regions.models import Level, Region

    village = Region.objects.filter(level=Level.VILLAGE).order_by("code").first()
    users = {}
    for username, role, region in [
        (VILLAGE_USER, Role.VILLAGE_DIRECTOR, village),
        (DISTRICT_USER, Role.CENTER_WORKER, Region.objects.get(code=DISTRICT_CODE)),
    ]:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, role=role, region=region)
        users[username] = (user, region)
    return village, users


def search_terms(village) -> dict:
    """Terms that exist in the village: its commonest surname, a 2-character given-name
    fragment, and one resident's full ID number."""
    from shegong.people.models import Person

    rows = list(
        Person.objects.filter(region=village)
        .order_by("id")
        .values_list("name", "id_number_encrypted")
    )
    surnames = Counter(name[0] for name, _ in rows)
    given = Counter(name[1:3] for name, _ in rows if len(name) == 3)
    person = Person.objects.filter(region=village).order_by("id").first()
    return {
        "surname": surnames.most_common(1)[0][0],
        "given": given.most_common(1)[0][0],
        "id_number": person.id_number,
        "id_masked": person.id_number_masked,
    }


# --- the floor: raw SQL for the same result -------------------------------------------------


def floor_query(prefix: str, case: str, terms: dict, *, prefix_style: str = "like"):
    """COUNT and the first page (25 rows, display order) for one scenario, as bare SQL."""
    from django.conf import settings

    from shegong.people import crypto
    from shegong.people.models import Person, PersonStatus

    table = Person._meta.db_table
    if prefix_style == "like":
        where, params = ["region_id LIKE %s"], [prefix + "%"]
    else:  # the same rows as a range on the 12-digit code
        where, params = (
            ["region_id BETWEEN %s AND %s"],
            [prefix.ljust(12, "0"), prefix.ljust(12, "9")],
        )
    if case in ("search_given", "search_surname"):
        term = terms["given"] if case == "search_given" else terms["surname"]
        where.append("name LIKE %s")
        params.append(f"%{term}%")
    elif case == "lookup_id":
        where.append("id_number_hash = %s")
        params.append(crypto.blind_index(terms["id_number"]))
    if "merged" in PersonStatus.values:  # lists hide merged records (no status filter)
        where.append("NOT (status = %s)")
        params.append("merged")
    clause = " AND ".join(where)
    count_sql = f"SELECT COUNT(*) FROM {table} WHERE {clause}"  # noqa: S608 (constants only)
    page_sql = (
        f"SELECT * FROM {table} WHERE {clause} "  # noqa: S608
        f"ORDER BY region_id, name, id LIMIT {settings.SHEGONG_PAGE_SIZE}"
    )
    return count_sql, page_sql, params


def run_floor(count_sql: str, page_sql: str, params: list) -> tuple[int, list[int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(count_sql, params)
        count = cursor.fetchone()[0]
        cursor.execute(page_sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    return count, ids


# --- profiling ------------------------------------------------------------------------------


def explain(sql: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return "\n".join(f"    {row[-1]}" for row in rows)
    return "\n".join(f"    {row[0]}" for row in rows)


def capture(fn: Callable[[], object]) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return ctx.captured_queries


def report_queries(label: str, queries: list[dict]) -> None:
    log(f"--- {label}: {len(queries)} queries")
    for query in queries:
        sql = query["sql"]
        log(f"  [{query['time']}s] {sql[:240]}")
        if sql.lstrip().upper().startswith("SELECT"):
            try:
                log(explain(sql))
            except Exception as exc:  # interpolated SQL is not always re-runnable
                log(f"    (no plan: {exc.__class__.__name__})")


# --- main -----------------------------------------------------------------------------------


CASES = [
    # (case, kind, query-string builder)
    ("search_given", "search", lambda t: t["given"]),
    ("search_surname", "search", lambda t: t["surname"]),
    ("lookup_id", "lookup", lambda t: t["id_number"]),
    ("list_page1", "list", lambda t: ""),
]


def judged(stack: dict, floor_p50: float, floor_p95: float, kind: str, queries: int) -> dict:
    target = TARGET_P95_MS[kind]
    ratio_p50 = stack["p50_ms"] / floor_p50 if floor_p50 else None
    ratio_p95 = stack["p95_ms"] / floor_p95 if floor_p95 else None
    pass_target = stack["p95_ms"] <= target
    pass_ratio = ratio_p95 is not None and ratio_p95 <= FLOOR_RATIO
    return {
        **stack,
        "over_floor_p50_ms": round(stack["p50_ms"] - floor_p50, 2),
        "queries": queries,
        "ratio_p50": round(ratio_p50, 2) if ratio_p50 else None,
        "ratio_p95": round(ratio_p95, 2) if ratio_p95 else None,
        "target_p95_ms": target,
        "pass_target": pass_target,
        "pass_ratio": pass_ratio,
        "pass": pass_target and pass_ratio,
    }


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

    from shegong.people.models import Person

    log(f"bench database: {where['database']}")
    call_command("migrate", interactive=False, verbosity=0)
    seeding = seed(args.people, args.seed)
    if connection.vendor == "postgresql":
        # Steady state: autovacuum would have vacuumed (visibility map, so index-only scans)
        # and analysed the freshly loaded tables; do not wait for it.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    people = Person.objects.count()
    if args.seed_only:
        print(json.dumps({"benchmark": "people", **where, "people": people, "seeding": seeding}))
        return 0
    village, users = bench_users()
    terms = search_terms(village)

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = args.debug  # production-like: no SQL log, no template debug

    load_before = round(os.getloadavg()[0], 2)  # a busy machine makes every figure worse
    results = []
    framework = None
    for username, label in [(VILLAGE_USER, "village"), (DISTRICT_USER, "district")]:
        user, region = users[username]
        client = Client()
        client.force_login(user)
        prefix = region.prefix
        if framework is None:
            framework = timed(
                {"healthz": partial(client.get, "/healthz")}, args.requests, args.warmup
            )["healthz"]
        for case, kind, term_of in CASES:
            q = term_of(terms)
            log(f"{label:8} {case:15} q={q[:6] + '…' if len(q) > 6 else q!r}")
            like = floor_query(prefix, case, terms, prefix_style="like")
            ranged = floor_query(prefix, case, terms, prefix_style="range")
            count, floor_ids = run_floor(*like)
            if run_floor(*ranged) != (count, floor_ids):
                raise SystemExit(f"floor variants disagree for {label}/{case}")

            query = urlencode({"q": q}) if q else ""
            ui_url = "/people/" + (f"?{query}" if query else "")
            api_url = "/api/v1/people" + (f"?{query}" if query else "")
            ui_response = client.get(ui_url)
            api_response = client.get(api_url)
            if ui_response.status_code != 200 or api_response.status_code != 200:
                raise SystemExit(
                    f"{label}/{case}: UI {ui_response.status_code}, API {api_response.status_code}"
                )
            body = api_response.json()
            api_ids = [item["id"] for item in body["items"]]
            if body["count"] != count or api_ids != floor_ids:
                raise SystemExit(f"{label}/{case}: the API and the floor disagree on the result")

            ui_queries = capture(partial(client.get, ui_url))
            api_queries = capture(partial(client.get, api_url))
            if args.explain:
                report_queries(f"{label}/{case} UI {ui_url}", ui_queries)
                report_queries(f"{label}/{case} API {api_url}", api_queries)
            timings = timed(
                {
                    "like": partial(run_floor, *like),
                    "range": partial(run_floor, *ranged),
                    "ui": partial(client.get, ui_url),
                    "api": partial(client.get, api_url),
                },
                args.requests,
                args.warmup,
            )
            floors = {"like": timings["like"], "range": timings["range"]}
            best = min(floors.values(), key=lambda f: f["p95_ms"])
            ui, api = timings["ui"], timings["api"]
            results.append(
                {
                    "user": label,
                    "scope_prefix": prefix,
                    "case": case,
                    "kind": kind,
                    "q": terms["id_masked"] if case == "lookup_id" else q,
                    "count": count,
                    "floor_sql": {
                        "like": floors["like"],
                        "range": floors["range"],
                        "floor_p50_ms": best["p50_ms"],
                        "floor_p95_ms": best["p95_ms"],
                    },
                    "ui": judged(ui, best["p50_ms"], best["p95_ms"], kind, len(ui_queries)),
                    "api": judged(api, best["p50_ms"], best["p95_ms"], kind, len(api_queries)),
                }
            )

    figures = [r[side] for r in results for side in ("ui", "api")]
    document = {
        "benchmark": "people",
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
        "people": people,
        "seeding": seeding,
        "requests": args.requests,
        "warmup": args.warmup,
        "settings_debug": args.debug,
        "targets": {
            "p95_ms": TARGET_P95_MS,
            "max_ratio_to_floor": FLOOR_RATIO,
            "ratio": "stack p95 / bare SQL p95 (the faster of the LIKE and range forms)",
        },
        "framework_floor_healthz": framework,
        "results": results,
        "summary": {
            "figures": len(figures),
            "pass_target": sum(f["pass_target"] for f in figures),
            "pass_ratio": sum(f["pass_ratio"] for f in figures),
            "pass": sum(f["pass"] for f in figures),
        },
    }
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
