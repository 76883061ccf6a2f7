"""Writes of the justice-involved minors programme: the referral workflow and the work under it.

Who may do what:
- a liaison of the referring agency submits a referral and may withdraw it until it is done;
- the programme's workers (memberships naming the juvenile programme, see the scope gate)
  accept or reject it, record the investigation, guidance, orders, mentoring and the closing;
- a programme supervisor (district administrator or township supervisor in the programme), never
  the author, approves or returns a report version.
Every status change is a :class:`ReferralEvent` and notifies the people concerned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong import uploads
from shegong.accounts import scope
from shegong.accounts.models import Membership, Role, User
from shegong.casework.services import notify
from shegong.people import crypto, idnumbers
from shegong.regions.models import Level, Region

from .models import (
    REFERRAL_CLOSED,
    Agency,
    AssessmentStage,
    ClosingReport,
    Compliance,
    ComplianceCheck,
    Document,
    GuardianAssessment,
    GuardianshipOrder,
    GuidancePlan,
    GuidanceSession,
    Interview,
    MentoringRecord,
    ProceduralStatus,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ReportStatus,
    ReportVersion,
    ServiceRequested,
)
from .report import SECTION_KEYS

PROGRAMME = "juvenile"
SUPERVISOR_ROLES = (Role.DISTRICT_ADMIN, Role.TOWNSHIP_SUPERVISOR)
# The short guardian assessment: five items scored 1 (poor) to 5 (good).
GUARDIAN_ITEMS = ("awareness", "communication", "methods", "emotions", "rules")


class StaleReferral(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(
            _("Someone else changed this referral meanwhile; nothing was saved. Look again.")
        )
        self.current_version = current_version


# ---- who --------------------------------------------------------------------------------------


def programme_members(code: str, roles: tuple[str, ...] | None = None) -> list[User]:
    """Active users working in the programme over ``code`` (a district or below)."""
    memberships = Membership.objects.filter(
        is_active=True, user__is_active=True, role__in=roles or scope.PROGRAMME_ROLES
    ).select_related("user", "region")
    return sorted(
        {
            m.user
            for m in memberships
            if PROGRAMME in (m.programmes or ()) and code.startswith(m.region.prefix)
        },
        key=lambda user: user.pk,
    )


def is_supervisor(user: Any, referral: Referral) -> bool:
    return any(u.pk == user.pk for u in programme_members(referral.region_id, SUPERVISOR_ROLES))


def liaison_agencies(user: Any) -> list[Agency]:
    if Role.AGENCY_LIAISON not in scope.scope_for(user).roles:
        return []
    return list(Agency.objects.filter(liaisons=user))


def _require_worker(user: Any, referral: Referral) -> None:
    if not scope.works_in_programme(user, PROGRAMME, referral.region_id):
        raise Http404


def _tell(users, referral: Referral, key: str, title: str) -> None:
    for user in users:
        notify(
            user,
            key=f"juvenile:{referral.pk}:{key}:{user.pk}",
            title=title,
            url=referral.get_absolute_url(),
        )


def _tell_agency(referral: Referral, key: str, title: str) -> None:
    _tell(referral.agency.liaisons.filter(is_active=True), referral, key, title)


# ---- referral workflow ------------------------------------------------------------------------


def _event(referral: Referral, by: Any, old: str, new: str, note: str = "") -> None:
    ReferralEvent.objects.create(
        referral=referral, from_status=old, to_status=new, note=note, by=by
    )


def referral_submit(*, by: Any, agency: Agency, data: dict[str, Any]) -> Referral:
    """A liaison refers a minor. ``data`` holds the form's fields; errors name each field."""
    if agency not in liaison_agencies(by):
        raise Http404
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    required = ("case_number", "minor_name", "case_summary", "procedural_status", "due_on")
    for name in required:
        if not data.get(name):
            errors[name] = [_("This field is required.")]
    birth_date, sex = data.get("birth_date"), data.get("sex", "")
    id_number = (data.get("id_number") or "").strip()
    if id_number:
        try:
            parsed = idnumbers.parse(id_number)
        except idnumbers.IdNumberError as exc:
            errors["id_number"] = [str(exc)]
        else:
            id_number, birth_date, sex = parsed.number, parsed.birth_date, parsed.sex
    if not birth_date:
        errors.setdefault("birth_date", [_("Give the date of birth or the ID number.")])
    elif (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
        >= 18
    ):
        errors["birth_date"] = [_("The programme serves minors; this person is 18 or over.")]
    if sex not in ("M", "F"):
        errors.setdefault("sex", [_("Choose the sex.")])
    if data.get("procedural_status") and data["procedural_status"] not in ProceduralStatus.values:
        errors["procedural_status"] = [_("Choose the procedural status.")]
    services = [s for s in data.get("services") or [] if s in ServiceRequested.values]
    if not services:
        errors["services"] = [_("Choose at least one service.")]
    due_on = data.get("due_on")
    if due_on and due_on < today:
        errors["due_on"] = [_("The due date has passed already.")]
    region = Region.objects.filter(code=data.get("region_code", "")).first()
    if (
        region is None
        or region.level != Level.VILLAGE
        or not region.code.startswith(agency.region.prefix)
    ):
        errors["region_code"] = [_("Choose the village where the minor lives.")]
    if errors:
        raise ValidationError(errors)
    phone = (data.get("guardian_phone") or "").strip()
    with transaction.atomic(), set_actor(by):
        referral = Referral.objects.create(
            agency=agency,
            region=region,
            case_number=data["case_number"].strip(),
            minor_name=data["minor_name"].strip(),
            sex=sex,
            birth_date=birth_date,
            id_number_encrypted=crypto.encrypt(id_number),
            id_number_masked=crypto.mask_id_number(id_number) if id_number else "",
            guardian_name=(data.get("guardian_name") or "").strip(),
            guardian_relation=(data.get("guardian_relation") or "").strip(),
            guardian_phone_encrypted=crypto.encrypt(phone),
            guardian_phone_masked=crypto.mask_phone(phone) if phone else "",
            school_or_work=(data.get("school_or_work") or "").strip(),
            case_summary=data["case_summary"].strip(),
            procedural_status=data["procedural_status"],
            services=services,
            due_on=due_on,
            referred_by=by,
        )
        _event(referral, by, "", ReferralStatus.SUBMITTED)
        _tell(
            programme_members(region.code),
            referral,
            "submitted",
            _("New referral from %(agency)s: %(case)s")
            % {
                "agency": agency.name,
                "case": referral.case_number,
            },
        )
    return referral


