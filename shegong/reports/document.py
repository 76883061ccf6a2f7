"""The .docx of a monthly report: a narrative per programme stating the figures in sentences
(figures in bold), a table per township (village) and the charts as images."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from shegong.casework.models import Stage

from . import labels
from .labels import BRIEF, PROGRAMMES, Programme

PLACEHOLDER = re.compile(r"(%\(\w+\)s|%%)")
CHART_WIDTH = Cm(15.5)
# East Asian fonts every Chinese office machine has (Word and WPS); Latin text keeps the theme's.
BODY_FONT_CJK = "宋体"
HEADING_FONT_CJK = "黑体"


def sentence(paragraph: Paragraph, template: str, **values: Any) -> None:
    """Append the translated ``template`` to ``paragraph`` with every ``%(name)s`` filled in
    bold: the figures stand out of the sentence in any language's word order."""
    for part in PLACEHOLDER.split(template):
        if part == "%%":
            paragraph.add_run("%")
        elif part.startswith("%(") and part.endswith(")s"):
            paragraph.add_run(str(values[part[2:-2]])).bold = True
        elif part:
            paragraph.add_run(part)


def _value(data: Any, key: str) -> str:
    for programme in PROGRAMMES:
        for figure in programme.figures:
            if figure.key == key:
                return labels.text(figure, data.overview[key])
    return str(data.overview[key])


def _coverage(paragraph: Paragraph, data: Any) -> None:
    values = {key: _value(data, key) for key in ("stations", "townships", "villages", "staff")} | {
        "gaps": _value(data, "staffing_gaps")
    }
    if len(data.area) == 6:
        template = _(
            "The district has %(stations)s stations covering %(townships)s townships and "
            "%(villages)s villages, with %(staff)s station staff; %(gaps)s staff positions are "
            "missing."
        )
    elif len(data.area) == 9:
        template = _(
            "The township has %(stations)s stations covering %(villages)s villages, with "
            "%(staff)s station staff; %(gaps)s staff positions are missing."
        )
    else:
        template = _(
            "The village has %(stations)s stations with %(staff)s station staff; %(gaps)s "
            "staff positions are missing."
        )
    sentence(paragraph, template, **values)


def _minors(paragraph: Paragraph, data: Any) -> None:
    sentence(
        paragraph,
        _(
            "Colour-card files: %(red)s red, %(orange)s orange and %(blue)s blue. "
            "%(special)s children in difficulty and %(left_behind)s left-behind children are "
            "registered."
        ),
        red=_value(data, "colour_red"),
        orange=_value(data, "colour_orange"),
        blue=_value(data, "colour_blue"),
        special=_value(data, "children_special"),
        left_behind=_value(data, "children_left_behind"),
    )


def _elderly(paragraph: Paragraph, data: Any) -> None:
    sentence(
        paragraph,
        _("%(special)s elderly people are in special difficulty. "),
        special=_value(data, "elderly_special"),
    )
    sentence(
        paragraph,
        _(
            "Of the %(due)s elderly due a monthly visit, %(visited)s were visited in the month: "
            "a monthly visit rate of %(rate)s (target %(target)s). "
        ),
        due=_value(data, "elderly_visit_due"),
        visited=_value(data, "elderly_visited"),
        rate=_value(data, "visit_rate"),
        target=_value(data, "visit_target"),
    )
    sentence(
        paragraph,
        _("%(orders)s service orders were placed, %(done)s of them done."),
        orders=_value(data, "service_orders"),
        done=_value(data, "orders_done"),
    )


def _alarms(paragraph: Paragraph, data: Any) -> None:
    sentence(
        paragraph,
        _("%(raised)s alarms were raised in the month, %(acknowledged)s of them acknowledged. "),
        raised=_value(data, "alarms_in_period"),
        acknowledged=_value(data, "alarms_acknowledged"),
    )
    if data.overview["ack_median_seconds"] is not None:
        sentence(
            paragraph,
            _("Half were acknowledged within %(median)s, 90%% within %(p90)s. "),
            median=_value(data, "ack_median_seconds"),
            p90=_value(data, "ack_p90_seconds"),
        )
    sentence(
        paragraph,
        _("At the time of the report %(open)s alarms are not acknowledged and %(unresolved)s "
          "not resolved."),
        open=_value(data, "alarms_open"),
        unresolved=_value(data, "alarms_unresolved"),
    )  # fmt: skip


