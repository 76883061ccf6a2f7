"""Logging in, the language switch, lock-out and user administration in a real browser."""

import datetime as dt
import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from shegong.accounts.models import Membership, Role, User
from shegong.browser_fixtures import DISTRICT, en, log_in, look, open_menu, zh
from shegong.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_the_ui_is_chinese_by_default_and_switches_to_english(page, world):
    world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("label[for=id_username]")).to_have_text(zh("User name"))
    expect(page.locator("#login-form [type=submit]")).to_have_text(zh("Log in"))
    look(page, "login")

    log_in(page, "wang.director")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # staff start from their figures
    page.goto("/people/")
    expect(page.locator("h1")).to_have_text(zh("People registry"))
    open_menu(page)
    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(en("People registry"))
    expect(page.get_by_role("link", name=en("Register a person"))).to_be_visible()
    open_menu(page)
    expect(page.locator("#nav")).to_contain_text(en("Log out"))
    look(page, "people-list-english")

    page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text(zh("People registry"))


def test_five_wrong_passwords_lock_the_account(page, world):
    world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    for _attempt in range(4):
        log_in(page, "wang.director", "Wrong-password-1")
        expect(page.locator("#login-form .alert-danger")).to_be_visible()
        expect(page.locator("#locked-out")).to_have_count(0)

    log_in(page, "wang.director", "Wrong-password-1")
    expect(page.locator("#locked-out")).to_have_text(
        zh(
            "Too many wrong passwords. This account is locked for 30 minutes; "
            "ask the district administrator if you need it sooner."
        )
    )
    look(page, "locked-out")

    log_in(page, "wang.director")  # the right password no longer helps
    expect(page.locator("#locked-out")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/people/"))


def test_a_district_admin_creates_a_user_with_a_role_and_resets_the_password(browsing, world):
    admin = world.user("chen.admin", Role.DISTRICT_ADMIN, Region.objects.get(code=DISTRICT))
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    world.person("欧阳外村", world.village_b, born=dt.date(1971, 5, 5))
    page = browsing.new_page()

    log_in(page, "chen.admin")
    expect(page).to_have_url(re.compile(r"/accounts/otp/"))
    page.fill("#id_token", current_code(device))
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto("/accounts/users/")
    look(page, "user-list")
    page.get_by_role("link", name=zh("New user")).click()
    page.fill("#id_username", "li.assistant")
    page.fill("#id_full_name", "李小红")
    page.fill("#id_password", "Chushi-mima-88")
    page.select_option("#id_role", Role.VILLAGE_ASSISTANT)
    page.select_option("#id_region_code", world.village_b.code)
    page.get_by_role("button", name=zh("Create"), exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/users/\d+/$"))
    expect(page.locator("h1")).to_contain_text("李小红")
    expect(page.locator(".list-group")).to_contain_text(world.village_b.name)
    created = User.objects.get(username="li.assistant")
    membership = Membership.objects.get(user=created)
    assert (membership.role, membership.region_id) == (Role.VILLAGE_ASSISTANT, world.village_b.code)
    assert created.check_password("Chushi-mima-88")
    look(page, "user-created")

    page.get_by_role("button", name=zh("Reset password")).click()
    new_password = page.locator("#new-password code").inner_text().strip()
    assert len(new_password) >= 10
    created.refresh_from_db()
    assert created.check_password(new_password)
    assert not created.check_password("Chushi-mima-88")
    look(page, "user-password-reset")

    page.reload()  # the new password is shown once
    expect(page.locator("#new-password")).to_have_count(0)

    newcomer = browsing.new_page()
    log_in(newcomer, "li.assistant", new_password)
    expect(newcomer).to_have_url(re.compile(r"/dashboard/$"))
    newcomer.goto("/people/")
    expect(newcomer.locator("h1")).to_have_text(zh("People registry"))
    expect(newcomer.locator("#results")).to_contain_text("欧阳外村")
