"""Keep the figures cache warm: count, in the background, what the dashboards will ask for.

The figures cache (``figures.Figures``) is exact: a figure is served only while none of the
tables it counts changed since it was counted. Counting a district from cold takes seconds at
300,000 people; so every minute the worker recounts, for this month, the district and each
township — but only the units whose tables changed (the rest are cache hits, a few
milliseconds). A user who opens a dashboard between a change and the next run counts the
changed units themselves; nobody is ever shown a figure older than the data.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation

from shegong.regions.models import Level, Region

from . import figures


def areas() -> list[str]:
    """The district prefixes and township prefixes: the dashboards people open most."""
    found = Region.objects.filter(level__in=[Level.DISTRICT, Level.TOWNSHIP]).order_by("code")
    return [region.prefix for region in found]


def warm(*, languages: tuple[str, ...] | None = None) -> int:
    """Count (or find in the cache) this month's figures of every district and township.
    Returns how many areas it went through."""
    today = timezone.localdate()
    start = today.replace(day=1)
    done = 0
    for language in languages or (settings.LANGUAGE_CODE,):
        with translation.override(language):
            for area in areas():
                figures.overview(area=area, start=start, end=today)
                figures.breakdown(area=area, start=start, end=today)
                figures.series(area=area, start=start, end=today)
                done += 1
    return done
