"""/api/v1/institutions: elderly-care institutions, contracts within the caps, custody.

The scope gate decides everything: registry roles by region, an operator their institutions,
a bank officer the accounts their bank holds. The custody answer carries contract numbers only,
never a resident's name, ID number or phone, whoever asks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from shegong.accounts import scope
from shegong.people import selectors as people_selectors

from . import selectors, services
from .models import Contract, CustodyAccount, Institution

router = Router(tags=["institutions"])


class InstitutionOut(Schema):
    id: int
    name: str
    credit_code: str
    filing_number: str
    filed_on: dt.date | None
    kind: str
    operator_name: str
    address: str
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    beds_total: int
    beds_nursing: int
    star_rating: int
    services: str
    care_workers: int
    medical_staff: int
    social_workers: int
    status: str
    closing_announced_on: dt.date | None


class ContractIn(Schema):
    person_id: int
    monthly_fee: Decimal = Field(..., max_digits=10, decimal_places=2)
    monthly_bed_fee: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    deposit: Decimal = Field(Decimal(0), max_digits=12, decimal_places=2)
    prepaid_months: int = 0
    membership_fee: Decimal = Field(Decimal(0), max_digits=12, decimal_places=2)
    bed: str = ""
    signed_on: dt.date | None = None


class ContractOut(Schema):
    id: int
    number: str
    institution_id: int = Field(..., alias="resident.institution_id")
    monthly_fee: Decimal
    monthly_bed_fee: Decimal
    deposit: Decimal
    prepaid_months: int
    membership_fee: Decimal
    signed_on: dt.date
    status: str


class WarningOut(Schema):
    code: str  # below_reserve, withdrawal_without_evidence, advance_evidence_overdue
    message: str
    contract_number: str | None
    entry_id: int | None


class CustodyOut(Schema):
    institution_id: int
    bank: str
    account_number: str
    reserve_ratio: Decimal
    balances: dict[str, Decimal]  # per fee type: deposit, service_prepaid, membership
    total: Decimal
    reserve_required: Decimal  # reserve_ratio × (paid in − refunded)
    warnings: list[WarningOut]


class FieldErrors(Schema):
    detail: list[dict]


@router.get("", response=list[InstitutionOut], summary="Institutions you may see")
def list_institutions(request: HttpRequest):
    return list(selectors.institution_list(fetched_by=request.auth))


@router.get(
    "/{int:institution_id}", response=InstitutionOut, summary="One institution (404 if not yours)"
)
def get_institution(request: HttpRequest, institution_id: int):
    return scope.get_visible_or_404(
        Institution.objects.select_related("region"), request.auth, pk=institution_id
    )


@router.post(
    "/{int:institution_id}/contracts",
    response={201: ContractOut, 422: FieldErrors},
    summary="Admit a registry person and sign a contract; a broken cap is 422 naming it",
)
def create_contract(request: HttpRequest, institution_id: int, payload: ContractIn):
    institution = scope.get_visible_or_404(
        Institution.objects.all(), request.auth, write=True, pk=institution_id
    )
    person = people_selectors.get_person_for_user(request.auth, payload.person_id)
    contract = services.contract_create(
        by=request.auth,
        institution=institution,
        person=person,
        monthly_fee=payload.monthly_fee,
        monthly_bed_fee=payload.monthly_bed_fee,
        deposit=payload.deposit,
        prepaid_months=payload.prepaid_months,
        membership_fee=payload.membership_fee,
        bed=payload.bed,
        signed_on=payload.signed_on,
    )
    return Status(201, Contract.objects.select_related("resident").get(pk=contract.pk))


@router.get(
    "/{int:institution_id}/custody",
    response=CustodyOut,
    summary="Custody balances per fee type, the reserve required and warnings (no personal data)",
)
def get_custody(request: HttpRequest, institution_id: int):
    account = scope.get_visible_or_404(
        CustodyAccount.objects.select_related("bank"), request.auth, institution_id=institution_id
    )
    return {"institution_id": institution_id, **selectors.custody_summary(account)}
