"""The UI is Chinese first and English complete: the catalogues must keep up with the code.

Fails when a user-facing string has no Chinese translation (new, changed or fuzzy), when a
catalogue entry is left untranslated or fuzzy, or when a committed .mo is older than its .po
(a machine without gettext reads the .mo, so a stale one shows English or old wording).

After changing user-facing strings: ``make messages``, translate the new entries in
shegong/locale/zh_Hans/LC_MESSAGES/django.po, ``make messages`` again, commit .po and .mo.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # shegong/
LOCALE_DIR = PACKAGE_DIR / "locale"
MANAGE_PY = PACKAGE_DIR.parent / "manage.py"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"

HOW_TO_FIX = (
    "run `make messages`, translate the listed entries in "
    "shegong/locale/zh_Hans/LC_MESSAGES/django.po (and remove their `#, fuzzy` flag), "
    "then run `make messages` again and commit the .po and .mo files"
)


# --- a small .po reader (polib is not a dependency) ------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 if singular) → text
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"{context}{self.msgid!r}"

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which string a continuation line extends

    def start() -> Entry:
        nonlocal entry
        if entry is None:
            entry = Entry()
            entries.append(entry)
        return entry

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#~"):
            start().obsolete = True
            continue
        if line.startswith("#,"):
            start().flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            continue
        current = start()
        if line.startswith('"'):
            assert target is not None, f"{path}: continuation line without a keyword: {raw!r}"
            value = ast.literal_eval(line)
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        keyword, _, quoted = line.partition(" ")
        value = ast.literal_eval(quoted.strip())
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = value
            target = ("msgstr", index)
        elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
            # A new msgctxt/msgid after a msgstr without a blank line starts a new entry.
            if current.msgstr:
                entry = None
                current = start()
            setattr(current, keyword, value)
            target = (keyword, 0)
        else:
            raise AssertionError(f"{path}: cannot read line {raw!r}")
    return [e for e in entries if not e.obsolete]


def problems(entries: list[Entry]) -> tuple[list[str], list[str]]:
    """(untranslated, fuzzy) entry labels, the header excluded."""
    untranslated = [e.label for e in entries if not e.is_header and not e.is_translated]
    fuzzy = [e.label for e in entries if not e.is_header and "fuzzy" in e.flags]
    return untranslated, fuzzy


def describe(untranslated: list[str], fuzzy: list[str]) -> str:
    lines = [f"{len(untranslated)} untranslated, {len(fuzzy)} fuzzy; {HOW_TO_FIX}."]
    lines += [f"  untranslated: {label}" for label in untranslated[:40]]
    lines += [f"  fuzzy: {label}" for label in fuzzy[:40]]
    return "\n".join(lines)


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next(e for e in entries if e.is_header)
    pairs = (line.partition(":") for line in header.msgstr[0].splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, _, value in pairs}


def catalogue_from_po(entries: list[Entry]) -> dict:
    """What msgfmt puts in the .mo: translated, non-fuzzy entries, keyed as gettext reads them."""
    catalogue: dict = {}
    for e in entries:
        if e.is_header or "fuzzy" in e.flags or not e.is_translated:
            continue
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            catalogue[key] = e.msgstr[0]
        else:
            for index, text in e.msgstr.items():
                catalogue[(key, index)] = text
    return catalogue


def catalogue_from_mo(path: Path) -> dict:
    with path.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    return {k: v for k, v in translations._catalog.items() if k != ""}


# --- the committed catalogues ----------------------------------------------------------------


def test_the_chinese_catalogue_translates_every_entry():
    entries = read_po(ZH_PO)
    assert len(entries) > 100, f"{ZH_PO} looks truncated"

    untranslated, fuzzy = problems(entries)

    assert not untranslated and not fuzzy, describe(untranslated, fuzzy)


def test_the_catalogue_headers_name_the_language_and_plural_rule():
    zh = header_fields(read_po(ZH_PO))
    en = header_fields(read_po(LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"))

    assert zh["Language"] == "zh_Hans"
    assert zh["Plural-Forms"] == "nplurals=1; plural=0;"
    assert zh["Content-Type"] == "text/plain; charset=UTF-8"
    assert en["Language"] == "en"
    assert en["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_english_plural_entries_give_both_forms():
    entries = read_po(LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po")

    incomplete = [
        e.label
        for e in entries
        if e.msgid_plural is not None and not (e.msgstr.get(0) and e.msgstr.get(1))
    ]

    assert not incomplete, f"fill msgstr[0] and msgstr[1] of: {incomplete}"


PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%|%[sd]")


def test_translations_keep_the_placeholders():
    """A dropped or renamed %(name)s raises KeyError (a 500 page) only when the text is shown."""
    wrong = []
    for e in read_po(ZH_PO):
        if e.is_header or "python-format" not in e.flags:
            continue
        wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
        for text in e.msgstr.values():
            found = set(PLACEHOLDER.findall(text))
            # Plural forms may leave out a number the sentence does not need; nothing may be added.
            if found != wanted and not (e.msgid_plural is not None and found <= wanted):
                wrong.append(f"{e.label} → {text!r}")

    assert not wrong, "placeholders differ from the English:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogue_matches_its_source(language):
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages` and commit it"

    assert catalogue_from_mo(mo) == catalogue_from_po(read_po(po)), (
        f"{mo} is out of date with {po.name}: run `make messages` and commit the .mo"
    )


# --- the source code against the catalogue ---------------------------------------------------


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge")),
    reason="GNU gettext (xgettext, msgmerge) is not installed",
)
def test_every_string_in_the_code_has_a_chinese_translation(tmp_path):
    """Run makemessages over a copy of the package, so the committed catalogue stays as it is."""
    copy = tmp_path / "shegong"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shegong.settings",
        "SHEGONG_TESTING": "1",
        "PYTHONPATH": str(PACKAGE_DIR.parent),
    }

    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    regenerated = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    untranslated, fuzzy = problems(read_po(regenerated))
    assert not untranslated and not fuzzy, "strings in the code: " + describe(untranslated, fuzzy)


# --- rendered pages --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_log_in_page_is_chinese_by_default(client):
    assert settings.LANGUAGE_CODE == "zh-hans"

    html = client.get("/accounts/login/").content.decode()

    assert 'lang="zh-hans"' in html
    assert "登录" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'lang="zh-hans"' in html
    assert "登录" in html


@pytest.mark.django_db
def test_the_api_follows_the_clients_accept_language(client):
    response = client.get("/api/v1/people", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_language_cookie_chooses_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    assert "Log in" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_the_language_switch_sets_the_cookie(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Log in" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_a_signed_in_page_is_chinese_then_english(admin_client):
    chinese = admin_client.get("/people/").content.decode()
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = admin_client.get("/people/").content.decode()

    assert "人员信息库" in chinese and "退出登录" in chinese
    assert "People registry" in english and "Log out" in english
    assert "人员信息库" not in english
