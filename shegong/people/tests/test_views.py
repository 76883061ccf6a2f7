import datetime as dt

import pytest

from shegong.audit.models import AccessAction, AccessLog
from shegong.factories import PersonFactory, born_years_ago
from shegong.people import idnumbers
from shegong.people.models import Person, Relation
from shegong.testing import login

pytestmark = pytest.mark.django_db

NUMBER = idnumbers.make("130111", dt.date(1985, 7, 1), 123)


def form_data(region, **fields):
    return {
        "name": "张建国",
        "id_number": NUMBER,
        "region_code": region.code,
        "status": "active",
        **fields,
    }


def test_the_list_shows_people_masked(director_client, person):
    response = director_client.get("/people/")

    content = response.content.decode()
    assert person.id_number_masked in content
    assert person.id_number not in content


def test_the_list_finds_a_person_by_partial_name(director_client, regions):
    wanted = PersonFactory(region=regions.village, name="王小明")
    other = PersonFactory(region=regions.village, name="李四")

    response = director_client.get("/people/", {"q": "小明"})

    assert [p.pk for p in response.context["people"]] == [wanted.pk]
    assert other.name not in response.content.decode()


def test_an_htmx_search_renders_only_the_results(director_client, person):
    response = director_client.get("/people/", {"q": "张"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert person.name in response.content.decode()


def test_the_list_needs_a_login(client, regions):
    response = client.get("/people/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_detail_page_shows_the_masked_number_only(director_client, person):
    response = director_client.get(f"/people/{person.pk}/")

    assert response.status_code == 200
    assert person.id_number_masked in response.content.decode()
    assert person.id_number not in response.content.decode()


def test_revealing_the_id_number_shows_it_and_logs_it(director_client, village_director, person):
    response = director_client.post(f"/people/{person.pk}/reveal/id_number/")

    assert person.id_number in response.content.decode()
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.person, entry.field) == (
        village_director,
        AccessAction.REVEAL,
        person,
        "id_number",
    )
    assert entry.ip_address == "127.0.0.1"


def test_revealing_the_phone_shows_it(director_client, regions):
    person = PersonFactory(region=regions.village, phone="13912345678")

    response = director_client.post(f"/people/{person.pk}/reveal/phone/")

    assert "13912345678" in response.content.decode()
    assert AccessLog.objects.get().field == "phone"


def test_revealing_another_field_is_404(director_client, person):
    response = director_client.post(f"/people/{person.pk}/reveal/name/")

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_reveal_refuses_get(director_client, person):
    assert director_client.get(f"/people/{person.pk}/reveal/id_number/").status_code == 405
    assert not AccessLog.objects.exists()


def test_the_create_form_registers_a_person(director_client, regions, village_director):
    response = director_client.post("/people/new/", form_data(regions.village))

    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    assert (person.name, person.sex, person.created_by) == ("张建国", "M", village_director)


def test_the_create_form_shows_a_wrong_check_digit_under_the_id_field(director_client, regions):
    wrong = NUMBER[:17] + ("1" if NUMBER[17] != "1" else "2")

    response = director_client.post("/people/new/", form_data(regions.village, id_number=wrong))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["id_number"]
    assert NUMBER[17] in errors["id_number"][0]
    assert errors["id_number"][0] in response.content.decode()
    assert not Person.objects.exists()


def test_the_create_form_says_a_missing_name_is_required_in_chinese(director_client, regions):
    response = director_client.post("/people/new/", form_data(regions.village, name=""))

    # Django's own message, translated by Django's zh_Hans catalogue.
    assert response.context["form"].errors["name"] == ["这个字段是必填项。"]
    assert "这个字段是必填项。" in response.content.decode()


def test_the_create_form_reports_a_duplicate_on_the_id_field(director_client, regions, person):
    response = director_client.post(
        "/people/new/", form_data(regions.village, id_number=person.id_number)
    )

    assert list(response.context["form"].errors) == ["id_number"]
    assert Person.objects.count() == 1


def test_the_create_form_offers_only_villages_in_the_writers_area(director_client, regions):
    response = director_client.get("/people/new/")

    offered = [code for code, _ in response.context["form"].fields["region_code"].choices if code]
    assert offered == [regions.village.code]


def test_the_create_form_is_404_for_a_role_without_registry_rights(client, make_user, regions):
    login(client, make_user("viewer"))

    assert client.get("/people/new/").status_code == 404
    assert client.post("/people/new/", form_data(regions.village)).status_code == 404
    assert not Person.objects.exists()


def test_opening_the_edit_form_is_a_logged_reveal(director_client, village_director, person):
    response = director_client.get(f"/people/{person.pk}/edit/")

    assert response.status_code == 200
    assert response.context["form"].initial["id_number"] == person.id_number
    reveals = AccessLog.objects.filter(action=AccessAction.REVEAL, person=person)
    assert "id_number" in {entry.field for entry in reveals}
    assert {entry.user for entry in reveals} == {village_director}


def test_the_edit_form_saves_and_bumps_the_version(director_client, person):
    data = form_data(person.region, id_number=person.id_number, notes="已探访", version=1)

    response = director_client.post(f"/people/{person.pk}/edit/", data)

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.notes, person.version) == ("已探访", 2)


def test_the_edit_form_refuses_a_stale_version(director_client, person):
    Person.objects.filter(pk=person.pk).update(version=2, notes="他人的修改")
    data = form_data(person.region, id_number=person.id_number, notes="我的修改", version=1)

    response = director_client.post(f"/people/{person.pk}/edit/", data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    person.refresh_from_db()
    assert (person.notes, person.version) == ("他人的修改", 2)


def test_a_relation_is_added_by_the_relatives_id_number(director_client, regions):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(6))
    mother = PersonFactory(region=regions.village, sex="F")

    director_client.post(
        f"/people/{child.pk}/relations/",
        {"relative_id_number": mother.id_number, "kind": "parent", "is_primary_guardian": "on"},
    )

    relation = Relation.objects.get()
    assert (relation.person, relation.relative, relation.is_primary_guardian) == (
        child,
        mother,
        True,
    )


def test_a_relative_outside_the_area_is_not_found_by_id_number(director_client, regions):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(6))
    stranger = PersonFactory(region=regions.sibling_village)

    director_client.post(
        f"/people/{child.pk}/relations/",
        {"relative_id_number": stranger.id_number, "kind": "parent"},
    )

    assert not Relation.objects.exists()


