"""From referral to the approved report, in a real browser at a desktop and a phone viewport:
the procuratorate's liaison refers a minor, the programme's social worker accepts, interviews
and writes the report, the supervisor approves it and the liaison downloads the Word file."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import DISTRICT, log_in, look
from shegong.factories import born_years_ago
from shegong.juvenile.models import Agency, AgencyKind, Referral
from shegong.juvenile.report import SECTIONS, TITLE
from shegong.people import idnumbers
from shegong.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme(world):
    district = Region.objects.get(code=DISTRICT)
    agency = Agency.objects.create(
        name="栾城区人民检察院", kind=AgencyKind.PROCURATORATE, region=district
    )
    liaison = world.user("sun.liaison", Role.AGENCY_LIAISON, district, full_name="孙检察")
    agency.liaisons.add(liaison)
    worker = world.user("zhao.worker", Role.CENTER_WORKER, district, full_name="赵社工")
    supervisor = world.user("qian.admin", Role.DISTRICT_ADMIN, district, full_name="钱督导")
    for user in (worker, supervisor):
        user.memberships.update(programmes=["juvenile"])
    world.totp = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    return world


def log_in_with_totp(page, username: str, device: TOTPDevice) -> None:
    log_in(page, username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    page.fill("#id_token", f"{totp.token():0{device.digits}d}")
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()


def test_a_referral_becomes_an_approved_report_the_agency_downloads(browsing, programme, tmp_path):
    today = timezone.localdate()
    id_number = idnumbers.make("130111", born_years_ago(15), 31)

    # -- the liaison refers a minor ----------------------------------------------------------------
    liaison = browsing.new_page()
    log_in(liaison, "sun.liaison")
    liaison.goto("/juvenile/")
    look(liaison, "juvenile-list-empty")
    liaison.locator("#new-referral").click()
    form = liaison.locator("#referral-form")
    form.locator("#id_case_number").fill("栾检未刑诉〔2026〕7号")
    form.locator("#id_procedural_status").select_option("prosecution_review")
    form.locator("#id_case_summary").fill("涉嫌盗窃电动车一辆，价值约两千元，系初犯。")
    form.locator("#id_services input[value=investigation]").check()
    form.locator("#id_services input[value=guidance]").check()
    form.locator("#id_due_on").fill((today + dt.timedelta(days=20)).isoformat())
    form.locator("#id_minor_name").fill("李小明")
    form.locator("#id_id_number").fill(id_number)
    form.locator("#id_region_code").select_option(programme.village_a.code)
    form.locator("#id_school_or_work").fill("栾城区第二中学")
    form.locator("#id_guardian_name").fill("李建军")
    form.locator("#id_guardian_relation").fill("父亲")
    form.locator("#id_guardian_phone").fill("13912345678")
    look(liaison, "juvenile-referral-form")
    form.locator("[type=submit]").click()

    expect(liaison.locator("#referral-status")).to_have_attribute("data-status", "submitted")
    expect(liaison.locator("#referral-id-number")).to_have_text(
        id_number[:6] + "*" * 8 + id_number[-4:]
    )
    expect(liaison.locator("#referral-phone")).to_have_text("139****5678")
    look(liaison, "juvenile-referral-submitted")
    referral = Referral.objects.get()

    # -- the social worker accepts, interviews the father and writes the report -------------------
    worker = browsing.new_page()
    log_in(worker, "zhao.worker")
    worker.goto("/juvenile/")
    expect(worker.locator("#referrals")).to_contain_text("李小明")
    look(worker, "juvenile-list")
    worker.locator(f"[data-referral='{referral.pk}'] a").first.click()
    expect(worker.locator("#step-accept")).to_be_visible()
    look(worker, "juvenile-referral-to-accept")
    worker.locator("#step-accept [type=submit]").click()
    expect(worker.locator("#referral-status")).to_have_attribute("data-status", "accepted")
    expect(worker.locator("#referral-worker")).to_have_text("赵社工")

    worker.locator("#interview-new").click()
    interview = worker.locator("#interview-form")
    interview.locator("#id_interviewee").fill("李建军")
    interview.locator("#id_relation").fill("父亲")
    held = timezone.localtime() - dt.timedelta(days=1)
    interview.locator("#id_held_at").fill(held.strftime("%Y-%m-%dT%H:%M"))
    interview.locator("#id_method").select_option("home_visit")
    interview.locator("#id_place").fill("东王庄村家中")
    interview.locator("#id_summary").fill("父亲常年在外务工，与孩子沟通较少，愿意配合帮教。")
    look(worker, "juvenile-interview-form")
    interview.locator("[type=submit]").click()
    expect(worker.locator("#interviews")).to_contain_text("李建军")
    expect(worker.locator("#referral-status")).to_have_attribute("data-status", "in_progress")

    worker.locator("#report-edit").click()
    for key, heading, _label in SECTIONS:
        worker.locator(f"#s-{key}").fill(f"{heading}：经走访调查，情况属实，详见访谈记录。")
    look(worker, "juvenile-report-form")
    worker.locator("#report-save-submit").click()
    expect(worker.locator("#report-waiting")).to_be_visible()
    expect(worker.locator("[data-version='1'] [data-status]")).to_have_attribute(
        "data-status", "submitted"
    )
    look(worker, "juvenile-report-submitted")

    # -- the supervisor approves ----------------------------------------------------------------
    supervisor = browsing.new_page()
    log_in_with_totp(supervisor, "qian.admin", programme.totp)
    supervisor.goto(referral.get_absolute_url())
    expect(supervisor.locator("#report-decision")).to_be_visible()
    look(supervisor, "juvenile-report-to-approve")
    supervisor.locator("#report-approve").click()
    expect(supervisor.locator("[data-version='1'] [data-status]")).to_have_attribute(
        "data-status", "approved"
    )

    # -- the liaison downloads the Word document -------------------------------------------------
    liaison.goto(referral.get_absolute_url())
    expect(liaison.locator("#report-download")).to_be_visible()
    look(liaison, "juvenile-report-approved")
    with liaison.expect_download() as download_info:
        liaison.locator("#report-download").click()
    download = download_info.value
    assert download.suggested_filename == "社会调查报告-栾检未刑诉〔2026〕7号.docx"
    path = tmp_path / "report.docx"
    download.save_as(path)

    from docx import Document

    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert TITLE in text
    assert "三、家庭环境与家庭结构" in text
    assert "赵社工" in text and "钱督导" in text
