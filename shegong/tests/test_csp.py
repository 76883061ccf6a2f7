"""The Content-Security-Policy: scripts only from our own static files, so that an injected
``<script>`` or ``onerror=`` does not run. The header is on every page, and no page — crawled as
each demo role — carries an inline script, an on*= handler or a javascript: URL."""

from __future__ import annotations

import io
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from shegong.accounts.models import User
from shegong.testing import login

TEMPLATES = sorted(Path(settings.BASE_DIR, "shegong").glob("**/templates/**/*.html"))
# Data for scripts, never run: json_script and the like.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data"}


def directives(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in parts}


class InlineCode(HTMLParser):
    """Collects what a strict script-src blocks, and the same-site links to follow."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            kind = (values.get("type") or "").lower()
            self._in_script = not values.get("src") and kind not in DATA_SCRIPT_TYPES
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:80]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


# ---- the header ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_policy(client, admin_client):
    for response in (client.get("/accounts/login/"), admin_client.get("/people/")):
        assert response.status_code == 200
        policy = directives(response)
        assert policy["default-src"] == {"'self'"}
        assert policy["script-src"] == {"'self'"}  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["object-src"] == {"'none'"}
        assert policy["base-uri"] == {"'self'"}
        assert policy["frame-ancestors"] == {"'none'"}
        assert policy["form-action"] == {"'self'"}
        assert policy["img-src"] == {"'self'", "data:"}
        # Inline styles only (progress bars are sized with style="width: N%").
        assert policy["style-src"] == {"'self'", "'unsafe-inline'"}


@pytest.mark.django_db
def test_htmx_is_told_not_to_eval_or_inject_styles(admin_client):
    page = admin_client.get("/people/").content.decode()
    config = '{"allowEval": false, "includeIndicatorStyles": false}'
    assert f"<meta name=\"htmx-config\" content='{config}'>" in page
    assert 'src="/static/js/shegong.js"' in page


# ---- the templates ------------------------------------------------------------------------------

TEMPLATE_PROBLEMS = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"javascript:", re.I),
    re.compile(r"\bhx-(on|vars)\b"),  # HTMX's own ways of running inline code
    re.compile(r"[\"']js:"),  # hx-vals / hx-headers evaluated as JavaScript
]


def test_no_template_has_inline_code():
    assert len(TEMPLATES) > 100
    found = []
    for template in TEMPLATES:
        text = template.read_text()
        for pattern in TEMPLATE_PROBLEMS:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(settings.BASE_DIR)}:{line}: {match[0]}")
    assert found == []


def test_the_checker_would_notice_inline_code():
    html = (
        '<script>alert(1)</script><script type="application/json" id="d">{"a": 1}</script>'
        '<script src="/static/x.js"></script><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a>'
    )
    assert len(inline_code(html).problems) == 3


# ---- crawling the site as each role -------------------------------------------------------------

SKIP = re.compile(r"^/(static|media|django-admin|i18n)/|[?&]export=|/export|\.(xlsx|docx|pdf)$")
PAGES_PER_USER = 40


def crawl(client: Client, start: str) -> tuple[int, list[str]]:
    """Follows same-site links breadth-first from ``start``; (pages seen, problems found)."""
    seen, queue, problems, pages = {start}, deque([start]), [], 0
    while queue and pages < PAGES_PER_USER:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302) and "Location" in response:
            hrefs = [response["Location"]]
        elif response.status_code == 200 and "html" in response.get("Content-Type", ""):
            pages += 1
            if "Content-Security-Policy" not in response:
                problems.append(f"{url}: no Content-Security-Policy header")
            parsed = inline_code(response.content.decode())
            problems.extend(f"{url}: {problem}" for problem in parsed.problems)
            hrefs = parsed.links
        else:
            continue
        for href in hrefs:
            target = urlsplit(urljoin(url, href))
            link = target.path + (f"?{target.query}" if target.query else "")
            if target.netloc or not target.path.startswith("/") or SKIP.search(link):
                continue
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages, problems


@pytest.fixture
def demo_site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # seed_demo attaches a demo invoice
    call_command("seed_demo", people=60, stdout=io.StringIO())


def test_no_page_has_inline_code_for_any_role(demo_site):
    crawled = {}
    problems = []
    anonymous = Client()
    for start in ("/accounts/login/", "/institutions/family/"):
        pages, found = crawl(anonymous, start)
        crawled[start] = pages
        problems += found
    for user in User.objects.filter(is_demo_account=True).order_by("username"):
        pages, found = crawl(login(Client(), user), "/")
        crawled[user.username] = pages
        problems += found
    assert problems == []
    # The crawl reached real pages for every role (a broken login would see one page each).
    assert len(crawled) == 12
    assert sum(crawled.values()) > 150, crawled
    assert crawled["demo-district"] == PAGES_PER_USER
