"""Who hears about an alarm at each tier, and telling them: in the app, by SMS (the logging
gateway) and through a WeCom group robot — a real local HTTP server standing in for WeCom."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation
from django.utils.translation import gettext

from shegong.accounts.models import Role
from shegong.devices import notify
from shegong.devices.models import Channel, Delivery, DeliveryStatus, Tier
from shegong.factories import StationFactory

from .conftest import raise_alarm

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
RATE_LIMITED = {"errcode": 45009, "errmsg": "api freq out of limit"}
OK = {"errcode": 0, "errmsg": "ok"}


# ---- recipients -----------------------------------------------------------------------------


@pytest.fixture
def sos(vendor, device):
    return raise_alarm(vendor, "sos", now=NOW)


def usernames(alarm, tier) -> set[str]:
    return {user.username for user in notify.recipients(alarm, tier)}


def test_the_village_tier_is_the_own_villages_workers_only(sos, make_user, regions):
    make_user(Role.VILLAGE_ASSISTANT, username="assistant")
    make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village, username="neighbour")
    make_user(Role.TOWNSHIP_WORKER, username="township")
    make_user(Role.VOLUNTEER, region=regions.village, username="volunteer")

    assert usernames(sos, Tier.VILLAGE) == {"director", "assistant"}


def test_the_township_tier_is_the_persons_township(sos, make_user, regions):
    make_user(Role.TOWNSHIP_SUPERVISOR, username="supervisor")
    make_user(Role.TOWNSHIP_WORKER, username="worker")
    make_user(Role.TOWNSHIP_WORKER, region=regions.other_township, username="elsewhere")

    assert usernames(sos, Tier.TOWNSHIP) == {"supervisor", "worker"}


def test_the_district_tier_is_the_admins_and_the_elderly_care_centre_workers(sos, make_user):
    make_user(Role.DISTRICT_ADMIN, username="admin")
    make_user(Role.CENTER_WORKER, username="all_programmes")
    minors = make_user(Role.CENTER_WORKER, username="minors_only")
    minors.memberships.update(programmes=["minors"])
    both = make_user(Role.CENTER_WORKER, username="elderly_and_minors")
    both.memberships.update(programmes=["minors", "elderly"])
    make_user(Role.VIEWER, username="viewer")
    make_user(Role.TOWNSHIP_SUPERVISOR, username="supervisor")

    assert usernames(sos, Tier.DISTRICT) == {"admin", "all_programmes", "elderly_and_minors"}


def test_inactive_users_and_memberships_hear_nothing(sos, make_user):
    make_user(Role.VILLAGE_ASSISTANT, username="left", is_active=False)
    former = make_user(Role.VILLAGE_ASSISTANT, username="former")
    former.memberships.update(is_active=False)

    assert usernames(sos, Tier.VILLAGE) == {"director"}


# ---- planning -------------------------------------------------------------------------------


def deliveries(alarm) -> list[tuple]:
    return sorted(
        (d.tier, d.channel, d.user.username if d.user else d.target)
        for d in Delivery.objects.filter(alarm=alarm).select_related("user")
    )


def with_phone(user, phone="13812345678"):
    user.phone = phone
    user.save(update_fields=["phone"])
    return user


def test_a_worker_with_a_phone_gets_an_sms_and_one_without_only_the_app(
    sos, make_user, village_director
):
    with_phone(village_director)
    make_user(Role.VILLAGE_ASSISTANT, username="assistant", phone="")

    notify.plan(sos.pk, Tier.VILLAGE)

    assert deliveries(sos) == [
        ("village", "in_app", "assistant"),
        ("village", "in_app", "director"),
        ("village", "sms", "director"),
    ]


def test_planning_twice_adds_nothing(sos, village_director, regions, wecom):
    with_phone(village_director)
    StationFactory(region=regions.village, wecom_webhook=wecom.url)

    first = notify.plan(sos.pk, Tier.VILLAGE)
    second = notify.plan(sos.pk, Tier.VILLAGE)

    assert first == second
    assert len(deliveries(sos)) == 3


def test_each_tier_is_planned_on_its_own(sos, make_user):
    make_user(Role.TOWNSHIP_WORKER, username="worker")

    notify.plan(sos.pk, Tier.VILLAGE)
    notify.plan(sos.pk, Tier.TOWNSHIP)

    assert deliveries(sos) == [("township", "in_app", "worker"), ("village", "in_app", "director")]


def test_a_sent_delivery_is_not_planned_again(sos, village_director):
    (delivery_id,) = notify.plan(sos.pk, Tier.VILLAGE)
    notify.attempt(delivery_id, now=NOW)

    assert notify.plan(sos.pk, Tier.VILLAGE) == []
    assert notify.attempt(delivery_id, now=NOW) is None


# ---- SMS ------------------------------------------------------------------------------------


def test_the_logging_sms_gateway_logs_a_masked_phone(sos, village_director, caplog):
    with_phone(village_director)
    notify.plan(sos.pk, Tier.VILLAGE)
    sms = Delivery.objects.get(alarm=sos, channel=Channel.SMS)

    with caplog.at_level(logging.INFO, logger="shegong.alarms"):
        notify.attempt(sms.pk, now=NOW)

    assert Delivery.objects.get(pk=sms.pk).status == DeliveryStatus.SENT
    (line,) = [r.getMessage() for r in caplog.records if r.name == "shegong.alarms"]
    assert "138****5678" in line
    assert "13812345678" not in line
    assert sos.get_absolute_url() in line


# ---- WeCom ----------------------------------------------------------------------------------


class FakeWeCom:
    """A WeCom group robot on 127.0.0.1: answers each POST with the next planned answer (the
    last one again when they run out) and keeps what it was sent."""

    def __init__(self) -> None:
        self.answers: list[dict] = [OK]
        self.received: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fake.received.append(json.loads(self.rfile.read(length)))
                answer = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def texts(self) -> list[str]:
        return [message["text"]["content"] for message in self.received]


@pytest.fixture
def wecom():
    fake = FakeWeCom()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    fake.thread.join()


@pytest.fixture
def group_delivery(sos, regions, wecom) -> Delivery:
    """The village station's WeCom delivery for the SOS alarm."""
    StationFactory(region=regions.village, wecom_webhook=wecom.url)
    notify.plan(sos.pk, Tier.VILLAGE)
    return Delivery.objects.get(alarm=sos, channel=Channel.WECOM)


