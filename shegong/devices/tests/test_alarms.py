"""Alarms after they are raised: escalation on a controlled clock, the escalation tasks,
acknowledging, notes, resolving, and the scope of the alarm API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from shegong.accounts.models import Role
from shegong.casework.models import Notification
from shegong.devices import services, tasks
from shegong.devices.models import (
    ActionKind,
    Alarm,
    AlarmAction,
    AlarmStatus,
    Delivery,
    Device,
    Outcome,
    Tier,
)
from shegong.factories import PersonFactory, born_years_ago

from .conftest import bind, event_body, raise_alarm

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
WINDOW = dt.timedelta(minutes=5)  # critical


@pytest.fixture
def sos(vendor, device) -> Alarm:
    """A critical alarm raised at NOW, due at the village by NOW + 5 min."""
    return raise_alarm(vendor, "sos", now=NOW)


def escalate(alarm: Alarm, tier: str, now: dt.datetime) -> Alarm | None:
    return services.escalate(alarm_id=alarm.pk, tier=tier, now=now)


def reload(alarm: Alarm) -> Alarm:
    alarm.refresh_from_db()
    return alarm


def make_overdue(alarm: Alarm) -> None:
    """The alarm's deadline has passed on the real clock (the tasks read the real clock)."""
    Alarm.objects.filter(pk=alarm.pk).update(ack_deadline=timezone.now() - SECOND)


# ---- escalation -----------------------------------------------------------------------------


def test_before_the_deadline_nothing_moves(sos):
    assert escalate(sos, Tier.VILLAGE, sos.ack_deadline - SECOND) is None

    assert reload(sos).tier == Tier.VILLAGE
    assert not sos.actions.filter(kind=ActionKind.ESCALATED).exists()


def test_after_the_deadline_it_moves_to_the_township_with_a_new_deadline(sos):
    later = sos.ack_deadline + SECOND

    moved = escalate(sos, Tier.VILLAGE, later)

    assert moved is not None
    sos = reload(sos)
    assert (sos.tier, sos.status) == (Tier.TOWNSHIP, AlarmStatus.OPEN)
    assert sos.escalated_at == later
    assert sos.ack_deadline == later + WINDOW
    action = sos.actions.get(kind=ActionKind.ESCALATED)
    assert (action.tier, action.at, action.by) == (Tier.TOWNSHIP, later, None)


def test_it_goes_on_to_the_district_and_no_further(sos):
    at_township = sos.ack_deadline + SECOND
    escalate(sos, Tier.VILLAGE, at_township)
    at_district = at_township + WINDOW + SECOND

    assert escalate(sos, Tier.TOWNSHIP, at_district) is not None
    assert reload(sos).tier == Tier.DISTRICT
    assert escalate(sos, Tier.DISTRICT, at_district + dt.timedelta(hours=1)) is None
    assert reload(sos).tier == Tier.DISTRICT
    assert sos.actions.filter(kind=ActionKind.ESCALATED).count() == 2


def test_escalating_the_same_tier_twice_moves_it_once(sos):
    later = sos.ack_deadline + SECOND

    assert escalate(sos, Tier.VILLAGE, later) is not None
    assert escalate(sos, Tier.VILLAGE, later) is None
    assert reload(sos).tier == Tier.TOWNSHIP
    assert sos.actions.filter(kind=ActionKind.ESCALATED).count() == 1


def acknowledge(alarm, by, now=NOW):
    services.alarm_acknowledge(by=by, alarm_id=alarm.pk, now=now)


def resolve(alarm, by, now=NOW):
    services.alarm_resolve(by=by, alarm_id=alarm.pk, outcome=Outcome.HANDLED_ON_SITE, now=now)


@pytest.mark.parametrize("handle", [acknowledge, resolve])
def test_an_acknowledged_or_resolved_alarm_does_not_escalate(sos, village_director, handle):
    handle(sos, village_director)

    assert escalate(sos, Tier.VILLAGE, sos.ack_deadline + dt.timedelta(hours=1)) is None
    assert reload(sos).tier == Tier.VILLAGE


def test_a_low_alarm_never_escalates(vendor, device):
    low = raise_alarm(vendor, "low_battery", now=NOW)

    assert escalate(low, Tier.VILLAGE, NOW + dt.timedelta(days=7)) is None


