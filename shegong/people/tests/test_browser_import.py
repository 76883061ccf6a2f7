"""Roster import in a real browser: upload → preview → confirm, errors, the progress bar; and the
export of a live-searched people list.

Each test runs at a desktop and at a phone viewport (see shegong/browser_fixtures.py).
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import log_in, look, zh
from shegong.people import imports
from shegong.people.models import ExportJob, ImportJob, ImportStatus, Person
from shegong.people.tests.rosters import id_number, read_xlsx, xlsx
from shegong.progress import progress_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZHANG = id_number(dt.date(1950, 3, 5), 13)
LI = id_number(dt.date(1948, 11, 20), 24)


@pytest.fixture
def director(world):
    return world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)


def roster_file(rows) -> dict:
    data = xlsx(rows, title_rows=[["东王庄村困难群众花名册"]], merge=["A1:D1"])
    return {"name": "东王庄村花名册.xlsx", "mimeType": XLSX, "buffer": data}


def upload(page, rows) -> None:
    page.goto("/people/imports/")
    expect(page.locator("h1")).to_have_text(zh("Import a roster"))
    page.set_input_files("#id_file", files=[roster_file(rows)])
    with page.expect_navigation():
        page.locator("#import-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people/imports/\d+/$"))


def test_a_file_with_an_error_shows_the_error_rows_and_no_confirm_button(page, world, director):
    log_in(page, "wang.director")

    upload(
        page,
        [
            ["序号", "姓名", "身份证号", "家庭住址"],
            [1, "张建国", ZHANG, "3号"],
            [2, "李秀英", "1.30111E+17", "5号"],
        ],
    )

    expect(page.locator("[data-count=new]")).to_have_text("1")
    expect(page.locator("[data-count=error]")).to_have_text("1")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text(zh("row %(row)s", row=4))  # a title row sits above
    expect(errors.first).to_contain_text("身份证号")
    expect(errors.first).to_contain_text("1.30111E+17")
    expect(page.locator("#confirm-import")).to_have_count(0)
    expect(
        page.get_by_role("link", name=zh("Download the error rows (.xlsx with 错误说明)"))
    ).to_be_visible()
    assert not Person.objects.exists()
    look(page, "import-errors")


def test_a_clean_file_is_checked_then_imported_on_confirmation(page, world, director):
    log_in(page, "wang.director")

    upload(
        page,
        [
            ["序号", "姓名", "身份证号", "类别"],
            [1, "张建国", ZHANG, "低保"],
            [2, "李秀英", LI, "特困"],
        ],
    )

    expect(page.locator("[data-count=new]")).to_have_text("2")
    expect(page.locator("[data-count=update]")).to_have_text("0")
    expect(page.locator("[data-count=error]")).to_have_text("0")
    assert not Person.objects.exists()  # nothing is written before the confirmation
    look(page, "import-preview")

    with page.expect_navigation():
        page.locator("#confirm-import").click()

    expect(page.locator("#job-state")).to_have_text(zh("Imported"))
    expect(page.locator("#confirm-import")).to_have_count(0)
    look(page, "import-done")
    page.get_by_role("link", name=zh("See the people")).click()
    expect(page).to_have_url(re.compile(r"/people/\?region="))
    names = page.locator("#results tbody tr td:first-child a")
    expect(names).to_have_count(2)
    assert sorted(names.all_inner_texts()) == ["张建国", "李秀英"]
    look(page, "import-people")


def test_the_progress_bar_shows_while_the_job_runs_and_gives_way_to_the_result(
    page, world, director
):
    job = imports.import_job_create(
        by=director,
        region_code=world.village_a.code,
        filename="大名单.xlsx",
        content=xlsx([["姓名", "身份证号"], ["张建国", ZHANG]]),
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, confirmed_by=director)
    progress_set(f"import:{job.pk}", "import", 40_000, 100_000)
    log_in(page, "wang.director")

    page.goto(f"/people/imports/{job.pk}/")
    page.evaluate("window.notReloaded = true")

    bar = page.locator("#import-status [role=progressbar]")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "40")
    expect(bar).to_contain_text("40000 / 100000")
    expect(page.locator("#job-state")).to_contain_text(zh("writing to the registry"))
    look(page, "import-running")

    progress_set(f"import:{job.pk}", "import", 70_000, 100_000)
    expect(bar).to_have_attribute("aria-valuenow", "70")  # the page polls (HTMX), no reload

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, count_new=1, elapsed_seconds=3.5
    )
    expect(page.locator("#job-state")).to_have_text(zh("Imported"))
    expect(page.locator("#import-status [role=progressbar]")).to_have_count(0)
    expect(page.locator("[data-count=new]")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True, "the page reloaded instead of polling"
    look(page, "import-finished")


def test_the_export_takes_the_filters_typed_into_the_live_search(page, world, director):
    world.person("欧阳明远", world.village_a, born=dt.date(1950, 3, 9))
    world.person("司马青云", world.village_a, born=dt.date(2015, 1, 30))
    world.person("诸葛远方", world.village_c, born=dt.date(1962, 11, 2))
    log_in(page, "wang.director")
    page.goto("/people/")
    expect(page.locator("#results tbody tr")).to_have_count(2)

    page.fill("#q", "欧阳")  # the results update in place (HTMX), the page is not reloaded
    expect(page.locator("#results tbody tr")).to_have_count(1)
    with page.expect_navigation():
        page.locator("#export-form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/people/exports/\d+/$"))
    job = ExportJob.objects.get()
    assert job.params["q"] == "欧阳"
    with page.expect_download() as download:
        page.locator("#export-download").click()
    rows = read_xlsx(download.value.path().read_bytes())
    assert [row[0] for row in rows[1:]] == ["欧阳明远"]
    look(page, "export-ready")
