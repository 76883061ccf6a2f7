"""Community linkage (五社联动): resource libraries, volunteers and their hours, activities and
group work, training, and the resource links that say what a resource gave to whom.

Figures the district publishes are counted from these rows, never typed in: organisations linked
(with at least one resource link), volunteers (registered on the national system or not),
activities, beneficiaries in person-times (one person at three sessions is three person-times and
one person), volunteer hours (approved only).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shegong.people.models import Person
from shegong.regions.models import Region

# Libraries -----------------------------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    SOCIAL_ENTERPRISE = "social_enterprise", _("Social enterprise")  # 社会企业 / 爱心企业
    CHARITY = "charity", _("Charity organisation")  # 慈善组织
    COMMUNITY = "community", _("Community social organisation")  # 社区社会组织
    SOCIAL_WORK = "social_work", _("Social-work agency")  # 社工机构
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    ELDERLY_CARE = "elderly_care", _("Elderly-care institution")
    SCHOOL = "school", _("School")
    PARTNER = "partner", _("Partner agency")


class OrganisationStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("organisation status", "Active")
    PAUSED = "paused", _("Paused")
    DISSOLVED = "dissolved", _("Dissolved")


class Organisation(models.Model):
    """An organisation in the district's resource library."""

    # The area it serves from (a village, township or the district): who may edit it.
    SCOPE_REGION_FIELD = "region__code"

    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    services = models.TextField(_("services offered"), blank=True)
    service_area = models.CharField(_("service area"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OrganisationStatus.choices, default="active"
    )
    joined_on = models.DateField(_("in the library since"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return self.name


class IncubationStage(models.TextChoices):
    # 孵化: a community social organisation grows from an idea to an independent organisation.
    SEED = "seed", _("Seed")  # 萌芽
    STARTUP = "startup", _("Start-up")  # 初创
    GROWING = "growing", _("Growing")  # 成长
    GRADUATED = "graduated", _("Graduated")  # 出壳


class Incubation(models.Model):
    """The incubation record of a community social organisation."""

    SCOPE_REGION_FIELD = "organisation__region__code"

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="incubation",
    )
    started_on = models.DateField(_("incubation started on"))
    stage = models.CharField(
        _("stage"), max_length=10, choices=IncubationStage.choices, default="seed"
    )
    mentor = models.CharField(_("mentor"), max_length=100, blank=True)
    graduated_on = models.DateField(_("graduated on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("incubation")
        verbose_name_plural = _("incubations")

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_stage_display()})"


class Milestone(models.Model):
    SCOPE_REGION_FIELD = "incubation__organisation__region__code"

    incubation = models.ForeignKey(
        Incubation,
        verbose_name=_("incubation"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    reached_on = models.DateField(_("date"))
    title = models.CharField(_("milestone"), max_length=200)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["reached_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Profession(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("Social worker")
    COUNSELLOR = "counsellor", _("Psychological counsellor")
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    LAWYER = "lawyer", _("Lawyer")
    TEACHER = "teacher", _("Teacher")
    REHABILITATION = "rehabilitation", _("Rehabilitation therapist")
    OTHER = "other", _("Other profession")


class Professional(models.Model):
    """A professional in the talent library (社会人才库)."""

    SCOPE_REGION_FIELD = "region__code"

    name = models.CharField(_("name"), max_length=50)
    profession = models.CharField(_("profession"), max_length=20, choices=Profession.choices)
    qualification = models.CharField(_("qualification"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        related_name="professionals",
        null=True,
        blank=True,
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("availability"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


# Volunteers ----------------------------------------------------------------------------------


class Volunteer(models.Model):
    """A volunteer: a registry person or not (then name and phone here), in a village."""

    SCOPE_REGION_FIELD = "region__code"

    person = models.OneToOneField(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="volunteer",
        null=True,
        blank=True,
    )
    # The volunteer's own account (role volunteer), to see their tasks and log hours.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        related_name="volunteer",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("availability"), max_length=100, blank=True)
    # 全国志愿服务信息系统 (志愿中国): registered or not, and the number there.
    registered = models.BooleanField(_("registered on the national system"), default=False)
    national_number = models.CharField(_("national volunteer number"), max_length=30, blank=True)
    joined_on = models.DateField(_("joined on"))
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["region", "registered"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered=False) | ~Q(national_number=""),
                name="volunteer_registered_has_number",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TaskKind(models.TextChoices):
    ACTIVITY = "activity", _("Help at an activity")
    VISIT = "visit", _("Accompany a visit")
    TUTORING = "tutoring", _("Tutoring")
    ESCORT = "escort", _("Escort to appointments")
    CHORES = "chores", _("Household help")
    OTHER = "other", _("Other task")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")  # taking sign-ups
    CLOSED = "closed", _("Closed")  # done; hours can still be approved
    CANCELLED = "cancelled", _("Cancelled")


class VolunteerTask(models.Model):
    """A piece of volunteer work offered by a station (活动协助, 陪同探访, 课业辅导 …)."""

    SCOPE_REGION_FIELD = "region__code"

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        "Activity",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="tasks",
        null=True,
        blank=True,
    )
    # The person served (a volunteer sees their name and village only).
    person = models.ForeignKey(
        Person,
        verbose_name=_("person served"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    slots = models.PositiveSmallIntegerField(_("volunteers needed"), default=1)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default="open"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("volunteer task")
        verbose_name_plural = _("volunteer tasks")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title


class AssignmentStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")  # the volunteer asked
    ASSIGNED = "assigned", _("Assigned")  # the organiser confirmed
    WITHDRAWN = "withdrawn", _("Withdrawn")


class HoursStatus(models.TextChoices):
    NONE = "", _("Not logged")
    LOGGED = "logged", _("Logged")  # by the volunteer or the organiser
    APPROVED = "approved", _("Approved")  # by the organiser: counts
    REJECTED = "rejected", _("Rejected")


class Assignment(models.Model):
    """A volunteer on a task: sign-up, assignment, hours logged and approved."""

    SCOPE_REGION_FIELD = "task__region__code"

    task = models.ForeignKey(
        VolunteerTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="assignments"
    )
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AssignmentStatus.choices, default="signed_up"
    )
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    hours_status = models.CharField(
        _("hours status"), max_length=10, choices=HoursStatus.choices, default="", blank=True
    )
    hours_note = models.CharField(_("note"), max_length=200, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    signed_up_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["task", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["task", "volunteer"], name="one_assignment_per_task"),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0) & Q(hours__lte=24),
                name="assignment_hours_in_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.volunteer}"


# Activities, group work, training ------------------------------------------------------------


class ActivityKind(models.TextChoices):
    GROUP_WORK = "group_work", _("Group work")  # 小组工作
    COMMUNITY_WORK = "community_work", _("Community work")  # 社区工作
    LECTURE = "lecture", _("Lecture")  # 讲座
    HEALTH_SCREENING = "health_screening", _("Health screening")  # 义诊 / 健康筛查
    SKILLS_TRAINING = "skills_training", _("Skills training")  # 技能培训
    PUBLIC_INTEREST = "public_interest", _("Public-interest activity")  # 公益活动
    FESTIVAL = "festival", _("Festival event")  # 节日活动
    OTHER = "other", _("Other activity")


class TargetGroup(models.TextChoices):
    CHILDREN = "children", _("Children")
    ELDERLY = "elderly", _("Elderly")
    FAMILIES = "families", _("Families")
    DISABLED = "disabled", _("People with disabilities")
    RESIDENTS = "residents", _("All residents")
    VOLUNTEERS = "volunteers", _("Volunteers")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CLOSED = "closed", _("Held")  # closed with its figures: counts in the overview
    CANCELLED = "cancelled", _("Cancelled")


class Activity(models.Model):
    """An activity organised by a station. Group work is a series of sessions with the same
    members; any activity may have sessions, and then its person-times are their attendance."""

    SCOPE_REGION_FIELD = "region__code"

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    # The organising station's region (district centre, township or village station).
    region = models.ForeignKey(
        Region, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    target_group = models.CharField(_("target group"), max_length=20, choices=TargetGroup.choices)
    # Registry people taking part (the members, for group work).
    participants = models.ManyToManyField(
        Person, verbose_name=_("participants"), related_name="activities", blank=True
    )
    # People who took part without being in the registry (a head count), for an activity
    # without sessions.
    head_count = models.PositiveIntegerField(_("other participants (head count)"), default=0)
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("organisations involved"),
        related_name="activities",
        blank=True,
    )
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus.choices, default="planned"
    )
    # Fixed when the activity is closed (see services.activity_close): what the overview sums.
    person_times = models.PositiveIntegerField(_("beneficiaries (person-times)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["region", "status", "date"])]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    """One meeting of a group (or of any activity held in several sessions)."""

    SCOPE_REGION_FIELD = "activity__region__code"

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="sessions"
    )
    number = models.PositiveSmallIntegerField(_("session"))
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    attendees = models.ManyToManyField(
        Person, verbose_name=_("attendance"), related_name="+", blank=True
    )
    head_count = models.PositiveIntegerField(_("other participants (head count)"), default=0)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["activity", "number"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "number"], name="session_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.activity} #{self.number}"


def photo_path(instance: ActivityPhoto, filename: str) -> str:
    return f"community/photos/{instance.activity_id}/{filename}"


class ActivityPhoto(models.Model):
    SCOPE_REGION_FIELD = "activity__region__code"

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("photo"), upload_to=photo_path)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class Audience(models.TextChoices):
    STAFF = "staff", _("Staff")
    VOLUNTEERS = "volunteers", _("Volunteers")
    BOTH = "both", _("Staff and volunteers")


class TrainingCourse(models.Model):
    """A training course for staff and volunteers, held in sessions."""

    SCOPE_REGION_FIELD = "region__code"

    title = models.CharField(_("title"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+"
    )
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices)
    trainer = models.CharField(_("trainer"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    SCOPE_REGION_FIELD = "course__region__code"

    course = models.ForeignKey(
        TrainingCourse, verbose_name=_("course"), on_delete=models.CASCADE, related_name="sessions"
    )
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff attending"), related_name="+", blank=True
    )
    volunteers = models.ManyToManyField(
        Volunteer, verbose_name=_("volunteers attending"), related_name="trainings", blank=True
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["course", "date", "pk"]

    def __str__(self) -> str:
        return f"{self.course} {self.date}"


# Resource links ------------------------------------------------------------------------------


class LinkKind(models.TextChoices):
    SERVICE = "service", _("Service")
    GOODS = "goods", _("Goods")
    MONEY = "money", _("Money")


class ResourceLink(models.Model):
    """What a resource (an organisation or a professional) gave to whom (a person, a case, a
    service order or an activity): these rows are what "linked resources" counts."""

    # The region of whom it went to (the person's village, or the activity's organiser).
    SCOPE_REGION_FIELD = "region__code"

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="links",
        null=True,
        blank=True,
    )
    professional = models.ForeignKey(
        Professional,
        verbose_name=_("professional"),
        on_delete=models.PROTECT,
        related_name="links",
        null=True,
        blank=True,
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="resource_links",
        null=True,
        blank=True,
    )
    case = models.ForeignKey(
        "casework.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="resource_links",
        null=True,
        blank=True,
    )
    service_order = models.ForeignKey(
        "elderly.ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.PROTECT,
        related_name="resource_links",
        null=True,
        blank=True,
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="resource_links",
        null=True,
        blank=True,
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    description = models.CharField(_("what was given"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, default=Decimal(1)
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    value = models.DecimalField(
        _("value (yuan)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    given_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resource link")
        verbose_name_plural = _("resource links")
        ordering = ["-given_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(professional__isnull=False),
                name="link_has_a_provider",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False)
                | Q(case__isnull=False)
                | Q(service_order__isnull=False)
                | Q(activity__isnull=False),
                name="link_has_a_recipient",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="link_quantity_positive"),
            models.CheckConstraint(condition=Q(value__gte=0), name="link_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description
