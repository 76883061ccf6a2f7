"""The charts of the narrative as PNG images, drawn with matplotlib (Agg, no display).

Only matplotlib's object API is used (no pyplot state), so two worker threads can draw at once.
Chinese labels need a CJK font: the first one installed of :data:`CJK_FONTS` (Debian's
fonts-noto-cjk gives "Noto Sans CJK SC"); without one the default font is used.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import Any

import matplotlib
from django.utils.translation import gettext as _
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from shegong.dashboard.views import COLOURS, SEVERITY_COLOURS

# Drawing goes through FigureCanvasAgg; pyplot, if anything loads it, must not look for a display.
matplotlib.use("Agg")

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "Noto Sans CJK JP",
)
WIDTH, HEIGHT, DPI = 7.0, 3.4, 150
BAR_COLOUR = "#0d6efd"
MANY_CATEGORIES = 6  # more category labels than this are slanted


@functools.cache
def cjk_font() -> str | None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _font(size: float = 9) -> FontProperties:
    family = cjk_font()
    return FontProperties(family=family, size=size) if family else FontProperties(size=size)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


def bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int], str | None]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
) -> bytes:
    """A bar chart: one or more named series over ``categories``, side by side or stacked."""
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(categories)))
    base = [0] * len(categories)
    count = max(len(series), 1)
    width = 0.7 if stacked else 0.7 / count
    for index, (name, values, colour) in enumerate(series):
        values = list(values)
        if stacked:
            where, offset = positions, base
        else:
            where = [p - 0.35 + width * (index + 0.5) for p in positions]
            offset = [0] * len(values)
        draw = axes.barh if horizontal else axes.bar
        extra = {"left": offset} if horizontal else {"bottom": offset}
        draw(where, values, width, label=name, color=colour or BAR_COLOUR, **extra)
        if stacked:
            base = [b + v for b, v in zip(base, values, strict=True)]
    axes.set_title(title, fontproperties=_font(11))
    font = _font()
    if horizontal:
        axes.set_yticks(positions, list(categories), fontproperties=font)
        axes.invert_yaxis()
        axes.xaxis.get_major_locator().set_params(integer=True)
    else:
        slanted = len(categories) > MANY_CATEGORIES
        axes.set_xticks(
            positions,
            list(categories),
            fontproperties=font,
            rotation=45 if slanted else 0,
            ha="right" if slanted else "center",
        )
        axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        axes.legend(prop=_font(8), frameon=False)
    if not any(any(values) for _name, values, _colour in series):
        axes.text(
            0.5, 0.5, _("No data."), transform=axes.transAxes, ha="center", fontproperties=font
        )
    return _png(figure)


def draw(data: Any) -> dict[str, bytes]:
    """The narrative's charts, by the programme they illustrate."""
    found = data.series
    months = found["months"]
    cards = found["colour_cards"]
    per_village = len(data.area) >= 9
    return {
        "minors": bars(
            _("Colour cards per village") if per_village else _("Colour cards per township"),
            [region["name"] for region in cards["regions"]],
            [(str(label), cards[key], colour) for key, label, colour in COLOURS],
            stacked=True,
        ),
        "elderly": bars(
            _("Elderly ability levels"),
            [level["label"] for level in found["ability_levels"]],
            [(_("Elderly"), [level["count"] for level in found["ability_levels"]], None)],
            horizontal=True,
        ),
        "alarms": bars(
            _("Alarms per month by severity"),
            months,
            [
                (s["label"], found["alarms_per_month"][s["key"]], SEVERITY_COLOURS.get(s["key"]))
                for s in found["severities"]
            ],
            stacked=True,
        ),
        "casework": bars(
            _("Visits per month"), months, [(_("Visits"), found["visits_per_month"], None)]
        ),
        "community": bars(
            _("Activities per month"),
            months,
            [(_("Activities held"), found["activities_per_month"], "#198754")],
        ),
    }
