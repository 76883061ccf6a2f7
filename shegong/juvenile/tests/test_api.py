"""/api/v1/juvenile: the referrals a caller may see, one referral, and its approved report."""

import io

import pytest
from docx import Document

from shegong.audit.models import AccessAction, AccessLog
from shegong.factories import born_years_ago
from shegong.juvenile import services
from shegong.juvenile.api import DOCX
from shegong.people import idnumbers

from .conftest import referral_data

pytestmark = pytest.mark.django_db

LIST = "/api/v1/juvenile/referrals"


def detail(referral):
    return f"{LIST}/{referral.pk}"


def docx(referral):
    return f"{LIST}/{referral.pk}/report.docx"


def refer(regions, liaison, agency, **changes):
    return services.referral_submit(
        by=liaison, agency=agency, data=referral_data(regions, **changes)
    )


# ---- the list ----------------------------------------------------------------------------------


def test_a_liaison_lists_their_agencys_referrals(
    client, bearer, regions, referral, liaison, other_liaison, other_agency
):
    refer(regions, other_liaison, other_agency, case_number="妇联转〔2024〕7号")

    body = client.get(LIST, headers=bearer(liaison)).json()

    assert body["count"] == 1
    [item] = body["items"]
    assert item == item | {
        "id": referral.pk,
        "case_number": referral.case_number,
        "minor_name": "李小明",
        "agency_name": "栾城区人民检察院",
        "region_code": regions.village.code,
        "status": "submitted",
        "services": ["investigation", "guidance"],
        "version": 1,
    }


def test_a_programme_worker_lists_every_agencys_referrals(
    client, bearer, regions, referral, juvenile_worker, other_liaison, other_agency
):
    refer(regions, other_liaison, other_agency, case_number="妇联转〔2024〕7号")

    body = client.get(LIST, headers=bearer(juvenile_worker)).json()

    assert body["count"] == 2


def test_everyone_else_gets_an_empty_list(client, bearer, referral, village_director):
    response = client.get(LIST, headers=bearer(village_director))

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["items"] == []


def test_the_list_filters_by_status_agency_and_text(
    client, bearer, regions, referral, liaison, procuratorate, juvenile_worker, other_agency
):
    second = refer(
        regions, liaison, procuratorate, case_number="栾检未〔2024〕99号", minor_name="王芳"
    )
    services.referral_reject(
        by=juvenile_worker, referral_id=second.pk, version=second.version, reason="重复转介"
    )
    headers = bearer(juvenile_worker)

    def ids(**params):
        return [item["id"] for item in client.get(LIST, params, headers=headers).json()["items"]]

    assert ids(status="rejected") == [second.pk]
    assert ids(status="open") == [referral.pk]
    assert ids(q="王芳") == [second.pk]
    assert ids(q="99号") == [second.pk]
    assert ids(agency=procuratorate.pk) == [second.pk, referral.pk]
    assert ids(agency=other_agency.pk) == []


def test_the_list_is_paginated_like_people(
    client, bearer, settings, regions, liaison, procuratorate
):
    settings.SHEGONG_PAGE_SIZE = 2
    made = [
        refer(regions, liaison, procuratorate, case_number=f"栾检〔2024〕{n}号") for n in range(5)
    ]

    first = client.get(LIST, headers=bearer(liaison)).json()
    last = client.get(LIST, {"page": 3}, headers=bearer(liaison)).json()

    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    assert [item["id"] for item in first["items"]] == [made[4].pk, made[3].pk]
    assert [item["id"] for item in last["items"]] == [made[0].pk]
    assert client.get(LIST, {"page": 0}, headers=bearer(liaison)).status_code == 422


