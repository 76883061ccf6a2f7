"""Which area's figures a user may look at."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from shegong.community.overview import overview_area
from shegong.regions.models import Region


def area_for(user: Any, region: str | None) -> str:
    """The region prefix whose figures ``user`` looks at.

    Without ``region``: their widest area (registry scope, or a viewer's viewer membership).
    With it (a 6-, 9- or 12-digit code): that region's prefix, if it lies in their area. Outside
    it, unknown, or for a user without figures (volunteers, partners, operators, bank officers):
    404, the same answer as for a region that does not exist.
    """
    prefixes = overview_area(user)
    if not prefixes:
        raise Http404
    if not region:
        return min(prefixes, key=lambda prefix: (len(prefix), prefix))
    code = region.strip()
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise Http404
    found = Region.objects.filter(code=code.ljust(12, "0")).first()
    if found is None or not any(found.prefix.startswith(p) for p in prefixes):
        raise Http404
    return found.prefix


def region_of(area: str) -> Region:
    """The region whose prefix is ``area``."""
    return Region.objects.get(code=area.ljust(12, "0"))
