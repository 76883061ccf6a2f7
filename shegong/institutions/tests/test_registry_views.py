"""Registry pages: registering and editing an institution, its custody account, and the
inspection pages, for the district, the institution's operator and the outsiders who get 404."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.institutions import inspections, registry, services
from shegong.institutions.models import CustodyAccount, Inspection, Institution
from shegong.testing import login

from .conftest import CODES

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def inspection(district_admin, institution, operator) -> Inspection:
    return inspections.inspection_create(
        by=district_admin, institution=institution, inspected_on=days(-3),
        inspectors="李明", findings="床位超员", items=[
            {"description": "减少加床", "deadline": days(-1)},
            {"description": "补充护理员", "deadline": days(30)},
        ],
    )  # fmt: skip


@pytest.fixture
def item(inspection):
    return inspection.items.get(description="减少加床")


def inspection_urls(institution, item) -> list[tuple[str, str]]:
    return [
        ("get", reverse("institutions:inspections", args=[institution.pk])),
        ("get", reverse("institutions:inspection_new", args=[institution.pk])),
        ("post", reverse("institutions:item_follow_up", args=[institution.pk, item.pk])),
    ]


def new_inspection_data(**overrides) -> dict:
    data = {
        "inspected_on": days(-1).isoformat(),
        "inspectors": "王芳",
        "findings": "消防器材过期",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "更换灭火器",
        "items-0-deadline": days(14).isoformat(),
        "items-1-description": "",
        "items-1-deadline": "",
        "items-2-description": "",
        "items-2-deadline": "",
    }
    data.update(overrides)
    return data


def institution_data(regions, **overrides) -> dict:
    data = {
        "name": "西庄村颐养院",
        "credit_code": CODES[2],
        "filing_number": "",
        "filed_on": "",
        "kind": "private",
        "operator_name": "西庄养老服务有限公司",
        "region": regions.village.code,
        "address": "西庄村1号",
        "beds_total": "50",
        "beds_nursing": "20",
        "star_rating": "0",
        "services": "",
        "care_workers": "5",
        "medical_staff": "1",
        "social_workers": "1",
    }
    data.update(overrides)
    return data


# Inspection pages


def test_the_district_records_an_inspection_from_the_page(admin_client, institution):
    url = reverse("institutions:inspection_new", args=[institution.pk])

    response = admin_client.post(url, new_inspection_data())

    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert list(inspection.items.values_list("description", flat=True)) == ["更换灭火器"]


def test_a_deadline_before_the_inspection_is_shown_on_the_form(admin_client, institution):
    url = reverse("institutions:inspection_new", args=[institution.pk])

    response = admin_client.post(url, new_inspection_data(**{"items-0-deadline": days(-9)}))

    assert response.status_code == 200
    assert "data-items-error" in response.content.decode()
    assert not Inspection.objects.exists()


def test_a_future_inspection_date_is_shown_on_its_field(admin_client, institution):
    url = reverse("institutions:inspection_new", args=[institution.pk])

    response = admin_client.post(url, new_inspection_data(inspected_on=days(2).isoformat()))

    assert 'data-field-error="inspected_on"' in response.content.decode()
    assert not Inspection.objects.exists()


def test_add_a_row_gives_one_more_row_and_keeps_what_was_typed(admin_client, institution):
    url = reverse("institutions:inspection_new", args=[institution.pk])

    response = admin_client.post(url, new_inspection_data(add_row="1", findings=""))

    body = response.content.decode()
    assert 'data-item-row="4"' in body and "更换灭火器" in body
    assert "data-field-error" not in body
    assert not Inspection.objects.exists()


def test_the_inspections_page_shows_overdue_items_in_red(admin_client, institution, item):
    response = admin_client.get(reverse("institutions:inspections", args=[institution.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("data-overdue") == 1
    assert f'id="item-{item.pk}"' in body


def test_an_operator_reads_inspections_but_cannot_record_one(client, operator, institution, item):
    login(client, operator)

    new = reverse("institutions:inspection_new", args=[institution.pk])
    page = client.get(reverse("institutions:inspections", args=[institution.pk]))
    assert page.status_code == 200
    assert new not in page.content.decode()
    assert client.get(new).status_code == 404
    assert client.post(new, new_inspection_data()).status_code == 404
    assert Inspection.objects.count() == 1


def test_an_operator_reports_an_item_done_from_the_page(client, operator, institution, item):
    login(client, operator)
    url = reverse("institutions:item_follow_up", args=[institution.pk, item.pk])

    response = client.post(url, {"action": "report", "note": "已撤掉加床", "version": 1})

    assert response.status_code == 302 and response.url.endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.status == "reported"
    assert client.post(url, {"action": "accept", "version": 2}).status_code == 404
    item.refresh_from_db()
    assert item.status == "reported"


def test_the_district_refuses_a_reported_item_from_the_page(
    admin_client, operator, institution, item
):
    inspections.item_report_done(by=operator, item=item, note="", version=1)
    url = reverse("institutions:item_follow_up", args=[institution.pk, item.pk])

    admin_client.post(url, {"action": "refuse", "note": "仍有加床", "version": 2})

    item.refresh_from_db()
    assert item.status == "open"


def test_a_stale_page_gets_a_message_and_changes_nothing(admin_client, operator, institution, item):
    inspections.item_report_done(by=operator, item=item, note="", version=1)
    url = reverse("institutions:item_follow_up", args=[institution.pk, item.pk])

    response = admin_client.post(url, {"action": "accept", "version": 1}, follow=True)

    assert "其他人修改了该整改事项" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "reported"


@pytest.mark.parametrize("outsider", ["other_operator", "officer"])
def test_outsiders_get_404_on_every_inspection_url(client, request, outsider, institution, item):
    login(client, request.getfixturevalue(outsider))

    for method, url in inspection_urls(institution, item):
        data = {"action": "note", "note": "x"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 404, url
    assert not item.follow_ups.exists()


def test_the_institution_page_shows_the_inspections_card_and_occupancy(
    admin_client, institution, item, contract
):
    body = admin_client.get(reverse("institutions:detail", args=[institution.pk])).content.decode()

    assert 'id="inspections"' in body and 'id="edit-institution"' in body
    assert "60 张床位入住 1 人 (2%)" in body
    assert "data-overdue-items" in body


def test_a_bank_officer_sees_no_inspections_card_and_no_edit_button(
    client, officer, institution, account, item
):
    login(client, officer)
    body = client.get(reverse("institutions:detail", args=[institution.pk])).content.decode()

    assert 'id="inspections"' not in body and 'id="edit-institution"' not in body


# Registering and editing institutions


def test_the_list_offers_new_institution_to_the_registry_only(
    admin_client, client, operator, institution
):
    assert 'id="new-institution"' in admin_client.get(reverse("institutions:list")).content.decode()
    login(client, operator)
    assert 'id="new-institution"' not in client.get(reverse("institutions:list")).content.decode()
    assert client.get(reverse("institutions:new")).status_code == 404


def test_the_district_registers_an_institution(admin_client, regions):
    response = admin_client.post(
        reverse("institutions:new"), institution_data(regions, credit_code=CODES[2].lower())
    )

    institution = Institution.objects.get(name="西庄村颐养院")
    assert response.url == reverse("institutions:detail", args=[institution.pk])
    assert (institution.credit_code, institution.status) == (CODES[2], "open")


def test_a_wrong_check_digit_is_refused_on_the_credit_code(admin_client, regions):
    response = admin_client.post(
        reverse("institutions:new"), institution_data(regions, credit_code=CODES[2][:-1] + "A")
    )

    assert response.status_code == 200
    assert 'data-field-error="credit_code"' in response.content.decode()
    assert not Institution.objects.exists()


def test_a_village_director_registers_only_in_their_village(client, village_director, regions):
    login(client, village_director)
    url = reverse("institutions:new")

    response = client.post(url, institution_data(regions, region=regions.far_village.code))

    assert 'data-field-error="region"' in response.content.decode()
    assert client.post(url, institution_data(regions)).status_code == 302


def test_nursing_beds_above_the_beds_are_refused(admin_client, regions):
    response = admin_client.post(
        reverse("institutions:new"), institution_data(regions, beds_nursing="80")
    )

    assert 'data-field-error="beds_nursing"' in response.content.decode()


def edit(client, institution, **changes):
    url = reverse("institutions:edit", args=[institution.pk])
    page = client.get(url)
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: "" if v is None else getattr(v, "pk", v) for k, v in data.items()}
    return url, {**data, "loaded": page.context["loaded"], **changes}


def test_the_district_edits_an_institution(admin_client, institution):
    url, data = edit(admin_client, institution, star_rating="3", filing_number="栾民养备001")

    assert admin_client.post(url, data).status_code == 302
    institution.refresh_from_db()
    assert (institution.star_rating, institution.filing_number) == (3, "栾民养备001")


def test_an_edit_over_someone_elses_save_is_refused_with_what_changed(
    admin_client, institution, operator
):
    url, data = edit(admin_client, institution, star_rating="3")
    registry.institution_update(by=operator, institution=institution, changes={"care_workers": 9})

    response = admin_client.post(url, data)

    body = response.content.decode()
    assert response.status_code == 200 and "其他人保存了该机构信息" in body and "0 → 9" in body
    institution.refresh_from_db()
    assert (institution.star_rating, institution.care_workers) == (2, 9)
    # The form now carries the stored values: saving again is a knowing overwrite.
    data["loaded"] = response.context["loaded"]
    assert admin_client.post(url, data).status_code == 302


def test_an_operator_edits_staffing_but_not_status_or_credit_code(client, operator, institution):
    login(client, operator)
    url, data = edit(client, institution, care_workers="12", services="康复理疗")
    assert "credit_code" not in data and "status" not in data

    response = client.post(url, {**data, "credit_code": CODES[2], "status": "closed"})

    assert response.status_code == 302
    institution.refresh_from_db()
    assert (institution.care_workers, institution.services) == (12, "康复理疗")
    assert (institution.credit_code, institution.status) == (CODES[0], "open")


def test_the_service_refuses_an_operator_changing_the_credit_code(operator, institution):
    with pytest.raises(PermissionDenied):
        registry.institution_update(
            by=operator, institution=institution, changes={"credit_code": CODES[2]}
        )


def test_beds_cannot_drop_below_the_residents_living_there(operator, institution, contract):
    with pytest.raises(ValidationError, match="目前有 1 位老人入住"):
        registry.institution_update(
            by=operator, institution=institution, changes={"beds_total": 0, "beds_nursing": 0}
        )


@pytest.mark.parametrize("outsider", ["other_operator", "officer"])
def test_outsiders_get_404_on_edit_and_account(client, request, outsider, institution, account):
    login(client, request.getfixturevalue(outsider))

    for name in ("edit", "account", "members"):
        assert client.get(reverse(f"institutions:{name}", args=[institution.pk])).status_code == 404


def test_an_operator_cannot_set_the_custody_account(client, operator, institution):
    login(client, operator)

    assert client.get(reverse("institutions:account", args=[institution.pk])).status_code == 404


# The custody account


def account_data(bank, **overrides) -> dict:
    data = {
        "bank": bank.pk,
        "number": "6222 0000 3333",
        "agreement_on": "2026-01-10",
        "reserve_ratio": "0.300",
    }
    data.update(overrides)
    return data


def test_the_district_opens_a_custody_account(admin_client, institution, bank):
    url = reverse("institutions:account", args=[institution.pk])

    assert admin_client.post(url, account_data(bank)).status_code == 302

    account = CustodyAccount.objects.get(institution=institution)
    assert (account.bank, account.number, account.reserve_ratio) == (
        bank,
        "6222 0000 3333",
        Decimal("0.300"),
    )


def test_the_bank_may_change_while_no_money_went_through(
    admin_client, institution, account, other_bank
):
    url = reverse("institutions:account", args=[institution.pk])

    assert admin_client.post(url, account_data(other_bank)).status_code == 302
    account.refresh_from_db()
    assert account.bank == other_bank


def test_the_bank_cannot_change_once_the_ledger_has_entries(
    admin_client, institution, account, contract, district_admin, bank, other_bank
):
    services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(100)
    )
    url = reverse("institutions:account", args=[institution.pk])

    response = admin_client.post(url, account_data(other_bank))

    assert 'data-field-error="bank"' in response.content.decode()
    account.refresh_from_db()
    assert account.bank == bank
    assert admin_client.post(url, account_data(bank, reserve_ratio="0.4")).status_code == 302


def test_a_reserve_ratio_above_one_is_refused(admin_client, institution, bank):
    url = reverse("institutions:account", args=[institution.pk])

    response = admin_client.post(url, account_data(bank, reserve_ratio="1.5"))

    assert 'data-field-error="reserve_ratio"' in response.content.decode()


@pytest.mark.parametrize("who", ["district_admin", "operator"])
def test_the_pages_render(client, request, who, institution, account, item):
    login(client, request.getfixturevalue(who))
    names = ["detail", "edit", "inspections"] + (
        ["account", "inspection_new"] if who == "district_admin" else []
    )

    for name in names:
        response = client.get(reverse(f"institutions:{name}", args=[institution.pk]))
        assert response.status_code == 200, name


def test_the_new_institution_page_renders_for_a_township_worker(client, make_user):
    login(client, make_user(Role.TOWNSHIP_WORKER))

    assert client.get(reverse("institutions:new")).status_code == 200


def test_a_new_bank_is_added_from_the_account_form_once(admin_client, institution):
    from shegong.institutions.models import Bank

    url = reverse("institutions:account", args=[institution.pk])
    data = {"bank": "", "new_bank": "农商银行栾城支行", "number": "6222",
            "agreement_on": "2026-01-10", "reserve_ratio": "0.2"}  # fmt: skip

    assert admin_client.post(url, data).status_code == 302
    assert admin_client.post(url, data).status_code == 302
    assert Bank.objects.filter(name="农商银行栾城支行").count() == 1
    assert CustodyAccount.objects.get(institution=institution).bank.name == "农商银行栾城支行"

    response = admin_client.post(url, {**data, "new_bank": ""})
    assert 'data-field-error="bank"' in response.content.decode()


def test_the_district_names_operators_and_officers_who_then_reach_the_institution(
    client, district_admin, institution, account, make_user
):
    from shegong.accounts import scope
    from shegong.accounts.models import Role
    from shegong.institutions.models import Institution

    new_operator = make_user(Role.INSTITUTION_OPERATOR, username="new_operator")
    new_officer = make_user(Role.BANK_OFFICER, username="new_officer")
    director = make_user(Role.VILLAGE_DIRECTOR, username="not_an_operator")
    url = reverse("institutions:members", args=[institution.pk])
    login(client, district_admin)

    refused = client.post(url, {"operators": [director.pk]})
    assert refused.status_code == 200
    assert not institution.operators.exists()

    response = client.post(url, {"operators": [new_operator.pk], "officers": [new_officer.pk]})

    assert response.status_code == 302
    assert list(scope.visible(Institution.objects.all(), new_operator)) == [institution]
    assert list(scope.visible(Institution.objects.all(), new_officer)) == [institution]


def test_an_operator_cannot_name_operators(client, operator, institution):
    login(client, operator)

    assert client.get(reverse("institutions:members", args=[institution.pk])).status_code == 404
