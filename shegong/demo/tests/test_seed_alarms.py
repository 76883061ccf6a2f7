"""seed_demo binds devices and replays alarms through the real rules: the demo village's board
has a critical alarm waiting, the demo township one escalated to it, and resolved ones."""

import io

import pytest
from django.core.management import call_command

from shegong.accounts.models import User
from shegong.casework.models import Notification
from shegong.demo.alarms import generate_devices
from shegong.devices import selectors
from shegong.devices.models import Alarm, AlarmStatus, Device, DeviceEvent, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", people=1000, stdout=io.StringIO())


def test_demo_devices_and_alarms_are_on_the_demo_boards(seeded):
    assert Device.objects.count() > 50
    # One heartbeat per device at least, stored like a vendor's.
    assert DeviceEvent.objects.filter(type="heartbeat").count() == Device.objects.count()
    village_user = User.objects.get(username="demo-village")
    township_user = User.objects.get(username="demo-township")

    now = Alarm.objects.latest("raised_at").raised_at
    escalated = Alarm.objects.get(tier=Tier.TOWNSHIP)
    village_board = selectors.board(user=village_user, now=now)
    township_board = selectors.board(user=township_user, now=now)
    assert escalated in village_board.active
    assert escalated in township_board.active
    assert township_board.waiting_on_me >= 1
    assert escalated.severity == "critical"
    assert Notification.objects.filter(user=township_user, key=f"alarm:{escalated.pk}:township")
    assert Alarm.objects.filter(status=AlarmStatus.RESOLVED).exclude(outcome="").count() >= 2


def test_generating_twice_adds_nothing(seeded):
    before = Device.objects.count()
    assert generate_devices() == 0
    assert Device.objects.count() == before
