"""Under the Content-Security-Policy (scripts from our own files only) everything interactive
still works in a real browser: the dashboard's charts, HTMX search and reveal, confirm dialogs,
filters that submit on change, print buttons — and an injected inline script does not run.

Every browser test fails on a CSP violation (see PageProblems in shegong/browser_fixtures.py);
these tests walk the pages whose scripts changed for the policy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import DISTRICT, log_in, look
from shegong.children.models import ChildProfile, Colour
from shegong.devices import services as device_services
from shegong.devices.models import Device, DeviceKind
from shegong.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts window.print() instead of opening the print dialog (headless Chromium would wait).
STUB_PRINT = "window.print = () => { window.printed = (window.printed || 0) + 1; };"


@pytest.fixture
def district(world):
    world.user("csp.centre", Role.CENTER_WORKER, Region.objects.get(code=DISTRICT))
    return world


def test_charts_htmx_search_and_reveal_work_under_the_policy(page, district):
    child = district.person("王小红", district.village_a, born=dt.date(2015, 3, 4))
    ChildProfile.objects.create(person=child, colour=Colour.RED)
    district.person("欧阳明远", district.village_b, born=dt.date(1950, 1, 2))

    log_in(page, "csp.centre")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    charts = page.locator(".dashboard-chart")
    expect(charts.first).to_be_visible()
    for n in range(charts.count()):
        expect(charts.nth(n).locator("canvas")).to_have_count(1)
    charts.first.hover()  # ECharts' tooltip is styled HTML
    look(page, "csp-dashboard")

    page.goto("/people/")
    page.fill("#q", "欧阳")  # HTMX: hx-get on input, no eval
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E6%AC%A7%E9%98%B3"))

    page.locator("#results tbody tr td:first-child a").first.click()
    page.locator("button[hx-post$='/reveal/id_number/']").click()  # hx-post with the CSRF header
    expect(page.locator("[data-revealed=id_number]")).to_have_text(re.compile(r"^\d{17}[\dX]$"))
    look(page, "csp-person-revealed")


def test_confirm_dialogs_autosubmit_filters_and_print_buttons_work(page, district):
    elder = district.person("刘大爷", district.village_a, born=dt.date(1940, 5, 6))
    vendor, _secret = device_services.vendor_create(name="测试厂商")
    device = Device.objects.create(
        vendor=vendor, serial="SOS-9", kind=DeviceKind.SOS_BUTTON, person=elder,
        bound_by=district.creator,
    )  # fmt: skip
    child = district.person("李小明", district.village_b, born=dt.date(2016, 7, 8))
    ChildProfile.objects.create(person=child, colour=Colour.ORANGE)
    page.context.add_init_script(STUB_PRINT)
    log_in(page, "csp.centre")

    # A confirm dialog declined: nothing happens; accepted: the device is unbound.
    page.goto(f"/alarms/devices/bind/{elder.pk}/")
    unbind = page.locator(f"[data-device='{device.pk}'] button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    unbind.click()
    page.wait_for_timeout(300)
    device.refresh_from_db()
    assert device.is_active
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        unbind.click()
    expect(page.locator(f"[data-device='{device.pk}']")).to_have_count(0)
    device.refresh_from_db()
    assert not device.is_active

    # A filter that submits when it changes.
    page.goto("/alarms/devices/")
    with page.expect_navigation():
        page.select_option("select[name=kind]", DeviceKind.SOS_BUTTON)
    expect(page).to_have_url(re.compile(r"kind=sos_button"))
    look(page, "csp-device-list-filtered")

    # A print button.
    page.goto(f"/children/{child.pk}/")
    page.locator("[data-print]").first.click()
    assert page.evaluate("window.printed") == 1


def test_an_injected_inline_script_does_not_run(browsing, district):
    page = browsing.new_page()
    log_in(page, "csp.centre")
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
        const image = document.createElement("img");
        image.setAttribute("onerror", "window.injected = true");
        image.src = "data:,broken";
        document.body.append(image);
    }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected === undefined")
    blocked = [error for error in browsing.problems.errors if error.startswith("CSP")]
    assert any("script-src" in error for error in blocked), browsing.problems.errors
    browsing.problems.errors.clear()  # expected here; any other violation fails the suite
