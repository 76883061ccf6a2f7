#!/usr/bin/env python
"""Device-event ingestion benchmark: sustained signed events through gunicorn, against a bare
Django JSON endpoint in the same run, and how late escalations fire under that load.

Seeds its own database (never the developer's) with people and bound devices, starts gunicorn
(and the Huey consumer on Redis) with the project, and drives both endpoints with wrk replaying
pre-signed events, each once. Prints one JSON document on stdout; progress goes to stderr.
A benchmark, not a test: it never gates CI. Needs wrk (`apt-get install wrk`) and Redis.

    .venv/bin/python bench/devices.py --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench
    .venv/bin/python bench/devices.py --seconds 20 --connections 16
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from people import ensure_postgres_database, log, redact  # noqa: E402

VENDOR = "bench-vendor"
# The targets.
TARGET_RATE = 1500.0
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.5
TARGET_ESCALATION_LAG_S = 5.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL named *bench*")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=3_000)
    parser.add_argument("--seconds", type=int, default=30, help="per measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--alarm-share", type=float, default=0.005)
    parser.add_argument(
        "--ack-seconds",
        type=int,
        default=10,
        help="acknowledgement window of critical alarms in this run (5 min in production)",
    )
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--seed", type=int, default=11)
    return parser.parse_args()


def configure(args: argparse.Namespace) -> dict:
    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DEBUG"] = "1"  # development keys; bench_settings switches DEBUG off
    os.environ["SHEGONG_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["SHEGONG_ALARM_ACK_CRITICAL"] = str(args.ack_seconds)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(BENCH), str(ROOT)])
    if args.database_url:
        url = args.database_url
        if "bench" not in url.rsplit("/", 1)[-1]:
            raise SystemExit("refusing a database whose name does not contain 'bench'")
        ensure_postgres_database(url)
        os.environ["DATABASE_URL"] = url
        return {"backend": "postgresql", "database": redact(url)}
    path = var_dir / "devices.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return {"backend": "sqlite", "database": str(path)}


def seed(args: argparse.Namespace) -> tuple[str, str, list[str]]:
    """People, a vendor and bound devices; returns (vendor key, secret, serials)."""
    from django.core.management import call_command
    from django.utils import timezone

    from shegong.accounts.models import User
    from shegong.demo import generate
    from shegong.devices import services
    from shegong.devices.models import ALARM_ACTIVE, Alarm, Device, DeviceKind, Vendor
    from shegong.people import crypto
    from shegong.people.models import Person
    from shegong.regions.models import Region

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        generate.seed_regions_and_staff(args.seed)
    have = Person.objects.count()
    if have < args.people:
        log(f"seeding {args.people - have:,} people")
        generate.generate_people(args.people - have, seed=args.seed)
    vendor = Vendor.objects.filter(name=VENDOR).first()
    if vendor is None:
        vendor, _ = services.vendor_create(name=VENDOR)
    secret = crypto.decrypt(vendor.secret_encrypted)
    have = Device.objects.filter(vendor=vendor).count()
    if have < args.devices:
        log(f"binding {args.devices - have:,} devices")
        binder = User.objects.order_by("id").first()
        cutoff = timezone.localdate().replace(year=timezone.localdate().year - 60)
        taken = set(Device.objects.values_list("person_id", flat=True))
        old = [
            pk
            for pk in Person.objects.filter(birth_date__lte=cutoff)
            .order_by("id")
            .values_list("id", flat=True)
            if pk not in taken
        ][: args.devices - have]
        Device.objects.bulk_create(
            Device(
                vendor=vendor,
                serial=f"BENCH-{pk:08d}",
                kind=DeviceKind.SOS_BUTTON,
                person_id=pk,
                bound_by=binder,
            )
            for pk in old
        )
    # Earlier runs' alarms would swallow this run's events as repeats: close them.
    Alarm.objects.filter(device__vendor=vendor, status__in=ALARM_ACTIVE).update(
        status="resolved", outcome="other", resolved_at=timezone.now()
    )
    serials = list(Device.objects.filter(vendor=vendor).values_list("serial", flat=True))
    return vendor.key, secret, serials


def write_events(path: Path, secret: str, serials: list[str], count: int, args) -> None:
    """``count`` signed events, each line once: ts, signature, body."""
    from shegong.devices.signing import signature

    rng = random.Random(args.seed + count)
    now = time.time()
    ts = str(int(now))
    occurred = dt.datetime.fromtimestamp(now, dt.UTC).isoformat()
    with path.open("w") as out:
        for _ in range(count):
            roll = rng.random()
            kind = "sos" if roll < args.alarm_share else "heartbeat"
            body = json.dumps(
                {
                    "event_id": uuid.uuid4().hex,
                    "serial": rng.choice(serials),
                    "type": kind,
                    "occurred_at": occurred,
                    "data": {"battery": rng.randint(20, 100)},
                },
                separators=(",", ":"),
            )
            out.write(f"{ts}\t{signature(secret, ts, body.encode())}\t{body}\n")


def start(cmd: list[str], name: str, var_dir: Path) -> subprocess.Popen:
    logfile = (var_dir / f"{name}.log").open("w")
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def wait_ready(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not come up: {url}")


def run_wrk(args, base: str, target: str, events: Path, vendor_key: str) -> dict:
    env = {
        **os.environ,
        "BENCH_VENDOR_KEY": vendor_key,
        "BENCH_EVENTS_FILE": str(events),
        "BENCH_TARGET": target,
        "BENCH_THREADS": str(args.wrk_threads),
    }
    cmd = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(BENCH / "wrk_events.lua"),
        base + target,
    ]
    output = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("JSON"))
    raw = json.loads(line[4:])
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rate_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["errors"],
    }


def escalation_lags(since: dt.datetime, until: dt.datetime, ack_seconds: int) -> dict:
    """For alarms whose village deadline fell inside the load: how late the escalation fired."""
    from django.db import connection

    from shegong.devices.models import ActionKind, Alarm, AlarmAction

    connection.close()  # a fresh connection: the server wrote these rows
    window = dt.timedelta(seconds=ack_seconds)
    alarms = list(
        Alarm.objects.filter(raised_at__gte=since, raised_at__lte=until - window).values_list(
            "id", "raised_at"
        )
    )
    fired = dict(
        AlarmAction.objects.filter(
            alarm_id__in=[pk for pk, _ in alarms], kind=ActionKind.ESCALATED, tier="township"
        ).values_list("alarm_id", "at")
    )
    lags = sorted(
        (fired[pk] - (raised + window)).total_seconds() for pk, raised in alarms if pk in fired
    )
    missing = sum(1 for pk, _ in alarms if pk not in fired)
    if not lags:
        return {"alarms": len(alarms), "escalated": 0, "missing": missing}
    return {
        "alarms": len(alarms),
        "escalated": len(lags),
        "missing": missing,
        "lag_p50_s": round(lags[len(lags) // 2], 3),
        "lag_p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3),
        "lag_max_s": round(lags[-1], 3),
        "pass": missing == 0 and lags[-1] <= TARGET_ESCALATION_LAG_S,
    }


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    database = configure(args)
    import django

    django.setup()
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    vendor_key, secret, serials = seed(args)
    var_dir = Path(args.var_dir).resolve()
    base = f"http://127.0.0.1:{args.port}"
    python = sys.executable
    server = start(
        [
            python,
            "-m",
            "gunicorn",
            "shegong.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        "gunicorn",
        var_dir,
    )
    worker = start([python, "manage.py", "run_huey", "--quiet"], "huey", var_dir)
    from django.db import connection

    from shegong.devices.models import DeviceEvent

    try:
        wait_ready(base + "/healthz")
        count = int(args.seconds * 4000)
        events = var_dir / "events.tsv"
        log(f"warming up; {len(serials):,} devices, {count:,} signed events per run")
        write_events(events, secret, serials, 2000, args)
        run_wrk(
            argparse.Namespace(**{**vars(args), "seconds": 3}),
            base,
            "/bench/bare",
            events,
            vendor_key,
        )
        log("bare Django JSON endpoint")
        write_events(events, secret, serials, count, args)
        bare = run_wrk(args, base, "/bench/bare", events, vendor_key)
        log(f"  {bare['rate_per_s']}/s p99 {bare['p99_ms']} ms")
        log("bare Django JSON endpoint through the lean handler")
        bare_lean = run_wrk(args, base, "/bench/bare-lean", events, vendor_key)
        log(f"  {bare_lean['rate_per_s']}/s p99 {bare_lean['p99_ms']} ms")
        write_events(events, secret, serials, count, args)
        connection.close()
        before = DeviceEvent.objects.count()
        from django.utils import timezone

        since = timezone.now()
        log("signed event ingestion")
        ingest = run_wrk(args, base, "/api/v1/devices/events", events, vendor_key)
        until = timezone.now()
        log(f"  {ingest['rate_per_s']}/s p99 {ingest['p99_ms']} ms")
        connection.close()
        stored = DeviceEvent.objects.count() - before
        log(f"waiting {args.ack_seconds + 5} s for the last escalations")
        time.sleep(args.ack_seconds + 5)
        lags = escalation_lags(since, until, args.ack_seconds)
    finally:
        stop(server)
        stop(worker)
    ratio = ingest["rate_per_s"] / bare["rate_per_s"] if bare["rate_per_s"] else 0.0
    report = {
        "benchmark": "device event ingestion",
        "database": database,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "setup": {
            "devices": len(serials),
            "gunicorn": f"gthread {args.workers}×{args.threads}",
            "wrk": f"{args.wrk_threads} threads, {args.connections} connections, {args.seconds} s",
            "alarm_share": args.alarm_share,
            "ack_seconds_critical": args.ack_seconds,
            "group_commit": os.environ.get("SHEGONG_EVENT_GROUP_COMMIT", "default"),
        },
        "bare_django_json": bare,
        "bare_django_json_lean_handler": bare_lean,
        "ingestion": {
            **ingest,
            "events_stored": stored,
            "pass_rate": ingest["rate_per_s"] >= TARGET_RATE,
            "pass_p99": ingest["p99_ms"] <= TARGET_P99_MS,
            "ratio_to_bare": round(ratio, 3),
            "pass_ratio": ratio >= TARGET_RATIO,
            "ratio_to_bare_lean_handler": round(
                ingest["rate_per_s"] / bare_lean["rate_per_s"] if bare_lean["rate_per_s"] else 0.0,
                3,
            ),
        },
        "escalation_under_load": lags,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
