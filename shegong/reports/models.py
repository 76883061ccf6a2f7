"""The monthly statistical report of a district, township or village: an .xlsx workbook and a
.docx narrative built in the background from the dashboard figures, kept in an archive."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.regions.models import Region


class ReportStatus(models.TextChoices):
    # 排队中: requested, waiting for a worker
    QUEUED = "queued", _("Queued")
    # 生成中: a worker is counting and writing the files
    RUNNING = "running", _("Running")
    # 已完成: both files are stored
    DONE = "done", _("Done")
    # 失败: generation stopped with an error; no file was kept
    FAILED = "failed", _("Failed")


ACTIVE_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)


def report_path(report: MonthlyReport, filename: str) -> str:
    return f"reports/{report.region_id}/{report.month:%Y-%m}/{filename}"


class MonthlyReport(models.Model):
    """One generation of the report of ``region`` for ``month``. Generating a month again adds
    a row: the older reports stay in the archive, the newest finished one is the latest."""

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    # The last day counted: the month's last day, or the day of generation for the current month.
    period_end = models.DateField(_("counted up to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The language the files are written in: the requester's; empty: the site's (automatic runs).
    language = models.CharField(_("language"), max_length=10, blank=True)
    xlsx = models.FileField(_("workbook (.xlsx)"), upload_to=report_path, blank=True)
    docx = models.FileField(_("narrative (.docx)"), upload_to=report_path, blank=True)
    # The overview figures at generation time: the archive shows them without opening files.
    figures = models.JSONField(_("figures"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the automatic run on the first of the month."),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Moves with every step: a queued or running report that has not moved for long is stuck.
    updated_at = models.DateTimeField(_("last progress at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "region_id", "-id"]
        indexes = [models.Index(fields=["region", "month"], name="reports_region_month")]
        constraints = [
            # Two workers never write the same area and month at once.
            models.UniqueConstraint(
                fields=["region", "month"],
                condition=models.Q(status__in=["queued", "running"]),
                name="reports_one_active_per_region_month",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="reports_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
