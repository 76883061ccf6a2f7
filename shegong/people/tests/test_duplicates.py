"""Probable duplicates (three signals, within scope), dismissing a pair, and merging."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client

from shegong.accounts.models import Role
from shegong.factories import HouseholdFactory, PersonFactory, RelationFactory
from shegong.people import crypto, duplicates, selectors
from shegong.people.models import (
    Category,
    MergeRecord,
    NotDuplicate,
    Person,
    PersonStatus,
    Relation,
    RelationKind,
)
from shegong.people.tests.rosters import id_number
from shegong.testing import login

pytestmark = pytest.mark.django_db

BORN = dt.date(1950, 3, 5)


def person(region, name="张建国", born=BORN, sequence=13, **fields):
    return PersonFactory(
        region=region,
        name=name,
        birth_date=born,
        sex="M" if sequence % 2 else "F",
        id_number=id_number(born, sequence),
        **fields,
    )


def pairs_for(user, **kwargs) -> dict[frozenset[int], list[str]]:
    return {
        frozenset((p.first.pk, p.second.pk)): p.reasons
        for p in duplicates.probable_duplicates(fetched_by=user, **kwargs)
    }


def pair(a, b) -> frozenset[int]:
    return frozenset((a.pk, b.pk))


# -- finding --------------------------------------------------------------------------------


def test_the_same_name_and_birth_date_in_the_district_is_a_probable_duplicate(
    regions, district_admin
):
    a = person(regions.village, sequence=13)
    b = person(regions.far_village, sequence=57)  # numbers two digits apart

    assert pairs_for(district_admin) == {pair(a, b): ["birth"]}


def test_the_same_name_with_id_numbers_one_digit_apart_is_a_probable_duplicate(
    regions, district_admin
):
    a = person(regions.village, born=dt.date(1950, 3, 5))
    b = person(regions.village, born=dt.date(1950, 3, 6))  # one digit mistyped, another birthday
    assert sum(x != y for x, y in zip(a.id_number[:17], b.id_number[:17], strict=True)) == 1

    assert pairs_for(district_admin) == {pair(a, b): ["id"]}


def test_the_same_name_in_the_same_household_is_a_probable_duplicate(regions, district_admin):
    household = HouseholdFactory(region=regions.village)
    a = person(regions.village, born=dt.date(1950, 3, 5), sequence=13, household=household)
    b = person(regions.village, born=dt.date(1971, 8, 9), sequence=57, household=household)

    assert pairs_for(district_admin) == {pair(a, b): ["household"]}


def test_pairs_with_more_signals_come_first(regions, district_admin):
    household = HouseholdFactory(region=regions.village)
    a = person(regions.village, sequence=13, household=household)
    b = person(regions.village, sequence=15, household=household)  # all three signals
    c = person(regions.far_village, name="李秀英", sequence=24)
    d = person(regions.far_village, name="李秀英", sequence=68)

    found = duplicates.probable_duplicates(fetched_by=district_admin)

    assert [frozenset((p.first.pk, p.second.pk)) for p in found] == [pair(a, b), pair(c, d)]
    assert found[0].reasons == ["birth", "household", "id"]
    assert len(found[0].reason_labels) == 3


def test_different_people_are_not_proposed(regions, district_admin):
    person(regions.village, name="张建国", sequence=13)
    person(regions.village, name="张建军", sequence=15)  # one digit apart, another name
    person(regions.village, name="李秀英", born=dt.date(1960, 1, 1), sequence=24)
    person(regions.far_village, name="李秀英", born=dt.date(1970, 2, 2), sequence=68)

    assert pairs_for(district_admin) == {}


def test_pairs_outside_the_users_scope_are_never_shown(regions, village_director, make_user):
    inside = person(regions.village, sequence=13)
    neighbour = person(regions.sibling_village, sequence=57)
    far_a = person(regions.far_village, name="李秀英", sequence=24)
    far_b = person(regions.far_village, name="李秀英", sequence=68)
    township_worker = make_user(Role.TOWNSHIP_WORKER)

    assert pairs_for(village_director) == {}
    assert pairs_for(township_worker) == {pair(inside, neighbour): ["birth"]}
    assert pair(far_a, far_b) not in pairs_for(township_worker)


def test_the_list_can_be_narrowed_to_a_region(regions, district_admin):
    person(regions.village, sequence=13)
    person(regions.village, sequence=57)
    a = person(regions.far_village, name="李秀英", sequence=24)
    b = person(regions.far_village, name="李秀英", sequence=68)

    assert pairs_for(district_admin, region=regions.other_township.prefix) == {
        pair(a, b): ["birth"]
    }


def test_a_dismissed_pair_is_not_shown_again(regions, district_admin):
    a = person(regions.village, sequence=13)
    b = person(regions.far_village, sequence=57)
    c = person(regions.village, name="李秀英", sequence=24)
    d = person(regions.village, name="李秀英", sequence=68)

    duplicates.pair_dismiss(by=district_admin, first=b, second=a)
    duplicates.pair_dismiss(by=district_admin, first=a, second=b)  # twice is harmless

    assert pairs_for(district_admin) == {pair(c, d): ["birth"]}
    assert NotDuplicate.objects.get().decided_by == district_admin


def test_merged_records_are_not_proposed_again(regions, district_admin):
    a = person(regions.village, sequence=13)
    b = person(regions.village, sequence=57)

    duplicates.person_merge(by=district_admin, keep=a, merge=b)

    assert pairs_for(district_admin) == {}


# -- merging ----------------------------------------------------------------------------------


@pytest.fixture
def twins(regions):
    """张建国 registered twice in one village: the kept record is bare, the other has data."""
    household = HouseholdFactory(region=regions.village)
    keep = person(regions.village, sequence=13, categories=[Category.DIBAO])
    merge = person(
        regions.village,
        sequence=57,
        phone="13800138000",
        address="东庄村3号",
        household=household,
        notes="腿脚不便",
        categories=[Category.DIBAO, Category.LIVING_ALONE],
    )
    return keep, merge


def test_a_merge_moves_relations_in_both_directions(regions, village_director, twins):
    keep, merge = twins
    guardian = person(regions.village, name="张父", born=dt.date(1925, 1, 1), sequence=11)
    grandchild = person(regions.village, name="张小明", born=dt.date(2015, 6, 1), sequence=17)
    RelationFactory(
        person=merge, relative=guardian, kind=RelationKind.GUARDIAN, is_primary_guardian=True
    )
    RelationFactory(person=grandchild, relative=merge, kind=RelationKind.GRANDPARENT)

    duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    assert set(
        Relation.objects.values_list("person_id", "relative_id", "kind", "is_primary_guardian")
    ) == {
        (keep.pk, guardian.pk, RelationKind.GUARDIAN, True),
        (grandchild.pk, keep.pk, RelationKind.GRANDPARENT, False),
    }


def test_a_merge_keeps_one_primary_guardian_and_drops_clashing_relations(
    regions, village_director, twins
):
    keep, merge = twins
    mother = person(regions.village, name="张母", born=dt.date(1928, 1, 1), sequence=12)
    uncle = person(regions.village, name="张叔", born=dt.date(1930, 1, 1), sequence=15)
    RelationFactory(
        person=keep, relative=mother, kind=RelationKind.GUARDIAN, is_primary_guardian=True
    )
    RelationFactory(person=merge, relative=mother, kind=RelationKind.GUARDIAN)  # the same: clashes
    RelationFactory(
        person=merge, relative=uncle, kind=RelationKind.GUARDIAN, is_primary_guardian=True
    )
    RelationFactory(person=merge, relative=keep, kind=RelationKind.SIBLING)  # would be himself

    record = duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    assert set(Relation.objects.values_list("person_id", "relative_id", "is_primary_guardian")) == {
        (keep.pk, mother.pk, True),
        (keep.pk, uncle.pk, False),
    }
    assert record.moved["people.relation.person.dropped"] == 2


def test_a_merge_moves_categories_and_the_household_and_fills_empty_fields(
    regions, village_director, twins
):
    keep, merge = twins
    household = merge.household

    duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    keep.refresh_from_db()
    assert sorted(keep.category_codes) == sorted([Category.DIBAO, Category.LIVING_ALONE])
    assert keep.household == household
    assert keep.phone == "13800138000"
    assert keep.phone_hash == crypto.blind_index("13800138000")
    assert keep.phone_masked == "138****8000"
    assert keep.address == "东庄村3号"
    assert keep.notes == "腿脚不便"
    assert keep.version == 2
    assert keep.status == PersonStatus.ACTIVE


def test_a_merge_never_overwrites_what_the_kept_record_has(regions, village_director):
    keep = person(regions.village, sequence=13, address="东庄村9号", phone="13900139000")
    merge = person(regions.village, sequence=57, address="东庄村3号", phone="13800138000")

    duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    keep.refresh_from_db()
    assert (keep.address, keep.phone) == ("东庄村9号", "13900139000")


def test_the_merged_record_stays_marked_and_frees_its_id_number(regions, village_director, twins):
    keep, merge = twins

    duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    merge.refresh_from_db()
    assert merge.status == PersonStatus.MERGED
    assert merge.household is None
    assert not merge.categories.exists()
    assert merge.id_number_masked  # still shows which number it carried
    assert not Person.objects.filter(id_number_hash=crypto.blind_index(merge.id_number)).exists()


def test_the_merge_is_recorded_with_who_and_what_moved(regions, village_director, twins):
    keep, merge = twins

    record = duplicates.person_merge(by=village_director, keep=keep, merge=merge, reason="同一人")

    assert MergeRecord.objects.get() == record
    assert (record.kept, record.merged, record.merged_by) == (keep, merge, village_director)
    assert record.reason == "同一人"
    assert record.moved["people.personcategory.person"] == 1
    assert record.moved["people.personcategory.person.dropped"] == 1
    assert sorted(record.moved["filled"]) == sorted(
        ["phone_encrypted", "address", "household_id", "notes"]
    )
    history = LogEntry.objects.get_for_object(merge).filter(actor=village_director)
    assert history.filter(changes__has_key="status").exists()


def test_merged_records_disappear_from_the_default_list(director_client, village_director, twins):
    keep, merge = twins

    duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    listed = selectors.person_list(fetched_by=village_director, filters=selectors.PeopleFilters())
    assert list(listed) == [keep]
    page = director_client.get("/people/")
    assert [p.pk for p in page.context["people"]] == [keep.pk]
    merged = director_client.get("/people/", {"status": PersonStatus.MERGED})
    assert [p.pk for p in merged.context["people"]] == [merge.pk]


def test_the_merged_records_page_links_to_the_kept_one(director_client, village_director, twins):
    keep, merge = twins
    duplicates.person_merge(by=village_director, keep=keep, merge=merge)

    merged_page = director_client.get(f"/people/{merge.pk}/").content.decode()
    kept_page = director_client.get(f"/people/{keep.pk}/").content.decode()

    assert 'id="merged-into"' in merged_page
    assert f'<a href="/people/{keep.pk}/">' in merged_page
    assert f"/people/{merge.pk}/edit/" not in merged_page  # history is read-only
    assert f'<a href="/people/{merge.pk}/">' in kept_page  # "merged from"


def test_a_record_cannot_be_merged_into_itself_or_merged_twice(regions, village_director, twins):
    keep, merge = twins

    with pytest.raises(ValidationError):
        duplicates.person_merge(by=village_director, keep=keep, merge=keep)
    duplicates.person_merge(by=village_director, keep=keep, merge=merge)
    other = person(regions.village, sequence=99)
    with pytest.raises(ValidationError):
        duplicates.person_merge(by=village_director, keep=other, merge=merge)
    with pytest.raises(ValidationError):
        duplicates.person_merge(by=village_director, keep=merge, merge=other)

    assert MergeRecord.objects.count() == 1


def test_the_service_refuses_a_merge_across_scope(regions, village_director):
    keep = person(regions.village, sequence=13)
    outside = person(regions.sibling_village, sequence=57)

    with pytest.raises(ValidationError):
        duplicates.person_merge(by=village_director, keep=keep, merge=outside)

    outside.refresh_from_db()
    assert outside.status == PersonStatus.ACTIVE and not MergeRecord.objects.exists()


# -- pages ------------------------------------------------------------------------------------


def test_the_duplicates_page_lists_pairs_with_their_reasons(director_client, regions):
    a = person(regions.village, sequence=13)
    b = person(regions.village, sequence=57)

    page = director_client.get("/people/duplicates/").content.decode()

    assert page.count('class="card mb-3 duplicate-pair"') == 1
    assert str(duplicates.REASONS["birth"]) in page
    assert a.id_number_masked in page and b.id_number_masked in page
    assert a.id_number not in page


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER])
def test_the_duplicates_page_is_404_without_registry_rights(make_user, role):
    client = login(Client(), make_user(role))

    assert client.get("/people/duplicates/").status_code == 404


def test_merging_through_the_page_redirects_to_the_kept_record(director_client, twins):
    keep, merge = twins

    response = director_client.post(
        "/people/duplicates/merge/", {"keep": keep.pk, "merge": merge.pk}
    )

    assert response.status_code == 302 and response["Location"] == f"/people/{keep.pk}/"
    assert MergeRecord.objects.get().kept == keep


def test_a_merge_across_scope_through_the_page_is_404(director_client, regions):
    keep = person(regions.village, sequence=13)
    outside = person(regions.sibling_village, sequence=57)

    for data in ({"keep": keep.pk, "merge": outside.pk}, {"keep": outside.pk, "merge": keep.pk}):
        assert director_client.post("/people/duplicates/merge/", data).status_code == 404

    assert not MergeRecord.objects.exists()
    assert Person.objects.filter(status=PersonStatus.MERGED).count() == 0


def test_dismissing_through_the_page_hides_the_pair(director_client, regions):
    a = person(regions.village, sequence=13)
    b = person(regions.village, sequence=57)

    director_client.post("/people/duplicates/dismiss/", {"first": a.pk, "second": b.pk})

    page = director_client.get("/people/duplicates/").content.decode()
    assert 'class="card mb-3 duplicate-pair"' not in page


def test_dismissing_a_pair_across_scope_is_404(director_client, regions):
    a = person(regions.village, sequence=13)
    b = person(regions.sibling_village, sequence=57)

    response = director_client.post("/people/duplicates/dismiss/", {"first": a.pk, "second": b.pk})

    assert response.status_code == 404
    assert not NotDuplicate.objects.exists()


@pytest.mark.parametrize("url", ["/people/duplicates/merge/", "/people/duplicates/dismiss/"])
def test_merge_and_dismiss_only_accept_post(director_client, url):
    assert director_client.get(url).status_code == 405
