import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404

from shegong.accounts.models import Role
from shegong.factories import PersonFactory, born_years_ago
from shegong.people import idnumbers, selectors, services
from shegong.people.models import Category, Person, PersonCategory, Relation, RelationKind

pytestmark = pytest.mark.django_db


def data_for(region, *, birth=dt.date(1985, 7, 1), sequence=123, **extra):
    return {
        "name": "张建国",
        "id_number": idnumbers.make("130111", birth, sequence),
        "region_code": region.code,
        **extra,
    }


def test_create_derives_sex_and_birth_date_from_the_id_number(regions, village_director):
    created = services.person_create(
        by=village_director, data=data_for(regions.village, birth=dt.date(1952, 3, 4), sequence=124)
    )

    person = Person.objects.get(pk=created.pk)
    assert person.sex == "F"
    assert person.birth_date == dt.date(1952, 3, 4)
    assert person.id_number_masked == person.id_number[:6] + "********" + person.id_number[-4:]
    assert person.created_by == village_director
    assert person.version == 1


def test_create_accepts_sex_and_birth_date_that_agree(regions, village_director):
    data = data_for(regions.village, sex="M", birth_date="1985-07-01")

    person = services.person_create(by=village_director, data=data)

    assert person.sex == "M"


def test_create_rejects_a_sex_that_disagrees_with_the_id_number(regions, village_director):
    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data_for(regions.village, sex="F"))

    assert set(caught.value.message_dict) == {"sex"}
    assert not Person.objects.exists()


def test_create_rejects_a_birth_date_that_disagrees_with_the_id_number(regions, village_director):
    data = data_for(regions.village, birth_date=dt.date(1985, 7, 2))

    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data)

    assert set(caught.value.message_dict) == {"birth_date"}
    assert "1985-07-01" in caught.value.message_dict["birth_date"][0]


def test_create_puts_an_invalid_id_number_on_its_field(regions, village_director):
    data = data_for(regions.village)
    data["id_number"] = data["id_number"][:17] + ("1" if data["id_number"][17] != "1" else "2")

    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data)

    assert list(caught.value.message_dict) == ["id_number"]
    assert caught.value.message_dict["id_number"][0]


def test_create_rejects_a_duplicate_id_number(regions, village_director):
    first = services.person_create(by=village_director, data=data_for(regions.village))

    with pytest.raises(services.DuplicatePerson) as caught:
        services.person_create(by=village_director, data=data_for(regions.village, name="另一个人"))

    assert caught.value.existing_id == first.pk
    assert Person.objects.count() == 1


def test_a_duplicate_is_found_even_when_the_existing_person_is_outside_the_writers_area(
    regions, village_director
):
    PersonFactory(region=regions.far_village, id_number=data_for(regions.village)["id_number"])

    with pytest.raises(services.DuplicatePerson):
        services.person_create(by=village_director, data=data_for(regions.village))


def test_create_normalises_a_15_digit_number_before_the_duplicate_check(regions, village_director):
    services.person_create(by=village_director, data=data_for(regions.village))
    old_style = "130111850701123"

    with pytest.raises(services.DuplicatePerson):
        services.person_create(
            by=village_director, data={**data_for(regions.village), "id_number": old_style}
        )


def test_create_refuses_a_village_outside_the_writers_area(regions, village_director):
    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data_for(regions.sibling_village))

    assert list(caught.value.message_dict) == ["region_code"]
    assert not Person.objects.exists()


def test_create_refuses_a_township_as_the_village(regions, district_admin):
    with pytest.raises(ValidationError) as caught:
        services.person_create(by=district_admin, data=data_for(regions.township))

    assert list(caught.value.message_dict) == ["region_code"]


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER, Role.COUNSELOR])
def test_roles_without_registry_rights_cannot_create(regions, make_user, role):
    with pytest.raises(ValidationError) as caught:
        services.person_create(by=make_user(role), data=data_for(regions.village))

    assert "region_code" in caught.value.message_dict
    assert not Person.objects.exists()


def test_create_rejects_a_malformed_phone(regions, village_director):
    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data_for(regions.village, phone="12345"))

    assert list(caught.value.message_dict) == ["phone"]


