import base64
import datetime as dt

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection

from shegong.people import crypto, idnumbers
from shegong.people.models import Person
from shegong.people.services import person_create

NUMBER = idnumbers.make("130111", dt.date(1985, 7, 1), 123)


def test_it_decrypts_what_it_encrypts():
    assert crypto.decrypt(crypto.encrypt(NUMBER)) == NUMBER


def test_the_ciphertext_differs_on_every_call():
    first, second = crypto.encrypt(NUMBER), crypto.encrypt(NUMBER)

    assert first != second
    assert NUMBER not in first


def test_it_refuses_a_tampered_ciphertext():
    raw = bytearray(base64.b64decode(crypto.encrypt(NUMBER)))
    raw[20] ^= 0x01  # one bit of the sealed ID number

    with pytest.raises(InvalidTag):
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())


def test_the_blind_index_is_deterministic_and_keyed(settings):
    digest = crypto.blind_index(NUMBER)

    assert digest == crypto.blind_index(NUMBER)
    assert digest != crypto.blind_index(idnumbers.make("130111", dt.date(1985, 7, 1), 125))
    settings.FIELD_KEY = "another-key-for-another-deployment"
    assert crypto.blind_index(NUMBER) != digest


def test_empty_values_stay_empty():
    assert crypto.encrypt("") == ""
    assert crypto.decrypt("") == ""
    assert crypto.blind_index("") == ""


def test_it_masks_the_id_number_keeping_area_and_last_four():
    assert crypto.mask_id_number("13011119851234123X") == "130111********123X"


def test_it_masks_a_mobile_number_keeping_first_three_and_last_four():
    assert crypto.mask_phone("13912345678") == "139****5678"


@pytest.mark.django_db
def test_the_database_never_holds_the_plain_id_number_or_phone(regions, district_admin):
    person = person_create(
        by=district_admin,
        data={
            "name": "张建国",
            "id_number": NUMBER,
            "phone": "13912345678",
            "region_code": regions.village.code,
        },
    )

    table = Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [person.pk])  # noqa: S608
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    assert NUMBER not in stored
    assert NUMBER[6:14] + NUMBER[14:] not in stored
    assert "13912345678" not in stored
    assert person.id_number_masked in stored
    assert Person.objects.get(pk=person.pk).id_number == NUMBER