def attempt(delivery, now) -> Delivery:
    notify.attempt(delivery.pk, now=now)
    return Delivery.objects.get(pk=delivery.pk)


def test_the_station_group_hears_of_the_alarm_with_the_surname_only(group_delivery, wecom, sos):
    delivery = attempt(group_delivery, NOW)

    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 1, NOW)
    assert wecom.received[0]["msgtype"] == "text"
    (text,) = wecom.texts
    assert "王**" in text
    assert "王秀英" not in text
    assert text.endswith("http://127.0.0.1:8000" + sos.get_absolute_url())


def test_a_rate_limited_message_is_tried_again_after_the_back_off(group_delivery, wecom, settings):
    wecom.answers = [RATE_LIMITED, OK]

    delivery = attempt(group_delivery, NOW)

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=settings.SHEGONG_NOTIFY_BACKOFF)
    (failed,) = delivery.tries.all()
    assert not failed.ok
    assert "45009" in failed.error
    assert notify.due_retries(now=delivery.next_attempt_at - dt.timedelta(seconds=1)) == []
    assert notify.due_retries(now=delivery.next_attempt_at) == [delivery.pk]

    delivery = attempt(delivery, delivery.next_attempt_at)

    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("sent", 2, None)
    assert [t.ok for t in delivery.tries.all()] == [False, True]
    assert len(wecom.received) == 2


def test_after_the_last_failed_attempt_the_delivery_fails(group_delivery, wecom, settings):
    wecom.answers = [RATE_LIMITED]
    now = NOW
    waits = []

    delivery = group_delivery
    for _ in range(settings.SHEGONG_NOTIFY_ATTEMPTS):
        delivery = attempt(delivery, now)
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - now).total_seconds())
            now = delivery.next_attempt_at

    backoff = settings.SHEGONG_NOTIFY_BACKOFF
    assert waits == [backoff * 2**n for n in range(settings.SHEGONG_NOTIFY_ATTEMPTS - 1)]
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert delivery.attempts == settings.SHEGONG_NOTIFY_ATTEMPTS
    assert notify.due_retries(now=now + dt.timedelta(days=1)) == []
    assert attempt(delivery, now).attempts == settings.SHEGONG_NOTIFY_ATTEMPTS


def test_an_unreachable_robot_is_a_failed_attempt(sos, regions, wecom):
    StationFactory(region=regions.village, wecom_webhook=wecom.url)
    notify.plan(sos.pk, Tier.VILLAGE)
    delivery = Delivery.objects.get(alarm=sos, channel=Channel.WECOM)
    wecom.server.server_close()  # nobody listens on the port any more

    delivery = attempt(delivery, NOW)

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.tries.get().error.startswith("WeCom")


def test_an_escalated_message_says_so(sos, regions, wecom, settings):
    sos.tier = Tier.TOWNSHIP
    sos.save(update_fields=["tier"])
    StationFactory(region=regions.township, wecom_webhook=wecom.url)
    notify.plan(sos.pk, Tier.TOWNSHIP)

    attempt(Delivery.objects.get(alarm=sos, channel=Channel.WECOM), NOW)

    with translation.override(settings.LANGUAGE_CODE):
        escalated = gettext("(escalated: not acknowledged in time)")
    (text,) = wecom.texts
    assert escalated in text
    assert "王**" in text