def _casework(paragraph: Paragraph, data: Any) -> None:
    by_stage = data.overview["cases_by_stage"]
    still_open = sum(n for stage, n in by_stage.items() if stage != Stage.CLOSED)
    sentence(
        paragraph,
        _(
            "In the month there were %(visits)s visits. %(opened)s cases were opened and "
            "%(closed)s closed; %(open)s cases are open."
        ),
        visits=_value(data, "visits"),
        opened=_value(data, "cases_opened"),
        closed=_value(data, "cases_closed"),
        open=still_open,
    )


def _community(paragraph: Paragraph, data: Any) -> None:
    sentence(
        paragraph,
        _(
            "%(activities)s activities were held, for %(person_times)s beneficiaries "
            "(person-times). %(volunteers)s volunteers are active, %(registered)s of them "
            "registered. %(links)s resource links worth %(value)s yuan were made."
        ),
        activities=_value(data, "activities_held"),
        person_times=_value(data, "person_times"),
        volunteers=_value(data, "volunteers"),
        registered=_value(data, "volunteers_registered"),
        links=_value(data, "resource_links"),
        value=_value(data, "resource_links_value"),
    )


NARRATIVE = {
    "coverage": _coverage,
    "minors": _minors,
    "elderly": _elderly,
    "alarms": _alarms,
    "casework": _casework,
    "community": _community,
}


def _styles(document: Any) -> None:
    styles = document.styles
    for name, cjk in (("Normal", BODY_FONT_CJK), ("Title", HEADING_FONT_CJK)):
        style = styles[name]
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), cjk)
    styles["Normal"].font.size = Pt(11)
    for level in (1, 2):
        style = styles[f"Heading {level}"]
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), HEADING_FONT_CJK)


def _table(document: Any, programme: Programme, data: Any) -> None:
    keys = [k for k in BRIEF[programme.key] if k in labels.columns(programme, data.area)]
    heading = _("Village") if len(data.area) >= 9 else _("Township")
    table = document.add_table(rows=1, cols=len(keys) + 1)
    table.style = "Table Grid"
    _cells(table.rows[0].cells, [heading, *(labels.column_label(k) for k in keys)], bold=True)
    for found in data.breakdown:
        _cells(table.add_row().cells, [found["name"], *(found[k] for k in keys)])
    totals = [sum(found[k] for found in data.breakdown) for k in keys]
    _cells(table.add_row().cells, [_("Total"), *totals], bold=True)


def _cells(cells: Sequence[Any], values: Sequence[Any], *, bold: bool = False) -> None:
    for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(str(value))
        run.bold = bold
        run.font.size = Pt(9)
        if index:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def build(data: Any) -> bytes:
    """The narrative as bytes (nothing is written to disk here)."""
    document = Document()
    _styles(document)
    document.core_properties.title = data.title
    document.core_properties.author = "shegong"
    document.add_heading(data.title, level=0)
    intro = document.add_paragraph()
    sentence(
        intro,
        _("Period: %(start)s to %(end)s. Generated at %(at)s by %(by)s."),
        start=formats.date_format(data.start, "Y-m-d"),
        end=formats.date_format(data.end, "Y-m-d"),
        at=formats.date_format(data.generated_at, "Y-m-d H:i"),
        by=data.generated_by,
    )
    per = _("Per village") if len(data.area) >= 9 else _("Per township")
    for programme in PROGRAMMES:
        document.add_heading(str(programme.label), level=1)
        NARRATIVE[programme.key](document.add_paragraph(), data)
        if data.breakdown:
            document.add_paragraph().add_run(per).bold = True
            _table(document, programme, data)
        chart = data.charts.get(programme.key)
        if chart:
            document.add_picture(io.BytesIO(chart), width=CHART_WIDTH)
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
