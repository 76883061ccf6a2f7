"""The referral pages: who sees what (outsiders get 404), the referral form, the workflow
buttons, the interviews and documents, and the report from draft to the approved .docx."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.juvenile import services
from shegong.juvenile.models import (
    Document,
    Interview,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReportStatus,
    ReportVersion,
)
from shegong.juvenile.report import SECTION_KEYS, SECTIONS, TITLE

from .conftest import in_programme, referral_data

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def form_data(regions, **changes) -> dict:
    """The referral form as the browser posts it."""
    data = referral_data(regions)
    data.pop("sex")
    data.update(
        birth_date=data["birth_date"].isoformat(),
        due_on=data["due_on"].isoformat(),
        id_number="",
    )
    data.update(changes)
    return data


def all_sections(**changes) -> dict[str, str]:
    texts = {key: f"{heading}的内容。" for key, heading, _label in SECTIONS}
    texts.update(changes)
    return texts


@pytest.fixture
def accepted(referral, juvenile_worker):
    return services.referral_accept(
        by=juvenile_worker, referral_id=referral.pk, version=referral.version
    )


@pytest.fixture
def submitted_report(accepted, juvenile_worker):
    version = services.report_save(
        by=juvenile_worker, referral_id=accepted.pk, sections=all_sections()
    )
    return services.report_submit(by=juvenile_worker, version_id=version.pk)


@pytest.fixture
def approved_report(submitted_report, juvenile_supervisor):
    return services.report_decide(
        by=juvenile_supervisor, version_id=submitted_report.pk, approve=True
    )


@pytest.fixture
def other_referral(regions, other_liaison, other_agency):
    return services.referral_submit(
        by=other_liaison,
        agency=other_agency,
        data=referral_data(
            regions, case_number="妇联转介〔2024〕3号", minor_name="王小红", sex="F"
        ),
    )


# ---- who sees what -------------------------------------------------------------------------------


def test_the_list_shows_each_user_only_the_referrals_they_may_see(
    client_for, referral, other_referral, liaison, other_liaison, juvenile_worker
):
    def listed(user) -> set[str]:
        page = client_for(user).get("/juvenile/").content.decode()
        return {name for name in ("李小明", "王小红") if name in page}

    assert listed(liaison) == {"李小明"}
    assert listed(other_liaison) == {"王小红"}
    assert listed(juvenile_worker) == {"李小明", "王小红"}


def test_the_list_filters_by_status_agency_and_name(
    client_for, referral, other_referral, juvenile_worker, procuratorate
):
    client = client_for(juvenile_worker)

    by_agency = client.get(f"/juvenile/?agency={procuratorate.pk}").content.decode()
    by_name = client.get("/juvenile/?q=王小").content.decode()
    none_accepted = client.get("/juvenile/?status=accepted").content.decode()

    assert "李小明" in by_agency and "王小红" not in by_agency
    assert "王小红" in by_name and "李小明" not in by_name
    assert "李小明" not in none_accepted and "王小红" not in none_accepted


def test_an_open_referral_past_its_due_date_is_marked_in_the_list(
    client_for, referral, juvenile_worker
):
    Referral.objects.filter(pk=referral.pk).update(due_on=timezone.localdate() - dt.timedelta(1))

    page = client_for(juvenile_worker).get("/juvenile/").content.decode()

    assert "data-overdue" in page


def test_the_list_takes_a_fixed_number_of_queries(
    client_for, regions, liaison, procuratorate, juvenile_worker, django_assert_max_num_queries
):
    for n in range(8):
        services.referral_submit(
            by=liaison,
            agency=procuratorate,
            data=referral_data(regions, case_number=f"案{n}", minor_name=f"少年{n}"),
        )
    client = client_for(juvenile_worker)
    client.get("/juvenile/")  # session, scope caches

    with django_assert_max_num_queries(10):
        response = client.get("/juvenile/")

    assert response.status_code == 200
    assert response.content.decode().count("data-referral=") == 8


def test_the_referral_page_takes_a_fixed_number_of_queries(
    client_for, accepted, juvenile_worker, django_assert_max_num_queries
):
    held = timezone.now() - dt.timedelta(days=1)
    for n in range(3):
        services.interview_add(
            by=juvenile_worker,
            referral_id=accepted.pk,
            data={
                "interviewee": f"访谈对象{n}",
                "relation": "老师",
                "held_at": held,
                "place": "学校",
                "method": "in_person",
                "summary": "表现良好。",
            },
        )
    client = client_for(juvenile_worker)
    client.get(f"/juvenile/{accepted.pk}/")

    with django_assert_max_num_queries(22):
        response = client.get(f"/juvenile/{accepted.pk}/")

    assert response.content.decode().count("data-interview=") == 3


@pytest.mark.parametrize("path", ["/", "/report.docx", "/report/", "/interviews/new/"])
def test_a_liaison_of_another_agency_gets_404(
    client_for, referral, approved_report, other_liaison, path
):
    response = client_for(other_liaison).get(f"/juvenile/{referral.pk}{path}")

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/juvenile/", "/juvenile/new/", "/juvenile/{pk}/"])
def test_a_village_director_gets_404(client_for, referral, village_director, path):
    response = client_for(village_director).get(path.format(pk=referral.pk))

    assert response.status_code == 404


def test_a_district_worker_outside_the_programme_gets_404(client_for, referral, make_user):
    elderly_worker = make_user(Role.CENTER_WORKER)

    client = client_for(elderly_worker)

    assert client.get("/juvenile/").status_code == 404
    assert client.get(f"/juvenile/{referral.pk}/").status_code == 404


def test_a_district_admin_outside_the_programme_gets_404(admin_client, referral):
    assert admin_client.get(f"/juvenile/{referral.pk}/").status_code == 404


def test_reading_a_referral_is_in_the_access_log(client_for, referral, liaison):
    response = client_for(liaison).get(f"/juvenile/{referral.pk}/")

    assert response.status_code == 200
    entry = AccessLog.objects.get(object_type="juvenile.referral", object_id=str(referral.pk))
    assert (entry.user, entry.action) == (liaison, AccessAction.READ)


def test_the_referral_page_masks_the_id_number_and_phone(
    client_for, regions, liaison, procuratorate
):
    number = "130111200901010012"
    referral = services.referral_submit(
        by=liaison,
        agency=procuratorate,
        data=referral_data(regions, id_number=number, birth_date=None, sex=""),
    )

    page = client_for(liaison).get(f"/juvenile/{referral.pk}/").content.decode()

    assert "130111********0012" in page and number not in page
    assert "139****5678" in page and "13912345678" not in page


# ---- the referral form ---------------------------------------------------------------------------


def test_the_liaison_refers_a_minor_with_the_form(client_for, regions, liaison, procuratorate):
    client = client_for(liaison)
    assert regions.village.name in client.get("/juvenile/new/").content.decode()

    response = client.post(
        "/juvenile/new/",
        form_data(regions, id_number="130111200901010012", birth_date="", sex=""),
    )

    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == referral.get_absolute_url()
    assert (referral.agency, referral.region, referral.referred_by) == (
        procuratorate,
        regions.village,
        liaison,
    )
    # The date of birth and the sex come from the ID number.
    assert (referral.birth_date, referral.sex) == (dt.date(2009, 1, 1), "M")
    assert referral.id_number == "130111200901010012"
    assert referral.services == ["investigation", "guidance"]
    assert referral.status == ReferralStatus.SUBMITTED


def test_the_referral_form_shows_the_services_errors_next_to_the_fields(
    client_for, regions, liaison
):
    past = (timezone.localdate() - dt.timedelta(days=3)).isoformat()

    response = client_for(liaison).post(
        "/juvenile/new/", form_data(regions, id_number="130111200901010013", due_on=past)
    )

    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-field-error="id_number"' in page
    assert 'data-field-error="due_on"' in page
    assert not Referral.objects.exists()


def test_the_referral_form_requires_a_service_and_a_village(client_for, regions, liaison):
    data = form_data(regions, region_code="")
    del data["services"]

    response = client_for(liaison).post("/juvenile/new/", data)

    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-field-error="services"' in page
    assert 'data-field-error="region_code"' in page


def test_a_liaison_of_two_agencies_chooses_the_referring_one(
    client_for, regions, liaison, other_agency
):
    other_agency.liaisons.add(liaison)
    client = client_for(liaison)
    assert 'name="agency"' in client.get("/juvenile/new/").content.decode()

    response = client.post("/juvenile/new/", form_data(regions, agency=other_agency.pk, sex="M"))

    assert response.status_code == 302
    assert Referral.objects.get().agency == other_agency


def test_only_a_liaison_refers(client_for, juvenile_worker):
    assert client_for(juvenile_worker).get("/juvenile/new/").status_code == 404


# ---- the workflow --------------------------------------------------------------------------------


def test_the_worker_accepts_the_referral_for_a_colleague(
    client_for, referral, juvenile_worker, make_user
):
    colleague = in_programme(make_user(Role.CENTER_WORKER, full_name="吴社工"))
    client = client_for(juvenile_worker)
    page = client.get(f"/juvenile/{referral.pk}/").content.decode()
    assert 'data-step="accept"' in page and "吴社工" in page

    response = client.post(
        f"/juvenile/{referral.pk}/accept/",
        {"version": referral.version, "worker": colleague.pk},
    )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert (referral.status, referral.worker) == (ReferralStatus.ACCEPTED, colleague)
    assert referral.events.last().to_status == ReferralStatus.ACCEPTED


def test_accepting_a_referral_that_changed_meanwhile_says_so(client_for, referral, juvenile_worker):
    client = client_for(juvenile_worker)

    response = client.post(
        f"/juvenile/{referral.pk}/accept/", {"version": referral.version - 1}, follow=True
    )

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED
    assert "alert-danger" in response.content.decode()


def test_rejecting_needs_a_reason(client_for, referral, juvenile_worker):
    client = client_for(juvenile_worker)

    blank = client.post(f"/juvenile/{referral.pk}/reject/", {"version": referral.version})
    given = client.post(
        f"/juvenile/{referral.pk}/reject/",
        {"version": referral.version, "reason": "不属于本区管辖。"},
    )

    referral.refresh_from_db()
    assert blank.status_code == 422 and 'data-field-error="reason"' in blank.content.decode()
    assert given.status_code == 302
    assert (referral.status, referral.reject_reason) == (
        ReferralStatus.REJECTED,
        "不属于本区管辖。",
    )


def test_the_liaison_withdraws_but_never_accepts(client_for, referral, liaison):
    client = client_for(liaison)
    page = client.get(f"/juvenile/{referral.pk}/").content.decode()
    assert 'data-step="withdraw"' in page and 'data-step="accept"' not in page

    accept = client.post(f"/juvenile/{referral.pk}/accept/", {"version": referral.version})
    withdraw = client.post(
        f"/juvenile/{referral.pk}/withdraw/",
        {"version": referral.version, "reason": "案件已移送外地。"},
    )

    referral.refresh_from_db()
    assert accept.status_code == 404
    assert withdraw.status_code == 302 and referral.status == ReferralStatus.WITHDRAWN
    assert ReferralEvent.objects.filter(referral=referral, note="案件已移送外地。").exists()


def test_the_worker_starts_an_accepted_referral(client_for, accepted, juvenile_worker):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{accepted.pk}/start/", {"version": accepted.version}
    )

    accepted.refresh_from_db()
    assert response.status_code == 302 and accepted.status == ReferralStatus.IN_PROGRESS


def test_an_unknown_action_is_404(client_for, referral, juvenile_worker):
    response = client_for(juvenile_worker).post(f"/juvenile/{referral.pk}/finish/", {})

    assert response.status_code == 404


# ---- interviews and documents --------------------------------------------------------------------


def test_the_worker_records_an_interview(client_for, accepted, juvenile_worker):
    held = timezone.localtime() - dt.timedelta(days=1)

    response = client_for(juvenile_worker).post(
        f"/juvenile/{accepted.pk}/interviews/new/",
        {
            "interviewee": "李建军",
            "relation": "父亲",
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "place": "家中",
            "method": "home_visit",
            "summary": "父亲常年在外务工，与孩子沟通少。",
        },
    )

    interview = Interview.objects.get()
    accepted.refresh_from_db()
    assert response.status_code == 302
    assert (interview.referral, interview.recorded_by) == (accepted, juvenile_worker)
    assert accepted.status == ReferralStatus.IN_PROGRESS


def test_an_interview_form_with_gaps_answers_422(client_for, accepted, juvenile_worker):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{accepted.pk}/interviews/new/", {"interviewee": "李建军"}
    )

    assert response.status_code == 422
    assert 'data-field-error="summary"' in response.content.decode()


def test_a_liaison_reads_interviews_but_cannot_record_one(client_for, accepted, liaison):
    client = client_for(liaison)

    assert client.get(f"/juvenile/{accepted.pk}/interviews/new/").status_code == 404
    assert 'id="interview-new"' not in client.get(f"/juvenile/{accepted.pk}/").content.decode()


def test_a_document_is_uploaded_and_downloaded_within_scope(
    client_for, accepted, juvenile_worker, liaison, other_liaison, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("score.pdf", b"%PDF-1.4 test", content_type="application/pdf")

    response = client_for(juvenile_worker).post(
        f"/juvenile/{accepted.pk}/documents/new/", {"title": "成绩单", "file": upload}
    )

    document = Document.objects.get()
    assert response.status_code == 302 and document.uploaded_by == juvenile_worker
    download = client_for(liaison).get(f"/juvenile/{accepted.pk}/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert quote("成绩单.pdf") in download["Content-Disposition"]
    outsider = client_for(other_liaison).get(f"/juvenile/{accepted.pk}/documents/{document.pk}/")
    assert outsider.status_code == 404


def test_a_document_needs_a_file(client_for, accepted, juvenile_worker):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{accepted.pk}/documents/new/", {"title": "成绩单"}
    )

    assert response.status_code == 422
    assert 'data-field-error="file"' in response.content.decode()
    assert not Document.objects.exists()


# ---- the report ----------------------------------------------------------------------------------


def test_the_report_editor_shows_the_ten_sections(client_for, accepted, juvenile_worker):
    page = client_for(juvenile_worker).get(f"/juvenile/{accepted.pk}/report/").content.decode()

    for key, heading, _label in SECTIONS:
        assert f'name="{key}"' in page and heading in page


def test_the_report_editor_adds_english_labels_in_the_english_ui(
    client_for, accepted, juvenile_worker
):
    client = client_for(juvenile_worker)
    client.cookies["django_language"] = "en"

    page = client.get(f"/juvenile/{accepted.pk}/report/").content.decode()

    assert "家庭环境与家庭结构" in page and "Family environment and structure" in page


def test_the_worker_saves_a_draft_then_saves_and_submits(client_for, accepted, juvenile_worker):
    client = client_for(juvenile_worker)

    draft = client.post(f"/juvenile/{accepted.pk}/report/", all_sections(assessment=""))
    version = ReportVersion.objects.get()
    assert draft.status_code == 302 and version.status == ReportStatus.DRAFT
    assert (
        "家庭环境与家庭结构的内容"
        in client.get(f"/juvenile/{accepted.pk}/report/").content.decode()
    )

    incomplete = client.post(
        f"/juvenile/{accepted.pk}/report/", {**all_sections(assessment=""), "submit": "1"}
    )
    assert incomplete.status_code == 422
    assert 'data-field-error="assessment"' in incomplete.content.decode()

    done = client.post(f"/juvenile/{accepted.pk}/report/", {**all_sections(), "submit": "1"})
    version.refresh_from_db()
    assert done.status_code == 302
    assert (version.number, version.status) == (1, ReportStatus.SUBMITTED)
    assert version.sections["assessment"] == "综合评估与建议的内容。"


def test_the_draft_is_submitted_from_the_referral_page(client_for, accepted, juvenile_worker):
    version = services.report_save(
        by=juvenile_worker, referral_id=accepted.pk, sections=all_sections()
    )

    response = client_for(juvenile_worker).post(f"/juvenile/{accepted.pk}/report/1/submit/")

    version.refresh_from_db()
    assert response.status_code == 302 and version.status == ReportStatus.SUBMITTED


def test_the_supervisor_approves_and_the_liaison_downloads_the_word_document(
    client_for, submitted_report, juvenile_supervisor, liaison
):
    referral = submitted_report.referral
    supervisor = client_for(juvenile_supervisor)
    assert 'id="report-approve"' in supervisor.get(f"/juvenile/{referral.pk}/").content.decode()

    response = supervisor.post(f"/juvenile/{referral.pk}/report/1/approve/")

    submitted_report.refresh_from_db()
    assert response.status_code == 302
    assert submitted_report.status == ReportStatus.APPROVED
    download = client_for(liaison).get(f"/juvenile/{referral.pk}/report.docx")
    assert download.status_code == 200
    assert download["Content-Type"] == DOCX
    assert "filename*=utf-8''" in download["Content-Disposition"]
    assert quote("社会调查报告-") in download["Content-Disposition"]
    from docx import Document as Docx

    text = "\n".join(p.text for p in Docx(io.BytesIO(download.content)).paragraphs)
    assert TITLE in text and "家庭环境与家庭结构" in text and referral.case_number in text
    log = AccessLog.objects.filter(user=liaison, object_id=str(referral.pk))
    assert log.filter(action=AccessAction.READ).exists()


def test_the_author_cannot_approve_their_own_report(client_for, submitted_report, juvenile_worker):
    referral = submitted_report.referral

    response = client_for(juvenile_worker).post(f"/juvenile/{referral.pk}/report/1/approve/")

    submitted_report.refresh_from_db()
    assert response.status_code == 422
    assert submitted_report.status == ReportStatus.SUBMITTED


def test_returning_a_report_needs_a_comment_and_editing_makes_version_two(
    client_for, submitted_report, juvenile_supervisor, juvenile_worker
):
    referral = submitted_report.referral
    supervisor = client_for(juvenile_supervisor)

    blank = supervisor.post(f"/juvenile/{referral.pk}/report/1/return/", {"comment": ""})
    given = supervisor.post(
        f"/juvenile/{referral.pk}/report/1/return/", {"comment": "补充学校访谈"}
    )

    submitted_report.refresh_from_db()
    assert blank.status_code == 422 and 'data-field-error="comment"' in blank.content.decode()
    assert given.status_code == 302 and submitted_report.status == ReportStatus.RETURNED
    worker = client_for(juvenile_worker)
    editor = worker.get(f"/juvenile/{referral.pk}/report/").content.decode()
    assert "补充学校访谈" in editor and "基本情况的内容" in editor
    worker.post(f"/juvenile/{referral.pk}/report/", all_sections(social="补充了班主任的访谈。"))
    assert list(referral.report_versions.values_list("number", "status")) == [
        (2, ReportStatus.DRAFT),
        (1, ReportStatus.RETURNED),
    ]


def test_the_liaison_sees_no_draft_and_no_download_before_approval(
    client_for, submitted_report, liaison
):
    referral = submitted_report.referral
    client = client_for(liaison)

    page = client.get(f"/juvenile/{referral.pk}/").content.decode()

    assert "基本情况的内容" not in page and 'id="report-download"' not in page
    assert client.get(f"/juvenile/{referral.pk}/report.docx").status_code == 404
    assert client.get(f"/juvenile/{referral.pk}/report/").status_code == 404


def test_the_report_cannot_be_written_before_the_referral_is_accepted(
    client_for, referral, juvenile_worker
):
    response = client_for(juvenile_worker).post(f"/juvenile/{referral.pk}/report/", all_sections())

    assert response.status_code == 422
    assert not ReportVersion.objects.exists()


def test_every_section_key_is_a_text_area(client_for, accepted, juvenile_worker):
    page = client_for(juvenile_worker).get(f"/juvenile/{accepted.pk}/report/").content.decode()

    assert page.count("<textarea") == len(SECTION_KEYS) == 10


def test_a_liaison_reads_their_notifications_on_the_referral_list(
    client_for, liaison, juvenile_worker, referral, django_capture_on_commit_callbacks
):
    from shegong.juvenile import services as juvenile_services

    with django_capture_on_commit_callbacks(execute=True):  # notifications are made on commit
        juvenile_services.referral_reject(
            by=juvenile_worker,
            referral_id=referral.pk,
            version=referral.version,
            reason="不属于本项目",
        )
    client = client_for(liaison)
    page = client.get("/juvenile/")
    assert 'id="liaison-notifications"' in page.content.decode()
    assert referral.case_number in page.content.decode()
    response = client.post("/work/notifications/read/", {"next": "/juvenile/?status=rejected"})
    assert response.status_code == 302 and response["Location"] == "/juvenile/?status=rejected"
    assert 'id="liaison-notifications"' not in client.get("/juvenile/").content.decode()
    # An address outside the site is not followed.
    elsewhere = client.post("/work/notifications/read/", {"next": "https://example.com/"})
    assert elsewhere["Location"] == "/work/my-work/"