def _lock(by: Any, referral_id: int, version: int | None) -> Referral:
    referral = scope.get_visible_or_404(Referral.objects.all(), by, pk=referral_id)
    locked = Referral.objects.select_for_update().select_related("agency").get(pk=referral.pk)
    if version is not None and locked.version != version:
        raise StaleReferral(locked.version)
    return locked


def _move(referral: Referral, by: Any, to: str, note: str = "", **fields: Any) -> Referral:
    old = referral.status
    referral.status = to
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.version += 1
    referral.save()
    _event(referral, by, old, to, note)
    title = _("Referral %(case)s: %(status)s") % {
        "case": referral.case_number,
        "status": ReferralStatus(to).label,
    }
    _tell_agency(referral, to, title)
    if referral.worker_id and referral.worker_id != getattr(by, "pk", None):
        _tell([referral.worker], referral, to, title)
    return referral


def _illegal(referral: Referral, to: str) -> ValidationError:
    return ValidationError(
        _("A referral that is “%(now)s” cannot become “%(to)s”.")
        % {"now": referral.get_status_display(), "to": ReferralStatus(to).label}
    )


def referral_accept(
    *, by: Any, referral_id: int, version: int, worker: User | None = None, contract=None
) -> Referral:
    with transaction.atomic(), set_actor(by):
        referral = _lock(by, referral_id, version)
        _require_worker(by, referral)
        if referral.status != ReferralStatus.SUBMITTED:
            raise _illegal(referral, ReferralStatus.ACCEPTED)
        worker = worker or by
        if not scope.works_in_programme(worker, PROGRAMME, referral.region_id):
            raise ValidationError({"worker": [_("Choose a worker of the programme.")]})
        return _move(referral, by, ReferralStatus.ACCEPTED, worker=worker, contract=contract)


