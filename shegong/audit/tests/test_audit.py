import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.audit.services import access_record
from shegong.conftest import OUTSIDER_ROLES, REGISTRY_ROLES
from shegong.factories import PersonFactory, UserFactory, born_years_ago
from shegong.people import idnumbers, services
from shegong.testing import login

pytestmark = pytest.mark.django_db


def test_creating_a_person_writes_a_change_entry_with_the_actor(regions, village_director):
    person = services.person_create(
        by=village_director,
        data={
            "name": "张建国",
            "id_number": idnumbers.make("130111", dt.date(1985, 7, 1), 123),
            "region_code": regions.village.code,
        },
    )

    entry = LogEntry.objects.get_for_object(person).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == village_director
    assert entry.changes_dict["name"][1] == "张建国"


def test_updating_a_person_records_old_and_new_values(person, village_director):
    services.person_update(
        by=village_director, person_id=person.pk, version=1, changes={"notes": "新备注"}
    )

    entry = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == village_director
    assert entry.changes_dict["notes"] == ["", "新备注"]


def test_the_change_log_never_holds_ciphertext_or_the_full_id_number(regions, village_director):
    number = idnumbers.make("130111", dt.date(1985, 7, 1), 123)
    person = services.person_create(
        by=village_director,
        data={"name": "张建国", "id_number": number, "region_code": regions.village.code},
    )

    entry = LogEntry.objects.get_for_object(person).get()
    assert "id_number_encrypted" not in entry.changes_dict
    assert "id_number_hash" not in entry.changes_dict
    assert number not in str(entry.changes)


def test_a_reveal_writes_an_access_entry(director_client, village_director, person):
    director_client.post(f"/people/{person.pk}/reveal/id_number/")

    entry = AccessLog.objects.get()
    assert (entry.action, entry.user, entry.person) == (
        AccessAction.REVEAL,
        village_director,
        person,
    )


def test_opening_a_minors_file_writes_a_read_entry(director_client, village_director, regions):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(12))

    director_client.get(f"/people/{child.pk}/")

    entry = AccessLog.objects.get()
    assert (entry.action, entry.user, entry.person) == (AccessAction.READ, village_director, child)


def test_reading_a_minor_through_the_api_writes_a_read_entry(
    client, bearer, village_director, regions
):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(17, extra_days=1))

    client.get(f"/api/v1/people/{child.pk}", headers=bearer(village_director))

    assert AccessLog.objects.get().action == AccessAction.READ


def test_opening_an_adults_file_writes_no_access_entry(director_client, regions):
    adult = PersonFactory(region=regions.village, birth_date=born_years_ago(18, extra_days=0))

    director_client.get(f"/people/{adult.pk}/")

    assert not AccessLog.objects.exists()


def test_an_out_of_scope_attempt_is_not_a_read(director_client, regions):
    child = PersonFactory(region=regions.far_village, birth_date=born_years_ago(5))

    assert director_client.get(f"/people/{child.pk}/").status_code == 404
    assert not AccessLog.objects.exists()


# The access log is append-only, for admins too.


@pytest.fixture
def entry(person, district_admin):
    return access_record(
        user=district_admin, action=AccessAction.REVEAL, obj=person, person=person, field="phone"
    )


def test_an_access_entry_cannot_be_changed(entry):
    entry.field = "id_number"

    with pytest.raises(PermissionError):
        entry.save()

    assert AccessLog.objects.get().field == "phone"


def test_an_access_entry_cannot_be_deleted(entry):
    with pytest.raises(PermissionError):
        entry.delete()

    assert AccessLog.objects.count() == 1


def test_access_entries_cannot_be_updated_or_deleted_in_bulk(entry):
    with pytest.raises(PermissionError):
        AccessLog.objects.all().update(field="")
    with pytest.raises(PermissionError):
        AccessLog.objects.filter(pk=entry.pk).delete()

    assert AccessLog.objects.get().field == "phone"


# The audit pages