def test_the_list_costs_the_same_queries_for_one_or_many(
    client, bearer, regions, liaison, procuratorate, juvenile_worker, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = bearer(juvenile_worker)
    refer(regions, liaison, procuratorate, case_number="一号")
    with CaptureQueriesContext(connection) as one:
        client.get(LIST, headers=headers)
    for n in range(5):
        refer(regions, liaison, procuratorate, case_number=f"{n}号")

    with django_assert_num_queries(len(one)):
        assert client.get(LIST, headers=headers).json()["count"] == 6


def test_the_api_needs_a_login(client, referral):
    assert client.get(LIST).status_code == 401
    assert client.get(detail(referral)).status_code == 401


def test_a_browser_session_works_too(client_for, referral, juvenile_worker):
    response = client_for(juvenile_worker).get(LIST)

    assert response.json()["count"] == 1


# ---- one referral ------------------------------------------------------------------------------


@pytest.fixture
def identified(regions, liaison, procuratorate):
    """A referral with the minor's ID number."""
    number = idnumbers.make("130111", born_years_ago(15), 123)
    return refer(regions, liaison, procuratorate, id_number=number, case_number="栾检〔2024〕5号")


def test_the_detail_has_the_history_the_masked_id_and_no_report_yet(
    client, bearer, identified, liaison, juvenile_worker
):
    services.referral_accept(
        by=juvenile_worker, referral_id=identified.pk, version=identified.version
    )

    response = client.get(detail(identified), headers=bearer(liaison))

    assert response.status_code == 200
    body = response.json()
    assert body["id_number_masked"] == identified.id_number_masked
    assert identified.id_number not in response.content.decode()
    assert "13912345678" not in response.content.decode()
    assert body["guardian_phone_masked"] == identified.guardian_phone_masked
    assert body["services"] == ["investigation", "guidance"]
    assert body["status"] == "accepted"
    assert body["worker_name"] == "赵社工"
    assert [(e["from_status"], e["to_status"], e["by"]) for e in body["history"]] == [
        ("", "submitted", "孙检察"),
        ("submitted", "accepted", "赵社工"),
    ]
    assert body["report_versions"] == []
    assert body["report_url"] is None


def test_reading_the_detail_writes_the_access_log(client, bearer, referral, liaison):
    client.get(detail(referral), headers=bearer(liaison))

    row = AccessLog.objects.get()
    assert (row.user, row.action, row.object_type, row.object_id) == (
        liaison,
        AccessAction.READ,
        "juvenile.referral",
        str(referral.pk),
    )


def test_the_detail_lists_report_versions_and_links_the_approved_one(
    client, bearer, approved_referral, juvenile_worker, report_sections
):
    services.report_save(
        by=juvenile_worker, referral_id=approved_referral.pk, sections=report_sections
    )

    body = client.get(detail(approved_referral), headers=bearer(juvenile_worker)).json()

    assert [(v["number"], v["status"]) for v in body["report_versions"]] == [
        (2, "draft"),
        (1, "approved"),
    ]
    assert body["report_versions"][0]["decided_at"] is None
    assert body["report_versions"][1]["decided_at"]
    assert body["report_url"] == docx(approved_referral)


@pytest.mark.parametrize("who", ["other_liaison", "village_director", "outsider_worker"])
def test_others_get_404_for_the_detail_and_the_report(
    request, client, bearer, approved_referral, make_user, who
):
    from shegong.accounts.models import Role

    if who == "outsider_worker":
        user = make_user(Role.CENTER_WORKER, username="not_in_programme")
    else:
        user = request.getfixturevalue(who)
    headers = bearer(user)

    assert client.get(detail(approved_referral), headers=headers).status_code == 404
    assert client.get(docx(approved_referral), headers=headers).status_code == 404
    assert not AccessLog.objects.exists()


def test_a_missing_referral_is_404(client, bearer, juvenile_worker):
    assert client.get(f"{LIST}/999999", headers=bearer(juvenile_worker)).status_code == 404


# ---- the report --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["liaison", "juvenile_worker"])
def test_the_approved_report_downloads_as_word(request, client, bearer, approved_referral, who):
    user = request.getfixturevalue(who)

    response = client.get(docx(approved_referral), headers=bearer(user))

    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert ".docx" in disposition
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "未成年人社会调查报告"
    assert any(approved_referral.case_number in p.text for p in document.paragraphs)
    actions = set(AccessLog.objects.filter(user=user).values_list("action", flat=True))
    assert actions == {AccessAction.READ, AccessAction.EXPORT}


def test_without_an_approved_report_the_download_is_404(
    client, bearer, referral_in_progress, juvenile_worker, liaison, report_sections
):
    version = services.report_save(
        by=juvenile_worker, referral_id=referral_in_progress.pk, sections=report_sections
    )
    services.report_submit(by=juvenile_worker, version_id=version.pk)

    for user in (liaison, juvenile_worker):
        response = client.get(docx(referral_in_progress), headers=bearer(user))
        assert response.status_code == 404


def test_the_report_is_in_the_openapi_schema(client, bearer, juvenile_worker):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/juvenile/referrals",
        "/api/v1/juvenile/referrals/{referral_id}",
        "/api/v1/juvenile/referrals/{referral_id}/report.docx",
    } <= set(paths)