def referral_reject(*, by: Any, referral_id: int, version: int, reason: str) -> Referral:
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the referral is rejected.")]})
    with transaction.atomic(), set_actor(by):
        referral = _lock(by, referral_id, version)
        _require_worker(by, referral)
        if referral.status != ReferralStatus.SUBMITTED:
            raise _illegal(referral, ReferralStatus.REJECTED)
        return _move(
            referral, by, ReferralStatus.REJECTED, reason.strip(), reject_reason=reason.strip()
        )


def referral_start(*, by: Any, referral_id: int, version: int) -> Referral:
    with transaction.atomic(), set_actor(by):
        referral = _lock(by, referral_id, version)
        _require_worker(by, referral)
        if referral.status != ReferralStatus.ACCEPTED:
            raise _illegal(referral, ReferralStatus.IN_PROGRESS)
        return _move(referral, by, ReferralStatus.IN_PROGRESS)


def referral_withdraw(*, by: Any, referral_id: int, version: int, reason: str) -> Referral:
    """The referring agency takes the referral back (the case was transferred, dropped …)."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the referral is withdrawn.")]})
    with transaction.atomic(), set_actor(by):
        referral = _lock(by, referral_id, version)
        if referral.agency not in liaison_agencies(by):
            raise Http404
        if referral.status in REFERRAL_CLOSED:
            raise _illegal(referral, ReferralStatus.WITHDRAWN)
        return _move(referral, by, ReferralStatus.WITHDRAWN, reason.strip())


def _open_for_work(by: Any, referral_id: int) -> Referral:
    """The referral, locked, for recording work under it: a worker's, and accepted."""
    referral = _lock(by, referral_id, None)
    _require_worker(by, referral)
    if referral.status not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        raise ValidationError(_("Work is recorded on an accepted referral that is not closed."))
    if referral.status == ReferralStatus.ACCEPTED:
        _move(referral, by, ReferralStatus.IN_PROGRESS, _("Work started."))
    return referral


# ---- social investigation ---------------------------------------------------------------------


