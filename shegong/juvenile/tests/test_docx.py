"""The approved social investigation report as a Word document: open the bytes with python-docx
and read the Chinese layout back."""

import io

import pytest
from django.utils import timezone, translation
from docx import Document
from docx.oxml.ns import qn

from shegong.accounts.models import Role
from shegong.juvenile import selectors, services
from shegong.juvenile.models import ProceduralStatus
from shegong.juvenile.report import NUMERALS, SECTIONS, TITLE, chinese_date

from .conftest import in_programme

pytestmark = pytest.mark.django_db

HEADINGS = [f"{NUMERALS[i]}、{heading}" for i, (_key, heading, _label) in enumerate(SECTIONS)]


@pytest.fixture
def document(approved_referral, juvenile_worker, make_user):
    """The approved report, with an interview a second investigator recorded."""
    colleague = in_programme(
        make_user(Role.CENTER_WORKER, username="colleague", full_name="吴社工")
    )
    services.interview_add(
        by=colleague,
        referral_id=approved_referral.pk,
        data={
            "interviewee": "李建军",
            "relation": "父亲",
            "held_at": timezone.now(),
            "place": "家中",
            "method": "home_visit",
            "summary": "了解家庭情况",
        },
    )
    version = selectors.approved_version(approved_referral)
    return Document(io.BytesIO(selectors.report_docx(approved_referral, version)))


def texts(document):
    return [p.text for p in document.paragraphs if p.text.strip()]


def test_it_opens_with_the_title_and_the_case_number(document, approved_referral):
    lines = texts(document)

    assert lines[0] == TITLE == "未成年人社会调查报告"
    assert approved_referral.case_number in lines[1]
    assert "栾城区人民检察院" in lines[1]
    assert document.core_properties.title == f"{TITLE}（{approved_referral.case_number}）"


def test_the_ten_sections_come_in_order_each_with_its_text(document, report_sections):
    lines = texts(document)

    positions = [lines.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert HEADINGS[0] == "一、基本情况"
    assert HEADINGS[-1] == "十、综合评估与建议"
    for (key, _heading, _label), position in zip(SECTIONS, positions, strict=True):
        assert lines[position + 1] == report_sections[key]


def test_the_table_holds_the_minors_facts(document, approved_referral):
    cells = [cell.text for row in document.tables[0].rows for cell in row.cells]

    assert "李小明" in cells
    assert "男" in cells
    assert chinese_date(approved_referral.birth_date) in cells
    with translation.override("zh-hans"):  # the procedural status, in Chinese whatever the UI
        assert str(ProceduralStatus.PROSECUTION_REVIEW.label) in cells
    assert "栾城区第二中学" in cells


def test_it_is_signed_by_the_investigators_and_the_supervisor_with_the_chinese_date(
    document, approved_referral
):
    lines = texts(document)
    version = selectors.approved_version(approved_referral)
    approved_on = timezone.localtime(version.decided_at).date()

    assert "调查人：吴社工、赵社工" in lines
    assert "审核人：钱督导" in lines
    assert f"{approved_on.year}年{approved_on.month}月{approved_on.day}日" in lines
    assert lines.index("审核人：钱督导") > lines.index(HEADINGS[-1])


def test_runs_name_an_east_asian_font(document):
    fonts = {
        p.text: {run._element.rPr.rFonts.get(qn("w:eastAsia")) for run in p.runs}
        for p in document.paragraphs
        if p.text.strip()
    }

    assert fonts[TITLE] == {"黑体"}
    assert fonts[HEADINGS[0]] == {"黑体"}
    assert fonts["审核人：钱督导"] == {"宋体"}
    assert all(value and None not in value for value in fonts.values())


def test_the_document_is_a4(document):
    page = document.sections[0]

    assert (round(page.page_width.cm, 1), round(page.page_height.cm, 1)) == (21.0, 29.7)
