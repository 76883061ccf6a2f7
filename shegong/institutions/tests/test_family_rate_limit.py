"""The family page is open to anyone and a guessing target: look-ups from one address are
limited per minute (a burst), on top of the hourly limits in institutions/family.py."""

from __future__ import annotations

import pytest
from django.test import Client

from shegong.institutions.models import FamilyLookup

pytestmark = pytest.mark.django_db

URL = "/institutions/family/"


def look_up(client: Client, contract, id_tail: str = "000000"):
    return client.post(URL, {"number": contract.number, "id_tail": id_tail})


def test_one_address_gets_ten_look_ups_a_minute(contract, rate_window):
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(10):
        guesser.post(URL, {"number": f"NO-{n}", "id_tail": "123456"})

    refused = look_up(guesser, contract, contract.resident.person.id_number[-6:])

    assert refused.status_code == 429
    assert 'id="rate-limited"' in refused.content.decode()
    assert 'id="family-result"' not in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    # Refused before the look-up: nothing was checked or logged for it.
    assert FamilyLookup.objects.count() == 10
    # A family at another address still gets its answer.
    family = Client(REMOTE_ADDR="198.51.100.20")
    answer = look_up(family, contract, contract.resident.person.id_number[-6:])
    assert answer.status_code == 200
    assert 'id="family-result"' in answer.content.decode()


def test_opening_the_page_is_not_a_look_up(contract, settings, rate_window):
    settings.SHEGONG_RATE_FAMILY = "1/m"
    client = Client()
    for _ in range(3):
        assert client.get(URL).status_code == 200
    assert look_up(client, contract).status_code == 404
    assert look_up(client, contract).status_code == 429


def test_behind_nginx_the_look_up_log_has_the_familys_address(contract, settings):
    settings.SHEGONG_BEHIND_PROXY = True
    Client(REMOTE_ADDR="127.0.0.1").post(
        URL,
        {"number": contract.number, "id_tail": "000000"},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    # Not nginx's 127.0.0.1: else every family would share one hourly limit.
    assert FamilyLookup.objects.get().ip_address == "198.51.100.20"