def test_the_overdue_list_holds_only_open_alarms_past_their_deadline_below_the_district(
    vendor, old_person, village_director
):
    def alarm_on(serial, event_type="sos", **data):
        bind(vendor, old_person, serial, by=village_director)
        return raise_alarm(vendor, event_type, serial=serial, now=NOW, **data)

    overdue = alarm_on("A")
    not_yet = alarm_on("B", "inactivity", hours=20)  # medium: 2 hours
    acknowledged = alarm_on("C")
    acknowledge(acknowledged, village_director)
    at_district = alarm_on("D")
    Alarm.objects.filter(pk=at_district.pk).update(tier=Tier.DISTRICT)
    alarm_on("E", "low_battery")  # no deadline
    later = NOW + WINDOW

    assert services.overdue_alarm_ids(now=later) == [(overdue.pk, Tier.VILLAGE)]
    assert not_yet.pk not in dict(services.overdue_alarm_ids(now=later))
    assert not_yet.pk in dict(services.overdue_alarm_ids(now=NOW + dt.timedelta(hours=2)))


# ---- the escalation tasks -------------------------------------------------------------------


@pytest.fixture
def township_workers(make_user, regions):
    return [
        make_user(Role.TOWNSHIP_SUPERVISOR, full_name="赵督导"),
        make_user(Role.TOWNSHIP_WORKER, full_name="钱社工"),
    ]


@pytest.fixture
def live_alarm(vendor, device) -> Alarm:
    """An alarm raised on the real clock (the tasks read it)."""
    return raise_alarm(vendor, "sos")


def assert_told_township(alarm: Alarm, workers) -> None:
    alarm = reload(alarm)
    assert alarm.tier == Tier.TOWNSHIP
    deliveries = Delivery.objects.filter(alarm=alarm, channel="in_app")
    assert {(d.tier, d.user_id) for d in deliveries} == {
        (Tier.TOWNSHIP, worker.pk) for worker in workers
    }
    for worker in workers:
        notification = Notification.objects.get(user=worker)
        assert notification.url == alarm.get_absolute_url()


def scheduled_escalations() -> list[tuple]:
    return [
        (task.args, task.eta)
        for task in HUEY.scheduled()
        if isinstance(task, tasks.alarm_escalate.task_class)
    ]


def huey_eta(moment: dt.datetime) -> dt.datetime:
    """Huey (utc=True) keeps an eta as a naive UTC datetime."""
    return timezone.make_naive(moment, dt.UTC)


def test_the_escalation_task_tells_the_township_workers(live_alarm, township_workers):
    make_overdue(live_alarm)

    assert tasks.escalate_now(live_alarm.pk, Tier.VILLAGE) is True

    assert_told_township(live_alarm, township_workers)
    live_alarm = reload(live_alarm)
    assert scheduled_escalations() == [
        ((live_alarm.pk, Tier.TOWNSHIP), huey_eta(live_alarm.ack_deadline))
    ]


def test_a_late_escalation_task_for_an_old_tier_does_nothing(live_alarm, township_workers):
    make_overdue(live_alarm)
    tasks.escalate_now(live_alarm.pk, Tier.VILLAGE)

    assert tasks.escalate_now(live_alarm.pk, Tier.VILLAGE) is False
    assert Delivery.objects.filter(alarm=live_alarm).count() == len(township_workers)


def test_the_sweep_escalates_an_alarm_whose_task_was_lost(live_alarm, township_workers):
    make_overdue(live_alarm)

    assert tasks.sweep.call_local() == 1

    assert_told_township(live_alarm, township_workers)
    assert tasks.sweep.call_local() == 0


