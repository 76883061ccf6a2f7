import datetime as dt

import pytest
from django.utils import timezone

from shegong.casework import services
from shegong.casework.models import ApprovalSubject, Stage, Visit
from shegong.factories import PersonFactory

from .conftest import move

pytestmark = pytest.mark.django_db


@pytest.fixture
def headers(bearer, village_director):
    return bearer(village_director)


def post_visit(client, headers, **fields):
    return client.post("/api/v1/visits", fields, content_type="application/json", headers=headers)


def test_a_case_comes_with_its_people_plan_approvals_and_trail(
    client, headers, case, village_director, assistant
):
    case = services.case_assign(
        by=village_director, case_id=case.pk, version=case.version, worker=assistant
    )
    services.plan_task_add(
        by=village_director,
        case_id=case.pk,
        title="联系学校",
        owner=assistant,
        due_on=timezone.localdate(),
    )
    case = move(case, Stage.ASSESSMENT, by=village_director)
    services.approval_request(
        by=village_director, case_id=case.pk, subject=ApprovalSubject.ASSESSMENT
    )

    response = client.get(f"/api/v1/cases/{case.pk}", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert (
        body
        | {
            "id": case.pk,
            "person_id": case.person_id,
            "person_name": "李小花",
            "programme": "minors",
            "stage": "assessment",
            "version": case.version,
        }
        == body
    )
    assert body["owner"]["username"] == "director"
    assert [w["username"] for w in body["workers"]] == ["assistant"]
    assert [t["title"] for t in body["plan"]["tasks"]] == ["联系学校"]
    assert [(a["subject"], a["status"]) for a in body["approvals"]] == [("assessment", "requested")]
    assert [e["kind"] for e in body["events"]] == ["opened", "assigned", "stage", "approval"]
    assert case.person.id_number not in response.content.decode()


def test_a_case_outside_the_scope_is_404(client, bearer, outsider, case):
    assert client.get(f"/api/v1/cases/{case.pk}", headers=bearer(outsider)).status_code == 404
    assert client.get("/api/v1/cases/999999", headers=bearer(outsider)).status_code == 404


def test_recording_a_visit_answers_201_and_joins_the_case(client, headers, case, child):
    today = timezone.localdate()
    response = post_visit(
        client,
        headers,
        person_id=child.pk,
        programme="minors",
        visited_on=today.isoformat(),
        mode="home",
        seen="奶奶和孩子",
        observations="按时上学",
        concerns="",
        next_visit_on=(today + dt.timedelta(days=7)).isoformat(),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["case_id"] == case.pk
    assert body["visited_by"]["username"] == "director"
    assert Visit.objects.get().seen == "奶奶和孩子"


def test_wrong_visit_fields_answer_422_naming_them(client, headers, child):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post_visit(
        client,
        headers,
        person_id=child.pk,
        programme="minors",
        visited_on=tomorrow.isoformat(),
        mode="teleport",
    )

    assert response.status_code == 422
    fields = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert fields == {("body", "visited_on"), ("body", "mode")}
    assert not Visit.objects.exists()


def test_a_missing_field_answers_422(client, headers, child):
    response = post_visit(client, headers, person_id=child.pk, programme="minors", mode="home")

    assert response.status_code == 422
    assert any("visited_on" in error["loc"] for error in response.json()["detail"])


def test_a_visit_to_a_person_out_of_scope_is_404(client, headers, regions):
    far = PersonFactory(region=regions.far_village)
    response = post_visit(
        client,
        headers,
        person_id=far.pk,
        programme="minors",
        visited_on=(timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        mode="nonsense",
    )

    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_the_api_needs_a_login(client, case):
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 401