def test_create_stores_categories(regions, village_director):
    data = data_for(regions.village, categories=[Category.DIBAO, Category.LIVING_ALONE])

    person = services.person_create(by=village_director, data=data)

    assert sorted(person.category_codes) == [Category.DIBAO, Category.LIVING_ALONE]


def test_a_disabled_person_needs_kind_and_grade(regions, village_director):
    data = data_for(regions.village, categories=[Category.DISABLED])

    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data)

    assert "disability_kind" in caught.value.message_dict


def test_a_disability_kind_without_grade_is_refused(regions, village_director):
    data = data_for(regions.village, disability_kind="visual")

    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data)

    assert "disability_kind" in caught.value.message_dict


def test_a_disability_grade_outside_1_to_4_is_refused(regions, village_director):
    data = data_for(regions.village, disability_kind="visual", disability_grade=5)

    with pytest.raises(ValidationError) as caught:
        services.person_create(by=village_director, data=data)

    assert "disability_grade" in caught.value.message_dict


def test_kind_and_grade_record_the_disabled_category(regions, village_director):
    data = data_for(regions.village, disability_kind="physical", disability_grade=2)

    person = services.person_create(by=village_director, data=data)

    assert person.category_codes == [Category.DISABLED]
    assert (person.disability_kind, person.disability_grade) == ("physical", 2)


def test_update_bumps_the_version(person, village_director):
    updated = services.person_update(
        by=village_director, person_id=person.pk, version=1, changes={"notes": "每周探访"}
    )

    person.refresh_from_db()
    assert updated.version == person.version == 2
    assert person.notes == "每周探访"


def test_update_with_a_stale_version_changes_nothing(person, village_director):
    services.person_update(
        by=village_director, person_id=person.pk, version=1, changes={"notes": "first"}
    )

    with pytest.raises(services.StaleVersion) as caught:
        services.person_update(
            by=village_director, person_id=person.pk, version=1, changes={"name": "王五"}
        )

    person.refresh_from_db()
    assert caught.value.current_version == 2
    assert (person.name, person.notes, person.version) == ("张建国", "first", 2)


def test_update_sets_and_unsets_categories(person, village_director):
    services.person_update(
        by=village_director,
        person_id=person.pk,
        version=1,
        changes={"categories": [Category.DIBAO, Category.EMPTY_NEST]},
    )
    assert sorted(Person.objects.get(pk=person.pk).category_codes) == ["dibao", "empty_nest"]

    services.person_update(
        by=village_director, person_id=person.pk, version=2, changes={"categories": ["dibao"]}
    )

    assert list(
        PersonCategory.objects.filter(person=person).values_list("category", flat=True)
    ) == ["dibao"]


def test_update_keeps_fields_that_were_not_sent(regions, village_director):
    person = services.person_create(
        by=village_director,
        data=data_for(regions.village, phone="13912345678", categories=["dibao"], notes="x"),
    )

    services.person_update(
        by=village_director, person_id=person.pk, version=1, changes={"address": "东庄村1号"}
    )

    person = Person.objects.get(pk=person.pk)
    assert (person.phone, person.category_codes, person.notes) == ("13912345678", ["dibao"], "x")
    assert person.address == "东庄村1号"


def test_update_of_the_id_number_derives_sex_and_birth_date_again(person, village_director):
    corrected = idnumbers.make("130111", dt.date(1990, 2, 3), 222)

    services.person_update(
        by=village_director, person_id=person.pk, version=1, changes={"id_number": corrected}
    )

    person = Person.objects.get(pk=person.pk)
    assert (person.id_number, person.sex, person.birth_date) == (
        corrected,
        "F",
        dt.date(1990, 2, 3),
    )


def test_update_refuses_another_persons_id_number(regions, person, village_director):
    other = PersonFactory(region=regions.village)

    with pytest.raises(services.DuplicatePerson):
        services.person_update(
            by=village_director,
            person_id=other.pk,
            version=1,
            changes={"id_number": person.id_number},
        )


