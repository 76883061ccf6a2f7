#!/usr/bin/env python
"""Dashboard benchmark: the district user's dashboard and figures API through the real stack.

Opens a database seeded with ``seed_demo`` (300,000 people, or the city-scale 3,000,000; see
bench/README.md), logs in a centre worker of 栾城区 and measures p50/p95 of the dashboard page
(/dashboard/ for this month and for the year so far), one township's dashboard and the figures
API (/api/v1/stats/overview), with the number of SQL queries per request. Each request is
measured cold (the figures cache emptied: every figure counted in SQL), warm (served from the
cache while nothing changed) and after a visit (one visit recorded before each request: the
visit figures are recounted, the rest come from the cache — a working day's steady state),
and after an alarm (the same with an alarm raised and dealt with before each request). The
visits and alarms it records stay in the bench database (a few hundred a run). Prints one JSON
document on stdout; progress on stderr. A benchmark, not a test: it never gates CI.

    .venv/bin/python bench/dashboard.py --var-dir var/bench/dash300k
    .venv/bin/python bench/dashboard.py --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench_dash300k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from people import capture, log, percentile, redact, report_queries  # noqa: E402

DISTRICT_CODE = "130111000000"
DISTRICT_USER = "bench-district"
TARGET_P95_MS = 150.0  # at 300,000 people; 3,000,000 may be at most 1.5× slower
SCALE_RATIO = 1.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--var-dir",
        default=str(ROOT / "var" / "bench" / "dash300k"),
        help="the seeded SQLite database's SHEGONG_VAR_DIR (shegong.sqlite3 in it)",
    )
    parser.add_argument(
        "--database-url", default="", help="a seeded PostgreSQL bench database (name *bench*)"
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="the figures cache on Redis, as in production (a database of its own: the bench "
        "empties it), e.g. redis://127.0.0.1:6379/15; default: files under --var-dir",
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per figure")
    parser.add_argument(
        "--cold-requests", type=int, default=5, help="timed cold requests (seconds each)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--explain", action="store_true", help="print each query and its plan")
    return parser.parse_args()


def configure(args: argparse.Namespace) -> dict:
    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DEBUG"] = "1"  # development keys; measured with DEBUG off below
    os.environ["SHEGONG_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shegong.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)
    if args.redis_url:
        if urlsplit(args.redis_url).path.strip("/") in ("", "0"):
            raise SystemExit("refusing Redis database 0: give one of its own, e.g. …:6379/15")
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["SHEGONG_CACHE_PREFIX"] = "shegong-bench"
    if args.database_url:
        name = args.database_url.rsplit("/", 1)[-1]
        if "bench" not in name:
            raise SystemExit(f"refusing database {name!r}: use a dedicated one named *bench*")
        os.environ["DATABASE_URL"] = args.database_url
        return {"backend": "postgresql", "database": redact(args.database_url)}
    os.environ.pop("DATABASE_URL", None)
    return {"backend": "sqlite", "database": str(var_dir / "shegong.sqlite3")}


def bench_user():
    from shegong.accounts.models import Membership, Role, User
    from shegong.regions.models import Region

    user, created = User.objects.get_or_create(username=DISTRICT_USER)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        user=user, role=Role.CENTER_WORKER, region=Region.objects.get(code=DISTRICT_CODE)
    )
    return user


def volumes() -> dict:
    from shegong.casework.models import Visit
    from shegong.devices.models import Alarm
    from shegong.elderly.models import ServiceOrder
    from shegong.people.models import Person
    from shegong.regions.models import Level, Region, under_prefix

    district = under_prefix("region_id", DISTRICT_CODE[:6])
    return {
        "people": Person.objects.count(),
        "people_in_district": Person.objects.filter(district).count(),
        "districts": Region.objects.filter(level=Level.DISTRICT).count(),
        "visits": Visit.objects.count(),
        "alarms": Alarm.objects.count(),
        "service_orders": ServiceOrder.objects.count(),
    }


def recorder(user):
    """A function that records one elderly visit in the district through the service, as a
    worker's phone does all day (the visit, and the file's next visit date moved): the next
    dashboard recounts the visit figures, the rest come from the cache."""
    from django.utils import timezone

    from shegong.casework.services import visit_record
    from shegong.elderly.models import ElderlyProfile
    from shegong.regions.models import under_prefix

    profile = (
        ElderlyProfile.objects.filter(under_prefix("person__region_id", DISTRICT_CODE[:6]))
        .select_related("person")
        .order_by("pk")
        .first()
    )

    def record() -> None:
        visit_record(
            by=user, person=profile.person, programme="elderly", mode="phone",
            visited_on=timezone.localdate(), observations="bench",
        )  # fmt: skip

    return record


def alarm_raiser():
    """A function that records one alarm of an old person of the district, raised, acknowledged
    and resolved (an SOS button pressed and dealt with): the next dashboard recounts the alarm
    figures, the rest come from the cache. Resolved, so that it never blocks the device's next
    alarm (one active alarm per device and kind)."""
    from django.utils import timezone

    from shegong.devices.models import Alarm
    from shegong.regions.models import under_prefix

    model = (
        Alarm.objects.filter(under_prefix("person__region_id", DISTRICT_CODE[:6]))
        .order_by("pk")
        .first()
    )

    def raise_alarm() -> None:
        now = timezone.now()
        Alarm.objects.create(
            person_id=model.person_id, device_id=model.device_id, kind=model.kind,
            severity=model.severity, status="resolved", raised_at=now, last_event_at=now,
            acknowledged_at=now + dt.timedelta(minutes=2),
            resolved_at=now + dt.timedelta(minutes=9), outcome="handled_on_site",
        )  # fmt: skip

    return raise_alarm


def timed(fn, requests: int, warmup: int, *, before=None) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(requests):
        if before:
            before()
        started = time.perf_counter()
        response = fn()
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}")
    return {
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
    }


def main() -> int:
    args = parse_args()
    where = configure(args)

    import django

    django.setup()

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from shegong.regions.models import Level, Region

    log(f"bench database: {where['database']}")
    found = volumes()
    if not found["people"]:
        raise SystemExit("empty database: seed it first (bench/README.md)")
    log(json.dumps(found))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = bench_user()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    client = Client()
    client.force_login(user)
    today = timezone.localdate()
    township = (
        Region.objects.filter(level=Level.TOWNSHIP, code__startswith=DISTRICT_CODE[:6])
        .order_by("code")
        .first()
    )
    year = f"from={today.replace(month=1, day=1).isoformat()}&to={today.isoformat()}"
    pages = {
        "dashboard_this_month": "/dashboard/",
        "dashboard_year": f"/dashboard/?{year}",
        "dashboard_township": f"/dashboard/?region={township.prefix}",
        "api_overview": f"/api/v1/stats/overview?region={DISTRICT_CODE[:6]}",
    }
    visit = recorder(user)
    alarm = alarm_raiser()
    load_before = round(os.getloadavg()[0], 2)
    results = {}
    for name, url in pages.items():
        log(f"{name}: {url}")
        cache.clear()
        queries = capture(partial(client.get, url))
        warm_queries = capture(partial(client.get, url))
        if args.explain:
            report_queries(name, queries)
        cold = timed(partial(client.get, url), args.cold_requests, 0, before=cache.clear)
        warm = timed(partial(client.get, url), args.requests, args.warmup)
        after_visit = timed(partial(client.get, url), args.requests, args.warmup, before=visit)
        after_alarm = timed(partial(client.get, url), args.requests, args.warmup, before=alarm)
        results[name] = {
            "cold": cold,
            "warm": warm,
            "after_a_visit": after_visit,
            "after_an_alarm": after_alarm,
            "queries_cold": len(queries),
            "queries_warm": len(warm_queries),
            "pass_target_cold_300k": cold["p95_ms"] <= TARGET_P95_MS,
            "pass_target_warm_300k": warm["p95_ms"] <= TARGET_P95_MS,
            "pass_target_after_a_visit_300k": after_visit["p95_ms"] <= TARGET_P95_MS,
            "pass_target_after_an_alarm_300k": after_alarm["p95_ms"] <= TARGET_P95_MS,
        }
        log(
            f"  cold {cold}  warm {warm}  after a visit {after_visit}  "
            f"after an alarm {after_alarm}  queries {len(queries)}/{len(warm_queries)}"
        )
    print(
        json.dumps(
            {
                "benchmark": "dashboard",
                **where,
                "volumes": found,
                "user": f"{DISTRICT_USER} (centre worker, {DISTRICT_CODE})",
                "figures_cache": redact(args.redis_url) if args.redis_url else "files",
                "requests": args.requests,
                "target_p95_ms": TARGET_P95_MS,
                "scale_ratio_allowed": SCALE_RATIO,
                "results": results,
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average_before_after": [load_before, round(os.getloadavg()[0], 2)],
                },
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
