"""Justice-involved minors (涉案未成年人): partner agencies, the joint opinion, service contracts,
referrals and everything done under one — social investigation, family-education guidance,
guardianship orders, mentoring and the closing report.

Visibility is not by region alone: a referral and everything under it is seen only by the
juvenile programme's workers (memberships naming the programme) and by the liaisons of the
agency that referred it. Models declare ``SCOPE_REGION_FIELD`` (the referral's district) and
``SCOPE_PROGRAMME = "juvenile"``; the scope gate applies the rule (``accounts/scope.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shegong.people import crypto
from shegong.regions.models import Region


class AgencyKind(models.TextChoices):
    PROCURATORATE = "procuratorate", _("Procuratorate")  # 检察院
    COURT = "court", _("Court")  # 法院
    PUBLIC_SECURITY = "public_security", _("Public security")  # 公安
    GUANGONGWEI = "guangongwei", _("Committee for the next generation")  # 关工委
    YOUTH_LEAGUE = "youth_league", _("Youth League")  # 团委
    WOMENS_FEDERATION = "womens_federation", _("Women's federation")  # 妇联
    EDUCATION = "education", _("Education bureau")  # 教育局
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs bureau")  # 民政局
    SOCIAL_WORK_ORG = "social_work_org", _("Social-work organisation")  # 社工机构


class Agency(models.Model):
    """A partner agency. Its liaisons (users with the agency_liaison role) are ``liaisons``."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=AgencyKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    liaisons = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaisons"),
        related_name="agencies",
        blank=True,
    )

    class Meta:
        verbose_name = _("partner agency")
        verbose_name_plural = _("partner agencies")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class JointOpinion(models.Model):
    """The joint opinion the partners signed (联合意见) setting up the guidance station."""

    title = models.CharField(_("title"), max_length=200)
    parties = models.ManyToManyField(Agency, verbose_name=_("parties"), related_name="opinions")
    signed_on = models.DateField(_("signed on"))
    scope = models.TextField(_("scope"))
    # [{"agency": <id>, "text": "…"}]: what each party undertakes.
    responsibilities = models.JSONField(_("responsibilities"), default=list, blank=True)
    document = models.FileField(_("document"), upload_to="juvenile/opinions/%Y/", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("joint opinion")
        verbose_name_plural = _("joint opinions")
        ordering = ["-signed_on", "-id"]

    def __str__(self) -> str:
        return self.title


class ServiceContract(models.Model):
    """A service purchase contract (政府购买服务合同) with a social-work organisation."""

    number = models.CharField(_("contract number"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    purchaser = models.ForeignKey(
        Agency, verbose_name=_("purchaser"), on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        Agency, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    scope = models.TextField(_("scope of services"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    # {"investigations": 40, "guidance_sessions": 120, "mentoring": 200, "activities": 12}
    deliverables = models.JSONField(_("deliverables"), default=dict, blank=True)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["-starts_on", "number"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("juvenile:contract", args=[self.pk])


class ProceduralStatus(models.TextChoices):
    UNDER_INVESTIGATION = "investigation", _("Under police investigation")  # 侦查阶段
    ARREST_REVIEW = "arrest_review", _("Arrest under review")  # 审查逮捕
    PROSECUTION_REVIEW = "prosecution_review", _("Prosecution under review")  # 审查起诉
    CONDITIONAL = "conditional", _("Conditional non-prosecution, on probation")  # 附条件不起诉
    NOT_PROSECUTED = "not_prosecuted", _("Not prosecuted")  # 不起诉
    ON_TRIAL = "on_trial", _("On trial")  # 审判阶段
    SENTENCED = "sentenced", _("Sentenced")  # 已判决
    COMMUNITY_CORRECTION = "community_correction", _("Community correction")  # 社区矫正
    VICTIM = "victim", _("Victim")  # 被害人


class ServiceRequested(models.TextChoices):
    INVESTIGATION = "investigation", _("Social investigation")  # 社会调查
    MENTORING = "mentoring", _("Mentoring (帮教)")
    GUIDANCE = "guidance", _("Family-education guidance")  # 家庭教育指导
    ORDER_FOLLOW_UP = "order_follow_up", _("Guardianship order follow-up")  # 督促监护令跟进


class ReferralStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("referral", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("referral", "Accepted")
    REJECTED = "rejected", pgettext_lazy("referral", "Rejected")
    IN_PROGRESS = "in_progress", pgettext_lazy("referral", "In progress")
    DONE = "done", pgettext_lazy("referral", "Done")
    WITHDRAWN = "withdrawn", pgettext_lazy("referral", "Withdrawn")


REFERRAL_CLOSED = (ReferralStatus.REJECTED, ReferralStatus.DONE, ReferralStatus.WITHDRAWN)


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class JuvenileScoped(models.Model):
    """Everything under a referral: the juvenile programme's rule applies (see module doc)."""

    SCOPE_PROGRAMME = "juvenile"

    class Meta:
        abstract = True


class Referral(JuvenileScoped):
    """A minor referred by a partner agency (转介). The minor's identity stays in this record, out
    of the people registry that village workers search."""

    SCOPE_REGION_FIELD = "region__code"
    SCOPE_AGENCY_FIELD = "agency_id"

    agency = models.ForeignKey(
        Agency,
        verbose_name=_("referring agency"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("where the minor lives"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    case_number = models.CharField(_("case number"), max_length=60)
    minor_name = models.CharField(_("minor's name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    id_number_encrypted = models.TextField(editable=False, blank=True)
    id_number_masked = models.CharField(_("ID number"), max_length=20, editable=False, blank=True)
    guardian_name = models.CharField(_("guardian"), max_length=50, blank=True)
    guardian_relation = models.CharField(_("guardian's relation"), max_length=20, blank=True)
    guardian_phone_encrypted = models.TextField(editable=False, blank=True)
    guardian_phone_masked = models.CharField(
        _("guardian's phone"), max_length=20, editable=False, blank=True
    )
    school_or_work = models.CharField(_("school or work"), max_length=100, blank=True)
    case_summary = models.TextField(_("the case in brief"))
    procedural_status = models.CharField(
        _("procedural status"), max_length=30, choices=ProceduralStatus.choices
    )
    services = models.JSONField(_("services asked for"), default=list)
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SUBMITTED
    )
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)
    contract = models.ForeignKey(
        ServiceContract,
        verbose_name=_("under contract"),
        on_delete=models.PROTECT,
        related_name="referrals",
        null=True,
        blank=True,
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("social worker"),
        on_delete=models.PROTECT,
        related_name="juvenile_referrals",
        null=True,
        blank=True,
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    referred_at = models.DateTimeField(_("referred at"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_at", "-id"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.case_number} {self.minor_name}"

    def get_absolute_url(self) -> str:
        return reverse("juvenile:referral", args=[self.pk])

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def guardian_phone(self) -> str:
        return crypto.decrypt(self.guardian_phone_encrypted)

    @property
    def is_open(self) -> bool:
        return self.status not in REFERRAL_CLOSED


class UnderReferral(JuvenileScoped):
    """A record under a referral: same visibility as the referral."""

    SCOPE_REGION_FIELD = "referral__region__code"
    SCOPE_AGENCY_FIELD = "referral__agency_id"

    class Meta:
        abstract = True


class ReferralEvent(UnderReferral):
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=ReferralStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ReferralStatus.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.from_status}→{self.to_status}"


class InterviewMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    HOME_VISIT = "home_visit", _("Home visit")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")


class Interview(UnderReferral):
    """An interview of the social investigation (访谈): who, relation, when, where, how."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="interviews"
    )
    interviewee = models.CharField(_("interviewee"), max_length=50)
    relation = models.CharField(_("relation to the minor"), max_length=30)
    held_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=100)
    method = models.CharField(_("how"), max_length=20, choices=InterviewMethod.choices)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.interviewee} {self.held_at:%Y-%m-%d}"


class Document(UnderReferral):
    """A document attached to a referral (school records, court papers, interview notes …)."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="juvenile/documents/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title


class ReportStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("report", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("report", "Waiting for approval")
    RETURNED = "returned", pgettext_lazy("report", "Returned")
    APPROVED = "approved", pgettext_lazy("report", "Approved")


class ReportVersion(UnderReferral):
    """One version of the social investigation report (社会调查报告). A version is written,
    submitted, then approved or returned by a supervisor; a returned or approved version is never
    changed again — editing makes the next version."""

    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="report_versions",
    )
    number = models.PositiveSmallIntegerField(_("version"))
    sections = models.JSONField(_("sections"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("supervisor's comment"), blank=True)

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["referral_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "number"], name="report_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} v{self.number}"


class GuidancePlan(UnderReferral):
    """The family-education guidance plan (家庭教育指导方案)."""

    referral = models.OneToOneField(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="guidance_plan"
    )
    goals = models.TextField(_("goals"))
    content = models.TextField(_("content and methods"))
    sessions_planned = models.PositiveSmallIntegerField(_("sessions planned"), default=6)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("guidance plan")
        verbose_name_plural = _("guidance plans")

    def __str__(self) -> str:
        return str(self.referral)


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    GROUP = "group", _("Group")


class GuidanceSession(UnderReferral):
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="guidance_sessions",
    )
    held_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    guardians_attending = models.CharField(_("guardians attending"), max_length=200)
    attended = models.BooleanField(_("guardian attended"), default=True)
    content = models.TextField(_("content"))
    assignments = models.TextField(_("assignments for the family"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("guidance session")
        verbose_name_plural = _("guidance sessions")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.held_on}"


class AssessmentStage(models.TextChoices):
    BEFORE = "before", _("Before guidance")
    AFTER = "after", _("After guidance")


class GuardianAssessment(UnderReferral):
    """A short assessment of the guardian before and after guidance (items scored 1–5)."""

    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="guardian_assessments",
    )
    stage = models.CharField(_("stage"), max_length=10, choices=AssessmentStage.choices)
    scores = models.JSONField(_("scores"))
    total = models.PositiveSmallIntegerField(_("total"))
    assessed_on = models.DateField(_("date"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("guardian assessment")
        verbose_name_plural = _("guardian assessments")
        ordering = ["assessed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "stage"], name="guardian_assessment_once")
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.stage} {self.total}"


class OrderKind(models.TextChoices):
    SUPERVISION = "supervision", _("Guardianship supervision order (督促监护令)")
    COURT_GUIDANCE = "court_guidance", _("Court family-education guidance order")


class GuardianshipOrder(UnderReferral):
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="orders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrderKind.choices)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    issued_by = models.CharField(_("issued by"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    obligations = models.TextField(_("obligations"))
    check_every_days = models.PositiveSmallIntegerField(_("check every (days)"), default=30)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("guardianship order")
        verbose_name_plural = _("guardianship orders")
        ordering = ["issued_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Compliance(models.TextChoices):
    COMPLIANT = "compliant", _("Complied")
    PARTLY = "partly", _("Partly complied")
    NOT_COMPLIANT = "not_compliant", _("Did not comply")


class ComplianceCheck(UnderReferral):
    """A check that the guardian meets the order's obligations: due, then done with a result."""

    SCOPE_REGION_FIELD = "order__referral__region__code"
    SCOPE_AGENCY_FIELD = "order__referral__agency_id"

    order = models.ForeignKey(
        GuardianshipOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="checks"
    )
    due_on = models.DateField(_("due date"))
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Compliance.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("compliance check")
        verbose_name_plural = _("compliance checks")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["checked_on", "due_on"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.due_on}"


class ActivityKind(models.TextChoices):
    MENTORING = "mentoring", _("Mentoring talk (帮教)")
    PUBLIC_INTEREST = "public_interest", _("Public-interest activity")  # 公益活动
    INTEREST = "interest", _("Interest activity")  # 兴趣活动


class MentoringRecord(UnderReferral):
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="mentoring"
    )
    held_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    content = models.TextField(_("content"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mentoring record")
        verbose_name_plural = _("mentoring records")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind} {self.held_on}"


class ClosingReport(UnderReferral):
    referral = models.OneToOneField(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="closing"
    )
    summary = models.TextField(_("what was done"))
    outcome = models.TextField(_("outcome"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("closing report")
        verbose_name_plural = _("closing reports")

    def __str__(self) -> str:
        return str(self.referral)
