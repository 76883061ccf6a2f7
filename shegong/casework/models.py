from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shegong.accounts.models import Programme
from shegong.people.models import Person


class Stage(models.TextChoices):
    # 接案: the case is opened, first contact
    INTAKE = "intake", _("Intake")
    # 预估: needs and risks are assessed
    ASSESSMENT = "assessment", _("Assessment")
    # 计划: a service plan is written and approved
    PLAN = "plan", _("Plan")
    # 介入: the plan is carried out
    IMPLEMENTATION = "implementation", _("Implementation")
    # 评估: results are reviewed
    REVIEW = "review", _("Review")
    # 结案: closed (with supervisor approval); may be reopened
    CLOSED = "closed", _("Closed")


STAGE_ORDER = [s.value for s in Stage]


class Case(models.Model):
    """A person served in one programme; every change of stage or people is an event."""

    SCOPE_REGION_FIELD = "person__region__code"
    # A closed programme's rows (the justice-involved minors') only for its own workers.
    SCOPE_PROGRAMME_FIELD = "programme"

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases"
    )
    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.INTAKE)
    title = models.CharField(_("title"), max_length=200, blank=True)
    reason = models.TextField(_("reason for opening"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("case owner"),
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned workers"),
        blank=True,
        related_name="assigned_cases",
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Approvals given before the last reopening no longer count (see services._approved).
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open case per person and programme: a second would split the record.
            models.UniqueConstraint(
                fields=["person", "programme"],
                condition=~models.Q(stage="closed"),
                name="case_one_open_per_programme",
            ),
        ]
        indexes = [models.Index(fields=["programme", "stage"])]

    def __str__(self) -> str:
        return self.title or f"{self.person} · {self.get_programme_display()}"

    def get_absolute_url(self) -> str:
        return reverse("casework:case", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    STAGE = "stage", _("Stage changed")
    ASSIGNED = "assigned", _("Worker assigned")
    UNASSIGNED = "unassigned", _("Worker removed")
    TRANSFERRED = "transferred", _("Transferred to a new owner")
    APPROVAL = "approval", _("Approval")
    REOPENED = "reopened", _("Reopened")


class CaseEvent(models.Model):
    """The trail of a case: who changed what, when, from what to what, and why."""

    SCOPE_REGION_FIELD = "case__person__region__code"
    # A closed programme's rows (the justice-involved minors') only for its own workers.
    SCOPE_PROGRAMME_FIELD = "case__programme"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=20, choices=CaseEventKind.choices)
    from_value = models.CharField(_("from"), max_length=100, blank=True)
    to_value = models.CharField(_("to"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.from_value}→{self.to_value}"


class ApprovalStatus(models.TextChoices):
    # 待审批
    REQUESTED = "requested", _("Waiting for approval")
    # 已批准
    APPROVED = "approved", _("Approved")
    # 已退回: with the supervisor's comment
    REJECTED = "rejected", _("Returned")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class CasePlan(models.Model):
    """The service plan of a case: goals, tasks, services and resources."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="plan"
    )
    goals = models.TextField(_("goals"), blank=True)
    services = models.TextField(_("services and resources"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")

    def __str__(self) -> str:
        return f"plan of {self.case}"


class PlanTask(models.Model):
    SCOPE_REGION_FIELD = "plan__case__person__region__code"
    # A closed programme's rows (the justice-involved minors') only for its own workers.
    SCOPE_PROGRAMME_FIELD = "plan__case__programme"

    plan = models.ForeignKey(
        CasePlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_tasks",
    )
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class NoteMethod(models.TextChoices):
    CASEWORK = "casework", _("Casework")
    GROUP = "group", _("Group work")
    COMMUNITY = "community", _("Community work")


class CaseNote(models.Model):
    SCOPE_REGION_FIELD = "case__person__region__code"
    # A closed programme's rows (the justice-involved minors') only for its own workers.
    SCOPE_PROGRAMME_FIELD = "case__programme"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notes"
    )
    method = models.CharField(
        _("method"), max_length=20, choices=NoteMethod.choices, default=NoteMethod.CASEWORK
    )
    text = models.TextField(_("note"))
    # Confidential notes are read only by the case owner and supervisors.
    confidential = models.BooleanField(_("confidential"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


class VisitMode(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    SCHOOL = "school", _("At school")
    STATION = "station", _("At the station")


class Visit(models.Model):
    """A visit to a person (探访), with or without an open case."""

    SCOPE_REGION_FIELD = "person__region__code"
    # A closed programme's rows (the justice-involved minors') only for its own workers.
    SCOPE_PROGRAMME_FIELD = "programme"

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="visits"
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    visited_on = models.DateField(_("date"))
    mode = models.CharField(_("mode"), max_length=10, choices=VisitMode.choices)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        on_delete=models.PROTECT,
        related_name="visits_made",
    )
    companions = models.CharField(_("together with"), max_length=200, blank=True)
    seen = models.CharField(_("who was seen"), max_length=200, blank=True)
    observations = models.TextField(_("observations"), blank=True)
    concerns = models.TextField(_("concerns raised"), blank=True)
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["person", "programme", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.person} {self.visited_on}"


class ApprovalSubject(models.TextChoices):
    ASSESSMENT = "assessment", _("Assessment")
    PLAN = "plan", _("Case plan")
    CLOSURE = "closure", _("Closing the case")


class Approval(models.Model):
    """A supervisor's decision on an assessment, a case plan or a closure."""

    SCOPE_REGION_FIELD = "case__person__region__code"
    # A closed programme's rows (the justice-involved minors') only for its own workers.
    SCOPE_PROGRAMME_FIELD = "case__programme"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="approvals"
    )
    subject = models.CharField(_("subject"), max_length=20, choices=ApprovalSubject.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "subject"],
                condition=models.Q(status="requested"),
                name="approval_one_pending_per_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} · {self.get_status_display()}"


class Notification(models.Model):
    """A message to one worker (a reminder, a grade change). ``key`` makes it once-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    key = models.CharField(max_length=200)
    title = models.CharField(_("title"), max_length=200)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")
        ]

    def __str__(self) -> str:
        return self.title
