"""Adding and removing dimensions, items and options of a draft instrument."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from shegong.children import scoring, services
from shegong.children.models import ChildProfile, Dimension, Item, Option
from shegong.testing import login

from .answers import answers

pytestmark = pytest.mark.django_db

TWO_OPTIONS = [
    {"value": "no", "label": "没有", "score": 0, "emergency": False},
    {"value": "yes", "label": "有", "score": 4, "emergency": True},
]


@pytest.fixture
def draft(district_admin, instrument):
    return services.instrument_draft(by=district_admin, source=instrument)


def add_item(by, draft, *, key="online", options=TWO_OPTIONS, dimension=None):
    dimension = dimension or draft.dimensions.first()
    return services.instrument_item_add(
        by=by,
        instrument_id=draft.pk,
        dimension_id=dimension.pk,
        key=key,
        text="是否沉迷网络？",
        options=options,
    )


# ---- services -------------------------------------------------------------------------------


def test_an_item_is_added_to_a_draft_with_its_options(district_admin, draft):
    item = add_item(district_admin, draft)

    spec = scoring.InstrumentSpec.load(draft)
    assert spec.items["online"].options == {"no": ("没有", 0, False), "yes": ("有", 4, True)}
    assert item.order > max(
        i.order for i in Item.objects.filter(dimension=item.dimension).exclude(pk=item.pk)
    )


def test_an_item_key_is_unique_in_the_instrument(district_admin, draft):
    other_dimension = draft.dimensions.exclude(items__key="health").first()

    with pytest.raises(ValidationError) as exc:
        add_item(district_admin, draft, key="health", dimension=other_dimension)

    assert "key" in exc.value.message_dict
    assert Item.objects.filter(dimension__instrument=draft, key="health").count() == 1


@pytest.mark.parametrize(
    "options",
    [
        TWO_OPTIONS[:1],
        [TWO_OPTIONS[0], dict(TWO_OPTIONS[0], label="重复")],
        [TWO_OPTIONS[0], dict(TWO_OPTIONS[1], value="has space")],
        [TWO_OPTIONS[0], dict(TWO_OPTIONS[1], score=None)],
    ],
)
def test_an_item_needs_two_valid_options(district_admin, draft, options):
    with pytest.raises(ValidationError) as exc:
        add_item(district_admin, draft, options=options)

    assert "options" in exc.value.message_dict
    assert not Item.objects.filter(key="online").exists()


def test_a_bad_item_key_is_refused(district_admin, draft):
    with pytest.raises(ValidationError) as exc:
        add_item(district_admin, draft, key="两个 字")

    assert "key" in exc.value.message_dict


def test_items_and_options_are_removed_from_a_draft(district_admin, draft):
    item = add_item(district_admin, draft)
    option = services.instrument_option_add(
        by=district_admin,
        instrument_id=draft.pk,
        item_id=item.pk,
        value="some",
        label="偶尔",
        score=2,
    )
    assert list(item.options.values_list("value", flat=True)) == ["no", "yes", "some"]

    services.instrument_option_remove(
        by=district_admin, instrument_id=draft.pk, option_id=option.pk
    )
    with pytest.raises(ValidationError):
        services.instrument_option_remove(
            by=district_admin, instrument_id=draft.pk, option_id=item.options.first().pk
        )
    assert item.options.count() == 2

    services.instrument_item_remove(by=district_admin, instrument_id=draft.pk, item_id=item.pk)
    assert not Item.objects.filter(pk=item.pk).exists()


def test_an_option_value_is_unique_in_its_item(district_admin, draft):
    item = add_item(district_admin, draft)

    with pytest.raises(ValidationError) as exc:
        services.instrument_option_add(
            by=district_admin,
            instrument_id=draft.pk,
            item_id=item.pk,
            value="no",
            label="x",
            score=1,
        )

    assert "value" in exc.value.message_dict


def test_a_dimension_is_added_and_removed(district_admin, draft):
    dimension = services.instrument_dimension_add(
        by=district_admin, instrument_id=draft.pk, key="online", name="网络", weight=Decimal("1.5")
    )
    assert list(draft.dimensions.all())[-1] == dimension
    with pytest.raises(ValidationError) as exc:
        services.instrument_dimension_add(
            by=district_admin, instrument_id=draft.pk, key="online", name="again", weight=Decimal(1)
        )
    assert "key" in exc.value.message_dict

    add_item(district_admin, draft, dimension=dimension)
    with pytest.raises(ValidationError):
        services.instrument_dimension_remove(
            by=district_admin, instrument_id=draft.pk, dimension_id=dimension.pk
        )
    services.instrument_dimension_remove(
        by=district_admin, instrument_id=draft.pk, dimension_id=dimension.pk, with_items=True
    )

    assert not Dimension.objects.filter(pk=dimension.pk).exists()
    assert not Item.objects.filter(key="online").exists()


def test_a_published_version_cannot_change_its_structure(district_admin, instrument):
    dimension = instrument.dimensions.first()
    item = dimension.items.first()
    calls = [
        lambda: add_item(district_admin, instrument, dimension=dimension),
        lambda: services.instrument_item_remove(
            by=district_admin, instrument_id=instrument.pk, item_id=item.pk
        ),
        lambda: services.instrument_option_add(
            by=district_admin,
            instrument_id=instrument.pk,
            item_id=item.pk,
            value="x",
            label="x",
            score=0,
        ),
        lambda: services.instrument_option_remove(
            by=district_admin, instrument_id=instrument.pk, option_id=item.options.first().pk
        ),
        lambda: services.instrument_dimension_add(
            by=district_admin, instrument_id=instrument.pk, key="x", name="x", weight=Decimal(1)
        ),
        lambda: services.instrument_dimension_remove(
            by=district_admin,
            instrument_id=instrument.pk,
            dimension_id=dimension.pk,
            with_items=True,
        ),
    ]
    counts = (Dimension.objects.count(), Item.objects.count(), Option.objects.count())

    for call in calls:
        with pytest.raises(ValidationError):
            call()

    assert (Dimension.objects.count(), Item.objects.count(), Option.objects.count()) == counts


def test_only_the_district_admin_changes_the_structure(village_director, draft):
    item = draft.dimensions.first().items.first()
    with pytest.raises(ValidationError):
        add_item(village_director, draft)
    with pytest.raises(ValidationError):
        services.instrument_item_remove(
            by=village_director, instrument_id=draft.pk, item_id=item.pk
        )
    with pytest.raises(ValidationError):
        services.instrument_dimension_add(
            by=village_director, instrument_id=draft.pk, key="x", name="x", weight=Decimal(1)
        )
    assert Item.objects.filter(pk=item.pk).exists()


def test_a_removed_item_is_not_scored_but_old_results_keep_it(
    district_admin, village_director, child, instrument, spec, director_client
):
    old = services.assessment_record(
        by=village_director, person=child, answers=answers(spec, "low", health="severe")
    )
    draft = services.instrument_draft(by=district_admin, source=instrument)
    health = Item.objects.get(dimension__instrument=draft, key="health")
    services.instrument_item_remove(by=district_admin, instrument_id=draft.pk, item_id=health.pk)
    services.instrument_publish(by=district_admin, instrument=draft)
    new_spec = scoring.InstrumentSpec.load(draft)
    assert "health" not in new_spec.items

    new = services.assessment_record(
        by=village_director, person=child, answers=answers(new_spec, "low")
    )

    assert new.instrument == draft and "health" not in new.answers
    assert all(d["item"] != "health" for d in new.drivers if "item" in d)
    old_page = director_client.get(f"/children/{child.pk}/assessments/{old.pk}/")
    assert old_page.status_code == 200
    assert "重病或重度残疾" in old_page.content.decode()
    assert "v1" in old_page.content.decode()
    assert ChildProfile.objects.get(person=child).assessments.count() == 2


# ---- views ----------------------------------------------------------------------------------


def test_the_draft_page_offers_adding_and_removing(admin_client, draft, instrument):
    page = admin_client.get(f"/children/instruments/{draft.pk}/").content.decode()
    assert 'id="add-dimension"' in page and "/items/add/" in page and "/remove/" in page
    past = admin_client.get(f"/children/instruments/{instrument.pk}/").content.decode()
    assert 'id="add-dimension"' not in past and "/remove/" not in past


def test_the_admin_adds_an_item_through_the_page(admin_client, draft):
    dimension = draft.dimensions.first()
    data = {"key": "online", "text": "是否沉迷网络？"}
    for n, (value, label, score) in enumerate([("no", "没有", "0"), ("yes", "有", "3")]):
        data |= {f"opt-{n}-value": value, f"opt-{n}-label": label, f"opt-{n}-score": score}
    data["opt-1-emergency"] = "on"

    response = admin_client.post(
        f"/children/instruments/{draft.pk}/dimensions/{dimension.pk}/items/add/", data
    )

    assert response.status_code == 302
    item = Item.objects.get(dimension=dimension, key="online")
    assert [(o.value, o.score, o.emergency) for o in item.options.all()] == [
        ("no", 0, False),
        ("yes", 3, True),
    ]


def test_a_one_option_item_is_refused_with_a_message(admin_client, draft):
    dimension = draft.dimensions.first()
    data = {"key": "online", "text": "q", "opt-0-value": "no", "opt-0-label": "没有"}

    response = admin_client.post(
        f"/children/instruments/{draft.pk}/dimensions/{dimension.pk}/items/add/", data, follow=True
    )

    assert not Item.objects.filter(key="online").exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_the_admin_removes_and_adds_options_and_items(admin_client, draft):
    item = Item.objects.get(dimension__instrument=draft, key="health")
    base = f"/children/instruments/{draft.pk}"

    admin_client.post(
        f"{base}/items/{item.pk}/options/add/", {"value": "some", "label": "偶尔", "score": "1"}
    )
    added = item.options.get(value="some")
    admin_client.post(f"{base}/options/{added.pk}/remove/")
    assert not item.options.filter(value="some").exists()

    admin_client.post(f"{base}/items/{item.pk}/remove/")
    assert not Item.objects.filter(pk=item.pk).exists()


def test_removing_a_dimension_with_items_asks_first(admin_client, draft):
    dimension = draft.dimensions.first()
    url = f"/children/instruments/{draft.pk}/dimensions/{dimension.pk}/remove/"

    asked = admin_client.post(url)
    assert asked.status_code == 200 and 'id="confirm-remove"' in asked.content.decode()
    assert Dimension.objects.filter(pk=dimension.pk).exists()

    done = admin_client.post(url, {"confirm": "1"})
    assert done.status_code == 302
    assert not Dimension.objects.filter(pk=dimension.pk).exists()


def test_the_admin_adds_an_empty_dimension_and_removes_it(admin_client, draft):
    base = f"/children/instruments/{draft.pk}"
    admin_client.post(f"{base}/dimensions/add/", {"key": "online", "name": "网络", "weight": "2"})
    dimension = draft.dimensions.get(key="online")
    assert dimension.weight == Decimal("2.00")

    response = admin_client.post(f"{base}/dimensions/{dimension.pk}/remove/")

    assert response.status_code == 302
    assert not Dimension.objects.filter(pk=dimension.pk).exists()


def test_structure_changes_are_post_only(admin_client, draft):
    item = draft.dimensions.first().items.first()
    assert (
        admin_client.get(f"/children/instruments/{draft.pk}/items/{item.pk}/remove/").status_code
        == 405
    )
    assert Item.objects.filter(pk=item.pk).exists()


def test_a_published_version_refuses_structure_changes_through_the_page(admin_client, instrument):
    item = instrument.dimensions.first().items.first()

    response = admin_client.post(
        f"/children/instruments/{instrument.pk}/items/{item.pk}/remove/", follow=True
    )

    assert Item.objects.filter(pk=item.pk).exists()
    assert response.status_code == 200


def test_outsiders_get_404(director_client, draft):
    item = draft.dimensions.first().items.first()
    base = f"/children/instruments/{draft.pk}"
    for url in (
        f"{base}/items/{item.pk}/remove/",
        f"{base}/dimensions/add/",
        f"{base}/options/{item.options.first().pk}/remove/",
    ):
        assert director_client.post(url, {"key": "x", "name": "x"}).status_code == 404
    assert Item.objects.filter(pk=item.pk).exists()


def test_the_csrf_token_is_required(district_admin, draft):
    client = login(Client(enforce_csrf_checks=True), district_admin)
    item = draft.dimensions.first().items.first()

    response = client.post(f"/children/instruments/{draft.pk}/items/{item.pk}/remove/")

    assert response.status_code == 403
    assert Item.objects.filter(pk=item.pk).exists()


def test_an_item_of_another_instrument_is_404(admin_client, draft, instrument):
    item = instrument.dimensions.first().items.first()
    response = admin_client.post(f"/children/instruments/{draft.pk}/items/{item.pk}/remove/")
    assert response.status_code == 404


def test_an_instrument_without_items_cannot_be_published(db, district_admin):
    from shegong.children.models import Instrument

    empty = Instrument.objects.create(version=99, name="空量表", red_from=2, orange_from=1)

    with pytest.raises(ValidationError):
        services.instrument_publish(by=district_admin, instrument=empty)
    assert not Instrument.objects.get(pk=empty.pk).is_current
