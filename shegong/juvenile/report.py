"""The social investigation report (社会调查报告): its sections, and the Word document.

The document follows the usual layout of such reports in Chinese courts and procuratorates: a
centred title in 宋体/黑体, the case number, a table of the minor's basic facts, the sections with
numbered Chinese headings (一、二、…), the investigators' and the supervisor's signatures and the
date. Fonts are named for East-Asian text so Word and WPS show them as intended.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# (key, Chinese heading, English label): the ten sections the issue names, in order.
SECTIONS: list[tuple[str, str, str]] = [
    ("basic", "基本情况", _("Basic information")),
    ("personality", "个性特点", _("Personality and character")),
    ("family", "家庭环境与家庭结构", _("Family environment and structure")),
    ("social", "社会交往与同伴关系", _("Social interactions and peers")),
    ("growth", "成长经历与重大事件", _("Growth experience and major events")),
    ("education", "教育或就业情况", _("Education or work")),
    ("guardianship", "监护条件与监护能力", _("Guardianship conditions and capacity")),
    ("conduct", "案发后表现", _("Conduct since the case")),
    ("mentoring", "帮教条件与措施", _("Conditions and measures for mentoring")),
    ("assessment", "综合评估与建议", _("Overall assessment and recommendation")),
]
SECTION_KEYS = [key for key, _zh, _en in SECTIONS]
NUMERALS = "一二三四五六七八九十"
TITLE = "未成年人社会调查报告"


@dataclass
class ReportFacts:
    case_number: str
    agency: str
    minor_name: str
    sex: str
    birth_date: str
    school_or_work: str
    procedural_status: str
    investigators: list[str]
    interviews: int
    supervisor: str
    approved_on: str
    version: int


def _font(run, *, size: float, bold: bool = False, east_asian: str = "宋体") -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "Times New Roman"
    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph(
    document, text: str, *, size=12, bold=False, align=None, east_asian="宋体", indent=True
):
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
    paragraph.paragraph_format.line_spacing = 1.5
    _font(paragraph.add_run(text), size=size, bold=bold, east_asian=east_asian)
    return paragraph


def build_docx(facts: ReportFacts, sections: dict[str, str]) -> bytes:
    """The approved report as a .docx file (bytes)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    document = Document()
    page = document.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Cm(21), Cm(29.7)  # A4
    page.top_margin = page.bottom_margin = Cm(2.54)
    page.left_margin = page.right_margin = Cm(2.8)
    core = document.core_properties
    core.title = f"{TITLE}（{facts.case_number}）"
    core.author = "shegong"

    _paragraph(
        document,
        TITLE,
        size=22,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        east_asian="黑体",
        indent=False,
    )
    _paragraph(
        document,
        f"案号：{facts.case_number}　　委托单位：{facts.agency}",
        size=12,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
    )
    rows = [
        ("姓名", facts.minor_name, "性别", facts.sex),
        ("出生日期", facts.birth_date, "诉讼阶段", facts.procedural_status),
        ("就学或就业", facts.school_or_work or "—", "访谈人次", str(facts.interviews)),
    ]
    table = document.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(value), size=11)
    for index, (key, heading, _label) in enumerate(SECTIONS):
        _paragraph(
            document,
            f"{NUMERALS[index]}、{heading}",
            size=14,
            bold=True,
            east_asian="黑体",
            indent=False,
        )
        for line in (sections.get(key) or "").splitlines() or [""]:
            if line.strip():
                _paragraph(document, line.strip())
    document.add_paragraph()
    _paragraph(
        document,
        f"调查人：{'、'.join(facts.investigators)}",
        indent=False,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )
    _paragraph(
        document, f"审核人：{facts.supervisor}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT
    )
    _paragraph(document, facts.approved_on, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(
        document,
        f"（第 {facts.version} 版，由 shegong 于 {timezone.localdate():%Y年%m月%d日} 生成）",
        size=9,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
