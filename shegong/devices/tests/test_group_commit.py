"""Group commit of heartbeats: concurrent requests share one INSERT and one commit, each still
gets its own answer after the commit, and a failed batch answers 503 without losing the writer.

These tests commit for real (transactional_db): the writer thread has its own connection and
cannot see a test transaction.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.utils import timezone

from shegong.devices import batch
from shegong.devices.models import DeviceEvent

from .conftest import event_body, payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def writer():
    writer = batch.GroupWriter()
    yield writer
    writer.stop()


@pytest.fixture
def shared_writer():
    yield batch.WRITER
    batch.WRITER.stop()  # its connection must not outlive the test database


def _row(vendor_id: int, serial: str, event_id: str) -> tuple:
    event = payload(serial=serial, type="heartbeat", event_id=event_id)
    event["occurred_at"] = timezone.now()
    return batch.row_for(vendor_id, event, timezone.now())


def test_concurrent_heartbeats_are_stored_once_each_with_their_own_answer(writer, vendor, device):
    vendor_id = vendor.vendor.pk
    ids = [uuid.uuid4().hex for _ in range(24)]
    # Every fourth one is for a serial nobody bound; the last id is sent twice.
    jobs = [(i, "SOS-0001" if n % 4 else "NOBODY-1") for n, i in enumerate(ids)] + [
        (ids[-1], "SOS-0001")
    ]
    answers: dict[int, int | None] = {}

    def send(n: int, event_id: str, serial: str) -> None:
        answers[n] = writer.store(vendor_id, event_id, _row(vendor_id, serial, event_id))

    threads = [
        threading.Thread(target=send, args=(n, event_id, serial))
        for n, (event_id, serial) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert DeviceEvent.objects.count() == len(ids)
    for n, (event_id, serial) in enumerate(jobs[:-1]):
        expected = 202 if serial == "SOS-0001" else 404
        assert answers[n] == expected
        assert DeviceEvent.objects.get(event_id=event_id).status_code == expected
    # The repeat was either in the same batch (same answer) or later (stored before: None).
    assert answers[len(jobs) - 1] in (202, None)


def test_a_failed_batch_is_503_to_the_vendor_and_the_writer_carries_on(writer, vendor, device):
    with pytest.raises(batch.StoreUnavailable):
        # No such vendor: the foreign key fails, nothing is stored.
        writer.store(999_999, "bad-1", _row(999_999, "SOS-0001", "bad-1"))
    assert DeviceEvent.objects.count() == 0
    good = uuid.uuid4().hex
    assert writer.store(vendor.vendor.pk, good, _row(vendor.vendor.pk, "SOS-0001", good)) == 202


def test_the_endpoint_answers_through_the_group_writer(shared_writer, post_event, device, settings):
    settings.SHEGONG_EVENT_GROUP_COMMIT = True
    body = event_body(type="heartbeat", event_id="hb-group-1")
    first = post_event(body)
    again = post_event(body)
    assert first.status_code == again.status_code == 202
    assert (
        first.json()
        == again.json()
        == {
            "accepted": True,
            "event_id": "hb-group-1",
            "alarm_id": None,
        }
    )
    assert DeviceEvent.objects.filter(event_id="hb-group-1").count() == 1