def interview_add(*, by: Any, referral_id: int, data: dict[str, Any]) -> Interview:
    errors = {
        name: [_("This field is required.")]
        for name in ("interviewee", "relation", "held_at", "place", "method", "summary")
        if not data.get(name)
    }
    if data.get("held_at") and data["held_at"] > timezone.now():
        errors["held_at"] = [_("An interview cannot be recorded before it happens.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        return Interview.objects.create(referral=referral, recorded_by=by, **data)


DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


def document_add(*, by: Any, referral_id: int, title: str, file: Any) -> Document:
    """Attach a document (school records, court papers, interview notes …) to the referral."""
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if file is None:
        errors["file"] = [_("Choose the file to upload.")]
    else:
        try:
            uploads.check_document_upload(file, limit_bytes=uploads.limit(DOCUMENT_MAX_BYTES))
        except ValidationError as exc:
            errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        return Document.objects.create(
            referral=referral, title=title.strip(), file=file, uploaded_by=by
        )


def report_save(*, by: Any, referral_id: int, sections: dict[str, str]) -> ReportVersion:
    """Save the report's text: the current draft, or a new version after a submitted, returned or
    approved one (those are never changed)."""
    clean = {key: (sections.get(key) or "").strip() for key in SECTION_KEYS}
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        latest = referral.report_versions.order_by("-number").first()
        if latest is not None and latest.status == ReportStatus.SUBMITTED:
            raise ValidationError(_("This version waits for approval; it cannot change now."))
        if latest is not None and latest.status == ReportStatus.DRAFT:
            latest.sections = clean
            latest.author = by
            latest.save(update_fields=["sections", "author", "updated_at"])
            return latest
        number = (referral.report_versions.aggregate(n=Max("number"))["n"] or 0) + 1
        return ReportVersion.objects.create(
            referral=referral, number=number, sections=clean, author=by
        )


def report_submit(*, by: Any, version_id: int) -> ReportVersion:
    with transaction.atomic(), set_actor(by):
        version = _version(by, version_id)
        if version.status != ReportStatus.DRAFT:
            raise ValidationError(_("Only a draft is submitted for approval."))
        missing = [key for key in SECTION_KEYS if not version.sections.get(key)]
        if missing:
            raise ValidationError(
                {key: [_("Write this section before submitting.")] for key in missing}
            )
        version.status = ReportStatus.SUBMITTED
        version.save(update_fields=["status", "updated_at"])
        referral = version.referral
        _tell(
            [u for u in programme_members(referral.region_id, SUPERVISOR_ROLES) if u.pk != by.pk],
            referral,
            f"report-{version.number}",
            _("Social investigation report %(case)s v%(n)s waits for your approval")
            % {"case": referral.case_number, "n": version.number},
        )
    return version


def _version(by: Any, version_id: int) -> ReportVersion:
    version = scope.get_visible_or_404(
        ReportVersion.objects.select_related("referral"), by, pk=version_id
    )
    _require_worker(by, version.referral)
    return (
        ReportVersion.objects.select_for_update()
        .select_related("referral__agency")
        .get(pk=version.pk)
    )


def report_decide(*, by: Any, version_id: int, approve: bool, comment: str = "") -> ReportVersion:
    """A supervisor, not the author, approves the version (it is released to the referring
    agency as a Word document) or returns it with a comment."""
    with transaction.atomic(), set_actor(by):
        version = _version(by, version_id)
        referral = version.referral
        if not is_supervisor(by, referral):
            raise ValidationError(_("Only a supervisor of the programme approves reports."))
        if version.author_id == by.pk:
            raise ValidationError(_("Nobody approves their own report."))
        if version.status != ReportStatus.SUBMITTED:
            raise ValidationError(_("This version is not waiting for approval."))
        if not approve and not comment.strip():
            raise ValidationError({"comment": [_("Say what to change when returning a report.")]})
        version.status = ReportStatus.APPROVED if approve else ReportStatus.RETURNED
        version.decided_by = by
        version.decided_at = timezone.now()
        version.comment = comment.strip()
        version.save()
        if approve:
            _tell_agency(
                referral,
                f"report-{version.number}",
                _("The social investigation report for %(case)s is ready to download")
                % {"case": referral.case_number},
            )
        _tell(
            [version.author],
            referral,
            f"decided-{version.number}",
            _("Report %(case)s v%(n)s: %(status)s")
            % {
                "case": referral.case_number,
                "n": version.number,
                "status": version.get_status_display(),
            },
        )
    return version


def approved_report(referral: Referral) -> ReportVersion | None:
    return referral.report_versions.filter(status=ReportStatus.APPROVED).order_by("-number").first()


# ---- guidance, orders, mentoring, closing ------------------------------------------------------


def guidance_plan_save(
    *, by: Any, referral_id: int, goals: str, content: str, sessions_planned: int
) -> GuidancePlan:
    if not goals.strip() or not content.strip():
        raise ValidationError(
            {
                name: [_("This field is required.")]
                for name, value in (("goals", goals), ("content", content))
                if not value.strip()
            }
        )
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        plan, _created = GuidancePlan.objects.update_or_create(
            referral=referral,
            defaults={
                "goals": goals.strip(),
                "content": content.strip(),
                "sessions_planned": max(int(sessions_planned or 1), 1),
                "written_by": by,
            },
        )
    return plan


def session_add(*, by: Any, referral_id: int, data: dict[str, Any]) -> GuidanceSession:
    errors = {
        name: [_("This field is required.")]
        for name in ("held_on", "kind", "guardians_attending", "content")
        if not data.get(name)
    }
    if data.get("held_on") and data["held_on"] > timezone.localdate():
        errors["held_on"] = [_("A session cannot be recorded before it happens.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        return GuidanceSession.objects.create(referral=referral, recorded_by=by, **data)


def guardian_assessment_record(
    *, by: Any, referral_id: int, stage: str, scores: dict[str, int], assessed_on: dt.date
) -> GuardianAssessment:
    if stage not in AssessmentStage.values:
        raise ValidationError({"stage": [_("Choose before or after guidance.")]})
    errors = {}
    for item in GUARDIAN_ITEMS:
        value = scores.get(item)
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[item] = [_("Score 1 to 5.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        assessment, _created = GuardianAssessment.objects.update_or_create(
            referral=referral,
            stage=stage,
            defaults={
                "scores": {item: scores[item] for item in GUARDIAN_ITEMS},
                "total": sum(scores[item] for item in GUARDIAN_ITEMS),
                "assessed_on": assessed_on,
                "assessed_by": by,
            },
        )
    return assessment


def order_add(*, by: Any, referral_id: int, data: dict[str, Any]) -> GuardianshipOrder:
    """Record an order; its first compliance check falls due one interval after it was issued."""
    errors = {
        name: [_("This field is required.")]
        for name in ("kind", "issued_by", "issued_on", "obligations")
        if not data.get(name)
    }
    every = data.get("check_every_days")
    if every is None or every == "":
        data = {**data, "check_every_days": 30}  # monthly unless told otherwise
    elif not 1 <= int(every) <= 365:
        errors["check_every_days"] = [_("Between 1 and 365 days.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        order = GuardianshipOrder.objects.create(referral=referral, **data)
        ComplianceCheck.objects.create(
            order=order, due_on=order.issued_on + dt.timedelta(days=order.check_every_days)
        )
    return order


def compliance_record(
    *, by: Any, check_id: int, result: str, note: str = "", checked_on: dt.date | None = None
) -> ComplianceCheck:
    """Record a check; the next one falls due one interval later unless the order has ended."""
    if result not in Compliance.values:
        raise ValidationError({"result": [_("Choose the result of the check.")]})
    checked_on = checked_on or timezone.localdate()
    with transaction.atomic(), set_actor(by):
        check = scope.get_visible_or_404(
            ComplianceCheck.objects.select_related("order__referral"), by, pk=check_id
        )
        _open_for_work(by, check.order.referral_id)
        check = ComplianceCheck.objects.select_for_update().select_related("order").get(pk=check.pk)
        if check.checked_on is not None:
            raise ValidationError(_("This check is recorded already."))
        check.checked_on, check.result, check.note, check.checked_by = checked_on, result, note, by
        check.save()
        order = check.order
        following = checked_on + dt.timedelta(days=order.check_every_days)
        if order.ends_on is None or following <= order.ends_on:
            ComplianceCheck.objects.create(order=order, due_on=following)
    return check


def mentoring_add(*, by: Any, referral_id: int, data: dict[str, Any]) -> MentoringRecord:
    errors = {
        name: [_("This field is required.")]
        for name in ("held_on", "kind", "content")
        if not data.get(name)
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _open_for_work(by, referral_id)
        return MentoringRecord.objects.create(referral=referral, recorded_by=by, **data)


def closing_write(
    *, by: Any, referral_id: int, version: int, summary: str, outcome: str
) -> ClosingReport:
    """The closing report; the referral is done."""
    errors = {
        name: [_("This field is required.")]
        for name, value in (("summary", summary), ("outcome", outcome))
        if not value.strip()
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        referral = _lock(by, referral_id, version)
        _require_worker(by, referral)
        if referral.status != ReferralStatus.IN_PROGRESS:
            raise _illegal(referral, ReferralStatus.DONE)
        if (
            ServiceRequested.INVESTIGATION in referral.services
            and approved_report(referral) is None
        ):
            raise ValidationError(_("The social investigation report is not approved yet."))
        closing = ClosingReport.objects.create(
            referral=referral, summary=summary.strip(), outcome=outcome.strip(), written_by=by
        )
        _move(referral, by, ReferralStatus.DONE, _("Closing report written."))
    return closing
