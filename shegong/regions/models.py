from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    # 区/县: the first 6 digits of the code are significant
    DISTRICT = "district", _("District")
    # 乡镇/街道: the first 9 digits are significant
    TOWNSHIP = "township", _("Township")
    # 村/社区: all 12 digits
    VILLAGE = "village", _("Village")


PREFIX_LENGTH = {Level.DISTRICT: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}


def code_range(prefix: str) -> tuple[str, str]:
    """The inclusive range of 12-digit codes under ``prefix``.

    A range (not LIKE 'prefix%') so that every backend uses the index on the code column:
    SQLite's LIKE is case-insensitive and skips a plain index.
    """
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def under_prefix(field: str, prefix: str) -> models.Q:
    low, high = code_range(prefix)
    return models.Q(**{f"{field}__gte": low, f"{field}__lte": high})


class Region(models.Model):
    """A node of the national statistical division tree, keyed by its 12-digit code."""

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Generated villages are demo data; a real deployment loads the NBS list.
    is_generated = models.BooleanField(_("generated (demo)"), default=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{12}$"), name="region_code_12_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The code prefix that every region below this one shares."""
        return self.code[: PREFIX_LENGTH[self.level]]

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)


class StationFunction(models.TextChoices):
    ELDERLY = "elderly", _("Elderly care")
    MINORS = "minors", _("Minors protection")
    SOCIAL_WORK = "social_work", _("Social work")


DEFAULT_ROOMS = ["综合办公室", "技能图书室", "心理咨询室"]


class Station(models.Model):
    """A 三站合一 station: the district guidance centre, or a township or village station."""

    region = models.OneToOneField(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="station"
    )
    name = models.CharField(_("name"), max_length=100)
    serves_elderly = models.BooleanField(_("elderly care"), default=True)
    serves_minors = models.BooleanField(_("minors protection"), default=True)
    serves_social_work = models.BooleanField(_("social work"), default=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    rooms = models.JSONField(_("rooms"), default=list, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    wecom_webhook = models.URLField(
        _("WeCom group robot webhook"),
        max_length=300,
        blank=True,
        help_text=_(
            "The station's 企业微信 group robot address "
            "(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…); alarms are posted there."
        ),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["region_id"]

    def __str__(self) -> str:
        return self.name

    @property
    def functions(self) -> list[str]:
        labels = []
        if self.serves_elderly:
            labels.append(StationFunction.ELDERLY.label)
        if self.serves_minors:
            labels.append(StationFunction.MINORS.label)
        if self.serves_social_work:
            labels.append(StationFunction.SOCIAL_WORK.label)
        return labels