@pytest.fixture
def history(regions, make_user):
    """Two workers, each revealing a different person, one of them long ago."""
    first = make_user(Role.VILLAGE_DIRECTOR, username="first-worker")
    second = make_user(Role.TOWNSHIP_WORKER, username="second-worker")
    near = PersonFactory(region=regions.village, name="甲某")
    far = PersonFactory(region=regions.sibling_village, name="乙某")
    access_record(user=first, action=AccessAction.REVEAL, obj=near, person=near, field="phone")
    old = access_record(user=second, action=AccessAction.REVEAL, obj=far, person=far)
    # Backdate through the queryset's parent class: the app itself can never do this.
    super(type(AccessLog.objects.all()), AccessLog.objects.filter(pk=old.pk)).update(
        at=timezone.now() - dt.timedelta(days=40)
    )
    return first, second, near, far


def listed(response, attribute):
    return [getattr(e, attribute) for e in response.context["page"]]


def test_the_access_page_lists_every_entry_for_a_district_admin(admin_client, history):
    response = admin_client.get("/audit/access/")

    assert response.status_code == 200
    assert {p.name for p in listed(response, "person")} == {"甲某", "乙某"}


def test_the_access_page_filters_by_user(admin_client, history):
    first, *_ = history

    response = admin_client.get("/audit/access/", {"user": first.pk})

    assert listed(response, "user") == [first]


def test_the_access_page_filters_by_person(admin_client, history):
    *_, far = history

    response = admin_client.get("/audit/access/", {"person": far.pk})

    assert listed(response, "person") == [far]


def test_the_access_page_filters_by_date(admin_client, history):
    today = timezone.localdate().isoformat()
    long_ago = (timezone.localdate() - dt.timedelta(days=40)).isoformat()

    recent = admin_client.get("/audit/access/", {"since": today})
    old = admin_client.get("/audit/access/", {"until": long_ago})

    assert [p.name for p in listed(recent, "person")] == ["甲某"]
    assert [p.name for p in listed(old, "person")] == ["乙某"]


def test_the_change_page_lists_changes_and_filters_by_user_and_person(
    admin_client, regions, village_director, make_user
):
    other = make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village)
    mine = services.person_create(
        by=village_director,
        data={
            "name": "张建国",
            "id_number": idnumbers.make("130111", dt.date(1985, 7, 1), 123),
            "region_code": regions.village.code,
        },
    )
    theirs = services.person_create(
        by=other,
        data={
            "name": "李四",
            "id_number": idnumbers.make("130111", dt.date(1986, 7, 1), 123),
            "region_code": regions.sibling_village.code,
        },
    )

    everything = admin_client.get("/audit/")
    by_user = admin_client.get("/audit/", {"user": village_director.pk})
    by_person = admin_client.get("/audit/", {"person": theirs.pk})
    by_date = admin_client.get("/audit/", {"until": "2000-01-01"})

    assert everything.status_code == 200
    assert {e.object_pk for e in everything.context["page"]} >= {str(mine.pk), str(theirs.pk)}
    assert {e.actor for e in by_user.context["page"]} == {village_director}
    assert {(e.object_pk, e.actor) for e in by_person.context["page"]} == {(str(theirs.pk), other)}
    assert list(by_date.context["page"]) == []


@pytest.mark.parametrize("path", ["/audit/", "/audit/access/"])
@pytest.mark.parametrize("role", sorted((REGISTRY_ROLES | OUTSIDER_ROLES) - {Role.DISTRICT_ADMIN}))
def test_the_audit_pages_are_404_for_everyone_but_the_district_admin(
    client, make_user, history, role, path
):
    login(client, make_user(role))

    assert client.get(path).status_code == 404


def test_the_django_admin_cannot_change_or_delete_audit_records(client, entry, person, db):
    login(client, UserFactory(is_superuser=True, is_staff=True))
    change = LogEntry.objects.get_for_object(person).first()

    assert client.get(f"/django-admin/audit/accesslog/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/django-admin/audit/accesslog/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/django-admin/auditlog/logentry/{change.pk}/delete/").status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk).exists()
    assert LogEntry.objects.filter(pk=change.pk).exists()
