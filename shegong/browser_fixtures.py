"""Browser test fixtures: Playwright for Python driving Debian's Chromium against live_server.

Registered as a pytest plugin from the top-level ``conftest.py`` (pytest accepts
``pytest_plugins`` only there). Every test that uses ``page`` or ``browsing`` runs twice, at a
desktop and at a phone viewport (375×812), and should call :func:`look` on each page it
reaches: that saves a screenshot under ``var/screenshots/`` and fails when the page is wider
than the viewport (sideways scrolling on a phone). A failing test also leaves a screenshot of
every page it had open (``*-FAILED-*.png``). JavaScript errors, 5xx answers and anything the
Content-Security-Policy blocks fail the test.

The browser is never downloaded: a missing ``/usr/bin/chromium`` fails the tests with a clear
message instead of skipping them (``make test`` installs it with apt-get when run as root).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in the main thread; Django would otherwise refuse
# ORM calls from the test body ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("SHEGONG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(
    os.environ.get(
        "SHEGONG_SCREENSHOTS", Path(__file__).resolve().parent.parent / "var/screenshots"
    )
)
PASSWORD = "Shegong-test-2024"  # meets the policy: 10+ characters, three character classes
TIMEOUT_MS = 15_000

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so the page fixture can screenshot a failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Install it with `apt-get install chromium fonts-noto-cjk` (make test does this "
            "when run as root). Never `playwright install`: we do not download browsers.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Injected by the browser, not the page (the policy does not apply): every violation of the
# Content-Security-Policy becomes a console error PageProblems fails the test on.
CSP_VIOLATION_JS = """document.addEventListener("securitypolicyviolation", event => {
  console.error("CSP violation: " + event.effectiveDirective + " blocked "
    + (event.blockedURI || "inline code") + " at " + event.sourceFile + ":" + event.lineNumber);
});"""


@dataclass
class PageProblems:
    """Things a page must never do, collected while the test runs and checked at the end."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", self._script_error)
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)
        page.on("console", self._console)

    def _script_error(self, error) -> None:
        self.errors.append(f"JavaScript error: {error}")

    def _console(self, message) -> None:
        # Chromium reports each thing the Content-Security-Policy blocked (an inline script, an
        # on*= handler, eval, a style …) as a console error; CSP_VIOLATION_JS adds the details.
        if message.type == "error" and (
            "Content Security Policy" in message.text or message.text.startswith("CSP violation")
        ):
            self.errors.append(f"CSP: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.errors.append(f"HTTP {response.status} from {response.url}")

    def _request_failed(self, request) -> None:
        if request.failure != "net::ERR_ABORTED":  # a navigation that replaced the request
            self.errors.append(f"request failed: {request.url} ({request.failure})")


@dataclass
class Browsing:
    """Opens browser contexts (separate cookie jars = separate users) at one viewport."""

    browser: Browser
    base_url: str
    viewport_name: str
    test_name: str
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: PageProblems = field(default_factory=PageProblems)

    def new_page(self, *, locale: str = "zh-CN") -> Page:
        # A Chinese browser by default (the pages are Chinese anyway until the user switches).
        context = self.browser.new_context(
            base_url=self.base_url,
            locale=locale,
            timezone_id="Asia/Shanghai",
            **VIEWPORTS[self.viewport_name],
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_VIOLATION_JS)
        self.contexts.append(context)
        page = context.new_page()
        _SESSIONS[page] = self
        self.problems.watch(page)
        return page

    def close(self, failed: bool) -> None:
        for n, context in enumerate(self.contexts):
            if failed:
                for m, page in enumerate(context.pages):
                    _screenshot(page, f"{self.test_name}-FAILED-{n}{m}")
            context.close()


# The browsing session of each page, for look() (which needs the viewport and test name).
_SESSIONS: weakref.WeakKeyDictionary[Page, Browsing] = weakref.WeakKeyDictionary()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def browsing(request, chromium, live_server, viewport) -> Iterator[Browsing]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    for stale in SCREENSHOTS.glob(f"{name}-FAILED-*.png"):
        stale.unlink()
    session = Browsing(chromium, live_server.url, viewport, name)
    yield session
    failed = getattr(request.node, "report_call", None)
    session.close(failed=bool(failed and failed.failed))
    assert not session.problems.errors, "\n".join(session.problems.errors)


@pytest.fixture
def page(browsing) -> Page:
    return browsing.new_page()


def _screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Measured against the viewport we asked for: a mobile browser widens its layout viewport
# (zooms out) to fit content that is too wide, so window.innerWidth would hide the overflow.
OVERFLOW_JS = """width => {
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.closest('.table-responsive, .collapse:not(.show)'))
    .map(el => name(el) + ' right=' + Math.round(el.getBoundingClientRect().right));
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}"""


def look(page: Page, step: str) -> None:
    """Screenshot the page and assert it does not scroll sideways at the current viewport."""
    session = _SESSIONS[page]
    page.wait_for_load_state("load")
    _screenshot(page, f"{session.test_name}-{step}")
    width = page.viewport_size["width"]
    layout = page.evaluate(OVERFLOW_JS, width)
    assert layout["scrollWidth"] <= width, (
        f"{step}: the page is {layout['scrollWidth']} px wide in a {width} px "
        f"viewport ({session.viewport_name}); too wide: {layout['wide']}"
    )


def open_menu(page: Page) -> None:
    """On a phone the navigation collapses behind the toggler: open it before using it."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()


# ---- translations -----------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(message: str, **params: Any) -> str:
    """The Chinese UI text for an English msgid; fails if the catalogue does not translate it."""
    from django.utils import translation

    with translation.override("zh-hans"):
        text = translation.gettext(message)
    assert CJK.search(text), f"no Chinese translation for {message!r} (run `make messages`?)"
    return text % params if params else text


def en(message: str) -> str:
    from django.utils import translation

    with translation.override("en"):
        return translation.gettext(message)


# ---- data -------------------------------------------------------------------------------------

DISTRICT = "130111000000"
TOWNSHIP_1 = "130111100000"  # 栾城镇, from the bundled region list


@dataclass
class World:
    """A small district: two villages in the first township, one in the second."""

    village_a: Any
    village_b: Any
    village_c: Any
    creator: Any

    def user(self, username: str, role: str, region: Any, *, password: str = PASSWORD, **extra):
        from shegong.accounts.models import Membership, User

        user = User(username=username, full_name=extra.pop("full_name", username), **extra)
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, role=role, region=region)
        return user

    def person(self, name: str, village: Any, *, born: dt.date, sex: str = "M", **data):
        from shegong.people import idnumbers, services

        seq = 11 if sex == "M" else 12
        seq += sum(ord(c) for c in name) % 400 * 2  # distinct numbers for distinct names
        number = idnumbers.make("130111", born, seq)
        return services.person_create(
            by=self.creator,
            data={"name": name, "id_number": number, "region_code": village.code, **data},
        )


@pytest.fixture
def world(transactional_db) -> World:
    from shegong.accounts.models import Membership, Role, User
    from shegong.regions.models import Level, Region
    from shegong.regions.services import load_bundled_regions

    load_bundled_regions()
    township_1 = Region.objects.get(code=TOWNSHIP_1)
    township_2 = Region.objects.filter(level=Level.TOWNSHIP).exclude(code=TOWNSHIP_1).first()

    def village(code: str, name: str, township: Region) -> Region:
        return Region.objects.create(
            code=code, name=name, level=Level.VILLAGE, parent=township, is_generated=True
        )

    creator = User.objects.create(username="registry-loader", full_name="数据录入")
    Membership.objects.create(
        user=creator, role=Role.CENTER_WORKER, region=Region.objects.get(code=DISTRICT)
    )
    return World(
        village_a=village(township_1.code[:9] + "201", "东王庄村", township_1),
        village_b=village(township_1.code[:9] + "202", "西李家庄村", township_1),
        village_c=village(township_2.code[:9] + "201", "南马营村", township_2),
        creator=creator,
    )
