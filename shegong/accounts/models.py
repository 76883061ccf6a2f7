import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shegong.regions.models import Region


class Role(models.TextChoices):
    # 区民政局管理员: whole district, configuration, users
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    # 区指导中心社工: whole district, the programmes assigned
    CENTER_WORKER = "center_worker", _("Centre social worker")
    # 乡镇儿童督导员: own township
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("Township child supervisor")
    # 乡镇社工: own township
    TOWNSHIP_WORKER = "township_worker", _("Township social worker")
    # 村儿童主任: own village
    VILLAGE_DIRECTOR = "village_director", _("Village child director")
    # 村社工助理: own village
    VILLAGE_ASSISTANT = "village_assistant", _("Village social-work assistant")
    # 心理咨询师: cases assigned to them
    COUNSELOR = "counselor", _("Counsellor")
    # 志愿者: own tasks; name and village only
    VOLUNTEER = "volunteer", _("Volunteer")
    # 协作单位联络员: referrals of their own agency
    AGENCY_LIAISON = "agency_liaison", _("Partner agency liaison")
    # 养老机构: own institution
    INSTITUTION_OPERATOR = "institution_operator", _("Elderly-care institution operator")
    # 金融机构: custody accounts they hold; no personal data
    BANK_OFFICER = "bank_officer", _("Bank officer")
    # 领导查看: dashboards and aggregates, no personal data
    VIEWER = "viewer", _("Viewer")


class Programme(models.TextChoices):
    ELDERLY = "elderly", _("Elderly care")
    MINORS = "minors", _("Minors protection")
    JUVENILE = "juvenile", _("Justice-involved minors")
    COMMUNITY = "community", _("Community linkage")


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Seeded demo accounts: exempt from TOTP only while the site runs in demo mode.
    is_demo_account = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Membership(models.Model):
    """A user's role at a region (and optionally for an organisation): the unit of scope."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    # Programmes a centre worker is assigned to; empty means all.
    programmes = models.JSONField(_("programmes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user_id", "region_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region"], name="membership_unique_role_region"
            ),
        ]
        indexes = [models.Index(fields=["region", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the plaintext is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name or self.pk}"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "sg_" + secrets.token_urlsafe(32)
