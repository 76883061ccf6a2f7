"""Post signed device events to a running server, as a vendor platform would (demos, load).

    manage.py simulate_devices --rate 20 --seconds 60
    manage.py simulate_devices --url http://127.0.0.1:8000 --vendor "演示厂商" --alarm-share 0.02

Uses the devices bound for the vendor in this database (it reads the vendor's secret from it,
so run it where the server's database is). Mostly heartbeats, with a share of alarm events.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shegong.devices import signing
from shegong.devices.models import Device, DeviceKind, EventType, Vendor
from shegong.people import crypto

# What each kind of device reports when something happens.
ALARM_TYPES = {
    DeviceKind.SOS_BUTTON: [EventType.SOS],
    DeviceKind.FALL_DETECTOR: [EventType.FALL],
    DeviceKind.SMOKE_DETECTOR: [EventType.SMOKE],
    DeviceKind.GAS_DETECTOR: [EventType.GAS],
    DeviceKind.SMART_MATTRESS: [EventType.INACTIVITY],
    DeviceKind.DOOR_SENSOR: [EventType.INACTIVITY],
    DeviceKind.SMART_WATCH: [EventType.GEOFENCE_EXIT, EventType.SOS, EventType.FALL],
}


def event_for(serial: str, kind: str, rng: random.Random, alarm_share: float) -> dict:
    roll = rng.random()
    if roll < alarm_share:
        event_type = rng.choice(ALARM_TYPES.get(kind, [EventType.SOS]))
        data = {"hours": 14} if event_type == EventType.INACTIVITY else {}
    elif roll < alarm_share * 2:
        event_type, data = EventType.LOW_BATTERY, {"battery": rng.randint(3, 15)}
    else:
        event_type, data = EventType.HEARTBEAT, {"battery": rng.randint(20, 100)}
    if kind == DeviceKind.SMART_WATCH and event_type == EventType.HEARTBEAT:
        data["heart_rate"] = rng.randint(58, 96)
    return {
        "event_id": uuid.uuid4().hex,
        "serial": serial,
        "type": event_type,
        "occurred_at": timezone.now().isoformat(),
        "data": data,
    }


class Command(BaseCommand):
    help = "Post signed device events to a running shegong server at a steady rate."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--rate", type=float, default=10.0, help="events per second")
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--vendor", default="", help="vendor name (default: the first one)")
        parser.add_argument(
            "--alarm-share", type=float, default=0.01, help="share of events that are alarms"
        )
        parser.add_argument("--threads", type=int, default=0, help="default: rate / 50, 1–32")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        vendors = Vendor.objects.filter(is_active=True)
        if options["vendor"]:
            vendors = vendors.filter(name=options["vendor"])
        vendor = vendors.order_by("id").first()
        if vendor is None:
            raise CommandError(
                "No vendor: run `manage.py create_device_vendor NAME` and bind devices first."
            )
        devices = list(
            Device.objects.filter(vendor=vendor, is_active=True).values_list("serial", "kind")
        )
        if not devices:
            raise CommandError(f"Vendor {vendor.name} has no bound devices.")
        secret = crypto.decrypt(vendor.secret_encrypted)
        rate, seconds = options["rate"], options["seconds"]
        threads = options["threads"] or max(1, min(32, int(rate // 50) + 1))
        target = urlsplit(options["url"])
        counts: Counter[str] = Counter()
        latencies: list[float] = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def run(index: int) -> None:
            rng = random.Random(None if options["seed"] is None else options["seed"] + index)
            connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
            interval = threads / rate
            next_at = time.monotonic() + index * interval / threads
            while next_at < deadline:
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                serial, kind = rng.choice(devices)
                body = json.dumps(event_for(serial, kind, rng, options["alarm_share"])).encode()
                headers = signing.signed_headers(vendor.key, secret, body, int(time.time()))
                headers["Content-Type"] = "application/json"
                started = time.perf_counter()
                try:
                    connection.request("POST", "/api/v1/devices/events", body, headers)
                    response = connection.getresponse()
                    answer = json.loads(response.read() or b"{}")
                    key = str(response.status)
                    if response.status == 202 and answer.get("alarm_id"):
                        key = "202 alarm"
                except (OSError, http.client.HTTPException, ValueError):
                    connection.close()
                    connection = http.client.HTTPConnection(
                        target.hostname, target.port or 80, timeout=10
                    )
                    key = "error"
                elapsed = time.perf_counter() - started
                with lock:
                    counts[key] += 1
                    latencies.append(elapsed)
                next_at += interval

        started = time.monotonic()
        workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        took = time.monotonic() - started
        latencies.sort()
        sent = len(latencies)

        def pct(p: float) -> float:
            return latencies[min(sent - 1, int(p * sent))] * 1000 if sent else 0.0

        summary = {
            "vendor": vendor.name,
            "devices": len(devices),
            "sent": sent,
            "seconds": round(took, 2),
            "rate": round(sent / took, 1) if took else 0.0,
            "answers": dict(counts),
            "p50_ms": round(pct(0.50), 2),
            "p99_ms": round(pct(0.99), 2),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
