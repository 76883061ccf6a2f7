"""Service orders: every transition, illegal ones refused, stale versions, events, scope,
overdue orders on the casework "my work" page."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.casework.models import Notification
from shegong.elderly import selectors, services
from shegong.elderly.models import OrderStatus, ServiceOrder, ServiceOrderEvent
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


@pytest.fixture
def order(village_director, old_person):
    return services.order_request(
        by=village_director,
        person=old_person,
        kind="home_care",
        requester_type="family",
        requester_name="王小明",
        due_on=_today() + dt.timedelta(days=3),
        details="每周两次",
    )


def _statuses(order):
    return list(
        ServiceOrderEvent.objects.filter(order=order).values_list("from_status", "to_status")
    )


def _advance(by, order, to):
    """Move ``order`` forward to status ``to`` through the legal path."""
    steps = [
        (
            "assigned",
            lambda o: services.order_assign(
                by=by, order_id=o.pk, version=o.version, provider_name="爱心护理站"
            ),
        ),
        ("in_service", lambda o: services.order_start(by=by, order_id=o.pk, version=o.version)),
        ("done", lambda o: services.order_complete(by=by, order_id=o.pk, version=o.version)),
        ("rated", lambda o: services.order_rate(by=by, order_id=o.pk, version=o.version, rating=5)),
    ]
    for status, step in steps:
        order = step(order)
        if status == to:
            return order
    raise AssertionError(to)


def test_the_whole_path_writes_one_event_per_step(
    village_director, assistant, order, django_capture_on_commit_callbacks
):
    assert order.status == OrderStatus.REQUESTED and order.version == 1
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_assign(
            by=village_director, order_id=order.pk, version=1, provider_user=assistant
        )
    assert order.status == "assigned" and order.provider_user == assistant
    order = services.order_start(by=assistant, order_id=order.pk, version=order.version)
    assert order.status == "in_service"
    order = services.order_complete(
        by=assistant, order_id=order.pk, version=order.version, note="洗澡完成"
    )
    assert order.status == "done"
    order = services.order_rate(
        by=village_director, order_id=order.pk, version=order.version, rating=4, comment="满意"
    )
    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_comment, order.version) == (
        "rated",
        4,
        "满意",
        5,
    )
    assert _statuses(order) == [
        ("", "requested"),
        ("requested", "assigned"),
        ("assigned", "in_service"),
        ("in_service", "done"),
        ("done", "rated"),
    ]
    events = list(order.events.all())
    assert events[0].by == village_director and events[2].by == assistant
    assert events[3].note == "洗澡完成"
    # The worker given the order is told.
    assert Notification.objects.filter(user=assistant, url=order.get_absolute_url()).exists()


def test_assign_needs_exactly_one_provider_in_the_village(
    village_director, order, make_user, regions
):
    with pytest.raises(ValidationError):
        services.order_assign(by=village_director, order_id=order.pk, version=1)
    with pytest.raises(ValidationError):
        services.order_assign(
            by=village_director,
            order_id=order.pk,
            version=1,
            provider_user=village_director,
            provider_name="爱心护理站",
        )
    far = make_user(Role.VILLAGE_ASSISTANT, region=regions.far_village, username="far")
    with pytest.raises(ValidationError):
        services.order_assign(by=village_director, order_id=order.pk, version=1, provider_user=far)
    order.refresh_from_db()
    assert order.status == "requested" and order.events.count() == 1


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        ("requested", ["start", "complete", "rate"]),
        ("assigned", ["assign", "complete", "rate"]),
        ("in_service", ["assign", "start", "rate"]),
        ("done", ["assign", "start", "complete", "cancel"]),
        ("rated", ["assign", "start", "complete", "rate", "cancel"]),
    ],
)
def test_illegal_transitions_are_refused(village_director, order, status, refused):
    if status != "requested":
        order = _advance(village_director, order, status)
    calls = {
        "assign": lambda o: services.order_assign(
            by=village_director, order_id=o.pk, version=o.version, provider_name="x"
        ),
        "start": lambda o: services.order_start(
            by=village_director, order_id=o.pk, version=o.version
        ),
        "complete": lambda o: services.order_complete(
            by=village_director, order_id=o.pk, version=o.version
        ),
        "rate": lambda o: services.order_rate(
            by=village_director, order_id=o.pk, version=o.version, rating=3
        ),
        "cancel": lambda o: services.order_cancel(
            by=village_director, order_id=o.pk, version=o.version, reason="不需要了"
        ),
    }
    events = order.events.count()
    for action in refused:
        with pytest.raises(ValidationError, match="cannot become|不能变为"):
            calls[action](order)
    order.refresh_from_db()
    assert order.status == status and order.events.count() == events


@pytest.mark.parametrize("status", ["requested", "assigned", "in_service"])
def test_cancel_needs_a_reason(village_director, order, status):
    if status != "requested":
        order = _advance(village_director, order, status)
    with pytest.raises(ValidationError) as exc:
        services.order_cancel(
            by=village_director, order_id=order.pk, version=order.version, reason=" "
        )
    assert "reason" in exc.value.message_dict
    order = services.order_cancel(
        by=village_director, order_id=order.pk, version=order.version, reason="老人住院"
    )
    assert order.status == "cancelled" and order.cancel_reason == "老人住院"
    last = order.events.last()
    assert (last.from_status, last.to_status, last.note) == (status, "cancelled", "老人住院")


@pytest.mark.parametrize("rating", [0, 6, -1, "", "abc", None])
def test_rating_is_1_to_5(village_director, order, rating):
    order = _advance(village_director, order, "done")
    with pytest.raises(ValidationError):
        services.order_rate(
            by=village_director, order_id=order.pk, version=order.version, rating=rating
        )
    order.refresh_from_db()
    assert order.status == "done" and order.rating is None


def test_rating_only_after_done(village_director, order):
    order = _advance(village_director, order, "in_service")
    with pytest.raises(ValidationError):
        services.order_rate(by=village_director, order_id=order.pk, version=order.version, rating=5)
    order.refresh_from_db()
    assert order.rating is None


def test_a_stale_version_is_refused_and_nothing_changes(village_director, order):
    services.order_assign(by=village_director, order_id=order.pk, version=1, provider_name="站")
    with pytest.raises(services.StaleOrder):
        services.order_cancel(by=village_director, order_id=order.pk, version=1, reason="重复")
    order.refresh_from_db()
    assert (order.status, order.version, order.cancel_reason) == ("assigned", 2, "")
    assert order.events.count() == 2


def test_an_order_is_for_an_old_person(village_director, regions):
    young = PersonFactory(region=regions.village, birth_date=born_years_ago(40))
    with pytest.raises(ValidationError):
        services.order_request(
            by=village_director,
            person=young,
            kind="meals",
            requester_type="self",
            due_on=_today(),
        )
    assert not ServiceOrder.objects.exists()


def test_other_village_and_volunteer_get_404(make_user, regions, order, client):
    other = make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village, username="other")
    volunteer = make_user(Role.VOLUNTEER, username="vol")
    for user in (other, volunteer):
        with pytest.raises(Http404):
            services.order_start(by=user, order_id=order.pk, version=order.version)
        with pytest.raises(Http404):
            selectors.get_order_for_user(user, order.pk)
        assert not selectors.orders_list(fetched_by=user, filters=selectors.OrderFilters())
        browser = login(client, user)
        assert browser.get(f"/elderly/orders/{order.pk}/").status_code == 404
        response = browser.post(
            f"/elderly/orders/{order.pk}/cancel/", {"version": "1", "reason": "x"}
        )
        assert response.status_code == 404
        assert browser.get(f"/elderly/{order.person_id}/orders/new/").status_code == 404
        client.logout()
    order.refresh_from_db()
    assert order.status == "requested"


def test_the_web_flow_from_the_profile(director_client, village_director, old_person, assistant):
    services.profile_ensure(by=village_director, person=old_person)
    page = director_client.get(f"/elderly/{old_person.pk}/").content.decode()
    assert f"/elderly/{old_person.pk}/orders/new/" in page
    response = director_client.post(
        f"/elderly/{old_person.pk}/orders/new/",
        {"kind": "bathing", "requester_type": "self", "due_on": str(_today())},
    )
    order = ServiceOrder.objects.get()
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    page = director_client.get(order.get_absolute_url()).content.decode()
    assert 'data-step="assign"' in page and 'data-step="cancel"' in page
    response = director_client.post(
        f"/elderly/orders/{order.pk}/assign/",
        {"version": "1", "provider_user": str(assistant.pk)},
    )
    assert response.status_code == 302
    # A stale form: refused, nothing changed.
    director_client.post(f"/elderly/orders/{order.pk}/cancel/", {"version": "1", "reason": "x"})
    order.refresh_from_db()
    assert order.status == "assigned"
    # Cancel without a reason: 422, reason asked for.
    response = director_client.post(f"/elderly/orders/{order.pk}/cancel/", {"version": "2"})
    assert response.status_code == 422
    assert 'data-field-error="reason"' in response.content.decode()
    listing = director_client.get("/elderly/orders/?status=assigned&kind=bathing").content.decode()
    assert f'data-order="{order.pk}"' in listing
    listing = director_client.get("/elderly/orders/?kind=meals").content.decode()
    assert f'data-order="{order.pk}"' not in listing


def test_the_new_order_form_needs_a_due_date(director_client, old_person):
    response = director_client.post(
        f"/elderly/{old_person.pk}/orders/new/", {"kind": "meals", "requester_type": "self"}
    )
    assert response.status_code == 422
    assert not ServiceOrder.objects.exists()


def test_overdue_orders_show_on_my_work_and_in_the_list(
    village_director, assistant, old_person, client
):
    late = services.order_request(
        by=village_director,
        person=old_person,
        kind="medical_escort",
        requester_type="worker",
        due_on=_today() - dt.timedelta(days=1),
    )
    services.order_assign(by=village_director, order_id=late.pk, version=1, provider_user=assistant)
    finished = services.order_request(
        by=village_director,
        person=old_person,
        kind="meals",
        requester_type="worker",
        due_on=_today() - dt.timedelta(days=2),
    )
    finished = services.order_assign(
        by=village_director, order_id=finished.pk, version=1, provider_user=assistant
    )
    services.order_cancel(
        by=village_director, order_id=finished.pk, version=finished.version, reason="不需要"
    )

    assert selectors.overdue_orders_for(user=assistant) == [late]
    assert selectors.overdue_orders_for(user=village_director) == []
    browser = login(client, assistant)
    page = browser.get("/work/my-work/").content.decode()
    assert 'id="overdue-service-orders"' in page
    assert f'data-order="{late.pk}"' in page and f'data-order="{finished.pk}"' not in page
    listing = browser.get("/elderly/orders/?status=overdue").content.decode()
    assert f'data-order="{late.pk}" data-overdue' in listing
    assert f'data-order="{finished.pk}"' not in listing
    client.logout()
    page = login(client, village_director).get("/work/my-work/").content.decode()
    assert 'id="overdue-service-orders"' not in page


# ---- the list with the dashboard's filters ---------------------------------------------------


def _order_in(region, by, name: str, *, days_ago: int = 0, status: str = "requested"):
    person = PersonFactory(region=region, name=name, birth_date=born_years_ago(80))
    made = ServiceOrder.objects.create(
        person=person, kind="meals", requested_by=by, requester_type="worker", status=status,
        due_on=_today(),
    )  # fmt: skip
    if days_ago:
        ServiceOrder.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago)
        )
    return made


def _listed(client, **params) -> list[int]:
    html = client.get("/elderly/orders/", params).content.decode()
    return [int(pk) for pk in re.findall(r'data-order="(\d+)"', html)]


def test_the_order_list_filters_by_region_and_the_day_created(client, make_user, regions):
    supervisor = make_user(Role.TOWNSHIP_SUPERVISOR)
    session = login(client, supervisor)
    new = _order_in(regions.village, supervisor, "孙东庄")
    old = _order_in(regions.village, supervisor, "钱东庄", days_ago=40)
    sibling = _order_in(regions.sibling_village, supervisor, "周西庄", status="done")
    today = _today().isoformat()

    assert sorted(_listed(session)) == sorted([new.pk, old.pk, sibling.pk])
    assert sorted(_listed(session, region=regions.village.prefix)) == sorted([new.pk, old.pk])
    assert sorted(_listed(session, **{"from": today, "to": today})) == sorted([new.pk, sibling.pk])
    week_ago = (_today() - dt.timedelta(days=7)).isoformat()
    assert _listed(session, to=week_ago) == [old.pk]
    assert _listed(session, status="done", **{"from": today}) == [sibling.pk]
    html = session.get("/elderly/orders/", {"region": regions.village.prefix}).content.decode()
    assert 'id="order-count" data-total="2"' in html
    assert "export=xlsx" in html
    assert 'data-field-error="from"' in session.get("/elderly/orders/?from=x").content.decode()


def test_the_order_export_holds_the_lists_rows_masked(client, make_user, regions):
    supervisor = make_user(Role.TOWNSHIP_SUPERVISOR)
    session = login(client, supervisor)
    mine = _order_in(regions.village, supervisor, "孙东庄")
    _order_in(regions.village, supervisor, "钱东庄", days_ago=40)
    _order_in(regions.far_village, supervisor, "吴南营")  # another township
    today = _today().isoformat()

    rows = xlsx_rows(session.get("/elderly/orders/", {"export": "xlsx", "from": today}))
    assert [row[1] for row in rows] == ["孙东庄"]
    assert rows[0][2] == mine.person.id_number_masked
    viewer = login(client, make_user(Role.VIEWER))
    assert viewer.get("/elderly/orders/", {"export": "xlsx"}).status_code == 404