def test_update_of_a_person_outside_the_writers_area_is_404(regions, village_director):
    outsider = PersonFactory(region=regions.sibling_village)

    with pytest.raises(Http404):
        services.person_update(
            by=village_director, person_id=outsider.pk, version=1, changes={"notes": "x"}
        )

    outsider.refresh_from_db()
    assert outsider.version == 1


def test_update_cannot_move_a_person_out_of_the_writers_area(regions, person, village_director):
    with pytest.raises(ValidationError) as caught:
        services.person_update(
            by=village_director,
            person_id=person.pk,
            version=1,
            changes={"region_code": regions.far_village.code},
        )

    assert list(caught.value.message_dict) == ["region_code"]
    person.refresh_from_db()
    assert person.region == regions.village


def test_create_and_update_are_recorded_with_the_actor(regions, village_director):
    created = services.person_create(by=village_director, data=data_for(regions.village))
    services.person_update(
        by=village_director, person_id=created.pk, version=1, changes={"name": "张新"}
    )

    entries = LogEntry.objects.get_for_object(created).order_by("timestamp", "pk")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert {e.actor for e in entries} == {village_director}
    assert entries[1].changes_dict["name"] == ["张建国", "张新"]


# Relations and households


def test_a_primary_guardian_is_recorded(regions, village_director):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(8))
    mother = PersonFactory(region=regions.village, sex="F")

    relation = services.relation_add(
        by=village_director,
        person=child,
        relative=mother,
        kind=RelationKind.PARENT,
        is_primary_guardian=True,
    )

    assert relation.is_primary_guardian
    assert list(Relation.objects.filter(person=child)) == [relation]


def test_a_second_primary_guardian_replaces_the_first(regions, village_director):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(8))
    mother = PersonFactory(region=regions.village, sex="F")
    grandfather = PersonFactory(region=regions.village, birth_date=born_years_ago(70))
    services.relation_add(
        by=village_director, person=child, relative=mother, kind="parent", is_primary_guardian=True
    )

    services.relation_add(
        by=village_director,
        person=child,
        relative=grandfather,
        kind="grandparent",
        is_primary_guardian=True,
    )

    primaries = Relation.objects.filter(person=child, is_primary_guardian=True)
    assert [r.relative for r in primaries] == [grandfather]
    assert Relation.objects.filter(person=child).count() == 2


def test_a_person_cannot_be_their_own_relative(person, village_director):
    with pytest.raises(ValidationError):
        services.relation_add(by=village_director, person=person, relative=person, kind="other")


def test_the_same_relation_is_not_recorded_twice(regions, person, village_director):
    father = PersonFactory(region=regions.village)
    services.relation_add(by=village_director, person=person, relative=father, kind="parent")

    with pytest.raises(ValidationError):
        services.relation_add(by=village_director, person=person, relative=father, kind="parent")


def test_a_relative_outside_the_writers_area_is_404(regions, person, village_director):
    stranger = PersonFactory(region=regions.sibling_village)

    with pytest.raises(Http404):
        services.relation_add(by=village_director, person=person, relative=stranger, kind="other")

    assert not Relation.objects.exists()


def test_the_household_view_flags_an_old_person_living_with_a_child(regions, village_director):
    grandmother = PersonFactory(region=regions.village, sex="F", birth_date=born_years_ago(72))
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(9))
    household = services.household_create(by=village_director, region_code=regions.village.code)
    for member in (grandmother, child):
        services.household_join(by=village_director, person=member, household=household)
    child.refresh_from_db()

    view = selectors.household_view(fetched_by=village_director, person=child)

    assert view.is_old_and_young
    assert view.elderly == [grandmother]
    assert view.children == [child]
    assert child.version == 2


def test_a_household_of_adults_is_not_flagged(regions, village_director):
    household = services.household_create(by=village_director, region_code=regions.village.code)
    first = PersonFactory(region=regions.village, household=household)
    PersonFactory(region=regions.village, household=household, birth_date=born_years_ago(72))

    view = selectors.household_view(fetched_by=village_director, person=first)

    assert len(view.members) == 2
    assert not view.is_old_and_young


def test_a_household_cannot_be_created_outside_the_writers_area(regions, village_director):
    with pytest.raises(Http404):
        services.household_create(by=village_director, region_code=regions.far_village.code)