def test_raising_an_alarm_tells_the_village_and_schedules_its_escalation(
    post_event, device, village_director, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(event_body(type="sos"))

    alarm = Alarm.objects.get(pk=response.json()["alarm_id"])
    assert scheduled_escalations() == [((alarm.pk, Tier.VILLAGE), huey_eta(alarm.ack_deadline))]
    delivery = Delivery.objects.get(alarm=alarm)
    assert (delivery.tier, delivery.user, delivery.status) == ("village", village_director, "sent")
    assert Notification.objects.get(user=village_director).key == f"alarm:{alarm.pk}:village"


def test_a_repeat_tells_nobody_again(post_event, device, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(event_body(type="sos"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_event(event_body(type="sos"))

    assert callbacks == []
    assert len(scheduled_escalations()) == 1


# ---- acknowledging, notes, resolving --------------------------------------------------------


def api(client, headers, alarm, action, **body):
    return client.post(
        f"/api/v1/alarms/{alarm.pk}/{action}", body, content_type="application/json", **headers
    )


@pytest.fixture
def director_api(bearer, village_director):
    return {"headers": bearer(village_director)}


@pytest.fixture
def assistant(make_user):
    return make_user(Role.VILLAGE_ASSISTANT, full_name="孙助理")


def test_the_village_director_acknowledges_and_the_escalation_stops(
    client, director_api, sos, village_director
):
    response = api(client, director_api, sos, "acknowledge", note="我马上去")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == AlarmStatus.ACKNOWLEDGED
    assert response.json()["acknowledged_by"] == village_director.display_name
    sos = reload(sos)
    assert sos.acknowledged_by == village_director
    action = sos.actions.get(kind=ActionKind.ACKNOWLEDGED)
    assert (action.by, action.text) == (village_director, "我马上去")
    assert escalate(sos, Tier.VILLAGE, sos.ack_deadline + dt.timedelta(hours=1)) is None


def test_acknowledging_needs_no_body(client, director_api, sos):
    url = f"/api/v1/alarms/{sos.pk}/acknowledge"

    response = client.post(url, "", content_type="application/json", **director_api)

    assert response.status_code == 200, response.content
    assert reload(sos).status == AlarmStatus.ACKNOWLEDGED


def test_the_second_to_acknowledge_is_told_who_was_first(
    client, bearer, director_api, sos, village_director, assistant
):
    api(client, director_api, sos, "acknowledge")

    response = api(client, {"headers": bearer(assistant)}, sos, "acknowledge")

    assert response.status_code == 409
    assert village_director.display_name in response.json()["detail"]
    assert response.json()["alarm"]["id"] == sos.pk
    assert response.json()["alarm"]["status"] == AlarmStatus.ACKNOWLEDGED
    assert reload(sos).acknowledged_by == village_director


def test_acknowledging_a_resolved_alarm_is_a_conflict(client, director_api, sos, assistant):
    resolve(sos, assistant)

    response = api(client, director_api, sos, "acknowledge")

    assert response.status_code == 409
    assert response.json()["alarm"]["status"] == AlarmStatus.RESOLVED


def test_resolving_an_open_alarm_acknowledges_it_too(client, director_api, sos, village_director):
    response = api(client, director_api, sos, "resolve", outcome="sent_to_hospital")

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "sent_to_hospital"
    sos = reload(sos)
    assert sos.status == AlarmStatus.RESOLVED
    assert sos.acknowledged_by == sos.resolved_by == village_director
    assert sos.acknowledged_at == sos.resolved_at is not None


def test_resolving_keeps_the_first_acknowledgement(sos, village_director, assistant):
    acknowledge(sos, village_director, NOW)
    resolve(sos, assistant, NOW + dt.timedelta(minutes=20))

    sos = reload(sos)
    assert (sos.acknowledged_by, sos.acknowledged_at) == (village_director, NOW)
    assert (sos.resolved_by, sos.resolved_at) == (assistant, NOW + dt.timedelta(minutes=20))
    kinds = list(sos.actions.values_list("kind", flat=True))
    assert kinds == [ActionKind.RAISED, ActionKind.ACKNOWLEDGED, ActionKind.RESOLVED]


@pytest.mark.parametrize("outcome", ["", "fixed_itself"])
def test_resolving_needs_a_valid_outcome(client, director_api, sos, outcome):
    response = api(client, director_api, sos, "resolve", outcome=outcome)

    assert response.status_code == 422
    assert any("outcome" in error["loc"] for error in response.json()["detail"])
    assert reload(sos).status == AlarmStatus.OPEN


def test_the_resolve_service_names_the_outcome(sos, village_director):
    with pytest.raises(ValidationError) as error:
        services.alarm_resolve(by=village_director, alarm_id=sos.pk, outcome="", now=NOW)

    assert set(error.value.message_dict) == {"outcome"}


def test_the_outcome_other_needs_a_note(client, director_api, sos):
    response = api(client, director_api, sos, "resolve", outcome="other", note="  ")

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "note"]]
    assert reload(sos).status == AlarmStatus.OPEN

    response = api(client, director_api, sos, "resolve", outcome="other", note="邻居帮忙扶起")
    assert response.status_code == 200
    assert sos.actions.get(kind=ActionKind.RESOLVED).text == "邻居帮忙扶起"


def test_resolving_twice_is_a_conflict(client, director_api, sos):
    assert api(client, director_api, sos, "resolve", outcome="false_alarm").status_code == 200

    response = api(client, director_api, sos, "resolve", outcome="device_fault")

    assert response.status_code == 409
    assert response.json()["alarm"]["outcome"] == "false_alarm"


def test_notes_are_appended_to_the_history(sos, village_director, assistant):
    services.alarm_note(by=village_director, alarm_id=sos.pk, text="已联系家属", now=NOW)
    services.alarm_note(by=assistant, alarm_id=sos.pk, text="家属已到", now=NOW + SECOND)

    notes = AlarmAction.objects.filter(alarm=sos, kind=ActionKind.NOTE)
    assert [(n.by, n.text) for n in notes] == [
        (village_director, "已联系家属"),
        (assistant, "家属已到"),
    ]
    assert reload(sos).status == AlarmStatus.OPEN


def test_an_empty_note_is_refused(sos, village_director):
    with pytest.raises(ValidationError) as error:
        services.alarm_note(by=village_director, alarm_id=sos.pk, text="   ", now=NOW)

    assert set(error.value.message_dict) == {"text"}


# ---- scope ----------------------------------------------------------------------------------


@pytest.fixture
def sibling_alarm(vendor, regions, village_director) -> Alarm:
    """An open alarm of an old person in the sibling village (same township)."""
    neighbour = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(80))
    bind(vendor, neighbour, "SOS-0002", by=village_director)
    return raise_alarm(vendor, "fall", serial="SOS-0002", now=NOW)


@pytest.fixture
def far_director(make_user, regions):
    return make_user(Role.VILLAGE_DIRECTOR, region=regions.far_village)


def list_open(client, headers):
    response = client.get("/api/v1/alarms", {"status": "open"}, headers=headers)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


def test_a_village_director_lists_only_alarms_of_the_own_village(
    client, bearer, sos, sibling_alarm, village_director, township_workers, vendor
):
    resolved = raise_alarm(vendor, "smoke", now=NOW)
    resolve(resolved, village_director)

    assert list_open(client, bearer(village_director)) == [sos.pk]
    assert sorted(list_open(client, bearer(township_workers[0]))) == sorted(
        [sos.pk, sibling_alarm.pk]
    )


def test_an_api_row_carries_what_the_board_shows(client, director_api, sos, old_person):
    (row,) = client.get("/api/v1/alarms", {"status": "open"}, **director_api).json()

    assert row["person_name"] == old_person.name
    assert row["village"] == old_person.region.name
    assert (row["kind"], row["severity"], row["tier"]) == ("sos", "critical", "village")


@pytest.mark.parametrize(
    ("action", "body"), [("acknowledge", {}), ("resolve", {"outcome": "false_alarm"})]
)
def test_a_director_of_another_village_gets_404(client, bearer, sos, far_director, action, body):
    response = api(client, {"headers": bearer(far_director)}, sos, action, **body)

    assert response.status_code == 404
    assert reload(sos).status == AlarmStatus.OPEN


def test_acting_on_a_missing_alarm_is_the_same_404(client, director_api, sos):
    missing = Alarm(pk=sos.pk + 1000)

    assert api(client, director_api, missing, "acknowledge").status_code == 404


def test_the_services_refuse_an_out_of_scope_worker(sos, far_director):
    with pytest.raises(Http404):
        acknowledge(sos, far_director)
    with pytest.raises(Http404):
        services.alarm_note(by=far_director, alarm_id=sos.pk, text="x", now=NOW)


def bind_by_api(client, headers, person, serial="W-1", vendor_name="测试厂商"):
    body = {"serial": serial, "kind": "smart_watch", "vendor": vendor_name, "person_id": person.pk}
    return client.post("/api/v1/devices", body, content_type="application/json", headers=headers)


def test_binding_a_device_by_api(client, director_api, vendor, old_person):
    response = bind_by_api(client, director_api["headers"], old_person)

    assert response.status_code == 201, response.content
    assert response.json()["vendor"] == vendor.vendor.name
    assert Device.objects.get(serial="W-1").person == old_person


def test_binding_by_the_vendor_key_works_too(client, director_api, vendor, old_person):
    response = bind_by_api(
        client, director_api["headers"], old_person, vendor_name=vendor.vendor.key
    )

    assert response.status_code == 201


def test_binding_to_an_out_of_scope_person_is_404(client, director_api, vendor, regions):
    stranger = PersonFactory(region=regions.far_village, birth_date=born_years_ago(70))

    assert bind_by_api(client, director_api["headers"], stranger).status_code == 404
    assert not Device.objects.exists()


def test_binding_a_serial_twice_is_422_on_serial(client, director_api, vendor, old_person):
    bind_by_api(client, director_api["headers"], old_person)

    response = bind_by_api(client, director_api["headers"], old_person)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "serial"]]
    assert Device.objects.count() == 1


def test_binding_with_an_unknown_vendor_is_422_on_vendor(client, director_api, old_person):
    response = bind_by_api(client, director_api["headers"], old_person, vendor_name="无此厂商")

    assert response.status_code == 422
    assert ["body", "vendor"] in [error["loc"] for error in response.json()["detail"]]
