import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

import shegong.settings as project_settings
from shegong.accounts.passwords import CharacterClassValidator
from shegong.testing import is_chinese

CLASS_RULE = (
    "The password must mix at least three of: lower-case letters, "
    "upper-case letters, digits and symbols."
)


def messages_for(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("password", ["Shegong-2024", "xq7-plmoknb", "PLMOKN7#IJB", "Xq7plmoknbv"])
def test_it_accepts_ten_characters_of_three_classes(password):
    assert messages_for(password) == []


def test_it_rejects_fewer_than_ten_characters():
    with translation.override("en"):
        assert any("at least 10 characters" in m for m in messages_for("Xq7-plmok"))


def test_it_says_the_password_is_too_short_in_chinese():
    with translation.override("zh-hans"):
        [message] = messages_for("Xq7-plmok")

    assert is_chinese(message)
    assert "10" in message


@pytest.mark.parametrize("password", ["xqzplmoknbvc", "xqzplmo7knbv", "XQZPLMOKNB-#"])
def test_it_rejects_fewer_than_three_character_classes(password):
    with pytest.raises(ValidationError) as caught:
        CharacterClassValidator().validate(password)

    assert caught.value.code == "password_too_simple"


def test_it_explains_the_character_classes_in_english():
    with translation.override("en"):
        assert CLASS_RULE in messages_for("xqzplmoknbvc")


def test_it_explains_the_character_classes_in_chinese():
    with translation.override("zh-hans"):
        [message] = [m for m in messages_for("xqzplmoknbvc") if is_chinese(m)]

    assert message != CLASS_RULE


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert make_password("Shegong-2024").startswith("argon2$")
