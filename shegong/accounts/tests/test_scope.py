import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from shegong.accounts import scope
from shegong.accounts.models import Role, User
from shegong.factories import PersonFactory, UserFactory
from shegong.people.models import Person, Relation

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions):
    return {
        "village": PersonFactory(region=regions.village),
        "sibling": PersonFactory(region=regions.sibling_village),
        "far": PersonFactory(region=regions.far_village),
    }


def visible_keys(user, people, **kwargs):
    seen = set(scope.visible(Person.objects.all(), user, **kwargs).values_list("pk", flat=True))
    return {key for key, person in people.items() if person.pk in seen}


def test_memberships_add_up(make_user, regions, people):
    user = make_user(Role.VILLAGE_DIRECTOR)
    user.memberships.create(role=Role.VILLAGE_ASSISTANT, region=regions.far_village)

    assert visible_keys(user, people) == {"village", "far"}


def test_a_wider_membership_covers_a_narrower_one(make_user, regions):
    user = make_user(Role.VILLAGE_DIRECTOR)
    user.memberships.create(role=Role.TOWNSHIP_WORKER, region=regions.township)

    assert scope.scope_for(user).read_prefixes == ("130111100",)


def test_an_inactive_membership_gives_nothing(make_user, people):
    user = make_user(Role.DISTRICT_ADMIN)
    user.memberships.update(is_active=False)

    assert visible_keys(user, people) == set()


def test_an_inactive_user_sees_nothing(make_user, people):
    user = make_user(Role.DISTRICT_ADMIN)
    user.is_active = False

    assert visible_keys(user, people) == set()


def test_an_anonymous_caller_sees_nothing(people):
    assert visible_keys(AnonymousUser(), people) == set()
    assert visible_keys(None, people) == set()


def test_an_outsider_role_at_the_district_sees_nobody(make_user, people):
    for role in (Role.VOLUNTEER, Role.VIEWER, Role.COUNSELOR, Role.BANK_OFFICER):
        assert visible_keys(make_user(role), people) == set()


def test_relations_are_scoped_by_the_persons_village(make_user, regions, people):
    Relation.objects.create(person=people["village"], relative=people["sibling"], kind="sibling")
    Relation.objects.create(person=people["far"], relative=people["village"], kind="sibling")
    director = make_user(Role.VILLAGE_DIRECTOR)

    relations = scope.visible(Relation.objects.all(), director)

    assert [r.person for r in relations] == [people["village"]]


def test_a_model_without_a_scope_field_is_refused(make_user):
    with pytest.raises(TypeError):
        scope.visible(User.objects.all(), make_user(Role.DISTRICT_ADMIN))


def test_get_visible_or_404_answers_the_same_for_missing_and_hidden(make_user, people):
    director = make_user(Role.VILLAGE_DIRECTOR)

    for pk in (people["far"].pk, 999_999):
        with pytest.raises(Http404):
            scope.get_visible_or_404(Person.objects.all(), director, pk=pk)


def test_a_superuser_needs_the_second_factor(db, settings):
    settings.DEMO_MODE = False
    superuser = UserFactory(is_superuser=True)

    assert scope.requires_second_factor(superuser)


def test_only_district_admins_administer(make_user):
    assert scope.is_admin(make_user(Role.DISTRICT_ADMIN))
    assert not scope.is_admin(make_user(Role.CENTER_WORKER))