def test_the_detail_page_shows_an_old_and_young_household(director_client, regions):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(9), name="小明")
    grandmother = PersonFactory(
        region=regions.village, sex="F", birth_date=born_years_ago(71), name="王奶奶"
    )
    director_client.post(f"/people/{grandmother.pk}/household/", {"action": "new"})
    director_client.post(
        f"/people/{child.pk}/household/",
        {"action": "join", "member_id_number": grandmother.id_number},
    )

    response = director_client.get(f"/people/{child.pk}/")

    household = response.context["household"]
    assert household.is_old_and_young
    assert {m.name for m in household.members} == {"小明", "王奶奶"}
    assert "王奶奶" in response.content.decode()


def test_the_inline_id_check_says_what_the_number_means(director_client):
    response = director_client.get("/people/check-id/", {"id_number": NUMBER})

    assert response.status_code == 200
    assert response.context["parsed"].birth_date == dt.date(1985, 7, 1)
    assert "error" not in response.context


def test_the_inline_id_check_explains_a_wrong_number(director_client):
    response = director_client.get("/people/check-id/", {"id_number": NUMBER[:17] + "Y"})

    assert response.context["error"]
    assert response.context["error"] in response.content.decode()


def test_the_inline_id_check_is_404_for_a_role_without_registry_rights(client, make_user):
    login(client, make_user("volunteer"))

    assert client.get("/people/check-id/", {"id_number": NUMBER}).status_code == 404
