"""Reading the roster files villages really keep: one test per kind of mess.

These tests read files into rows and cell errors; nothing here touches the database.
"""

import datetime as dt

import pytest
from django.utils.translation import gettext

from shegong.people import roster
from shegong.people.models import Category, DisabilityKind, Sex
from shegong.people.tests.rosters import (
    csv_bytes,
    id_number,
    id_number_ending_in_x,
    xls,
    xlsx,
)
from shegong.testing import is_chinese

BORN = dt.date(1950, 3, 5)
NUMBER = id_number(BORN, 13)


def read(data: bytes, filename: str = "花名册.xlsx", **kwargs) -> roster.Roster:
    return roster.parse_rows(roster.read_table(data, filename), **kwargs)


def only_row(parsed: roster.Roster) -> roster.RosterRow:
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def test_the_header_is_found_below_title_rows_and_merged_cells():
    data = xlsx(
        [["序号", "姓名", "身份证号", "家庭住址"], [1, "张建国", NUMBER, "东庄村3号"]],
        title_rows=[
            ["栾城镇东庄村2024年低保对象花名册"],
            ["填报单位：东庄村村委会", None, None, "填报日期：2024年3月"],
            [],
        ],
        merge=["A1:D1", "A2:C2"],
    )

    parsed = read(data)

    assert parsed.header_row == 4
    assert parsed.headings == ["序号", "姓名", "身份证号", "家庭住址"]
    row = only_row(parsed)
    assert row.row == 5  # the spreadsheet's own row number, as the worker sees it
    assert (row.values["name"], row.values["id_number"]) == ("张建国", NUMBER)
    assert row.values["address"] == "东庄村3号"
    assert row.errors == []


def test_a_file_without_a_recognisable_header_is_refused_with_a_chinese_reason():
    data = xlsx([["名字是", "号码"], ["张建国", NUMBER]])

    with pytest.raises(roster.RosterError) as caught:
        read(data)

    assert "姓名" in str(caught.value) and "身份证号" in str(caught.value)
    assert is_chinese(str(caught.value).replace("姓名", "").replace("身份证号", ""))


@pytest.mark.parametrize(
    "headings",
    [
        ["姓名", "身份证号", "性别", "出生日期", "联系电话", "住址", "所属村", "类别", "监护人"],
        [
            "姓名",
            "身份证号码",
            "性别",
            "出生年月日",
            "手机号",
            "家庭住址",
            "村(社区)",
            "人员类别",
            "监护人姓名",
        ],
        [
            "姓 名",
            "公民身份号码",
            "性别",
            "生日",
            "手机号码",
            "现住址",
            "村（社区）",
            "困境类型",
            "监护人",
        ],
        [
            "*姓名",
            "公民身份证号码：",
            "性别",
            "出生日期",
            "联系方式",
            "居住地址",
            "村/社区",
            "分类",
            "监护人",
        ],
    ],
    ids=["usual", "long", "full-width-brackets", "marked-required"],
)
def test_the_usual_variants_of_the_column_names_are_recognised(headings):
    data = xlsx(
        [
            headings,
            ["张建国", NUMBER, "男", "1950-03-05", "13800138000", "3号", "东庄村", "低保", "张父"],
        ]
    )

    parsed = read(data)

    assert set(parsed.columns) == {
        "name",
        "id_number",
        "sex",
        "birth_date",
        "phone",
        "address",
        "village",
        "category",
        "guardian_name",
    }
    row = only_row(parsed)
    assert row.values["id_number"] == NUMBER
    assert row.values["phone"] == "13800138000"
    assert row.village_name == "东庄村"
    assert row.values["categories"] == [Category.DIBAO]
    assert row.errors == []


def test_full_width_digits_and_letters_become_half_width():
    number = id_number_ending_in_x(BORN)
    full_width = number[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "Ｘ"
    data = xlsx(
        [["姓名", "身份证号", "联系电话"], ["张建国", full_width, "１３８００１３８０００"]]
    )

    row = only_row(read(data))

    assert row.values["id_number"] == number
    assert row.values["phone"] == "13800138000"
    assert row.errors == []


def test_stray_spaces_are_removed_from_names_and_numbers():
    data = xlsx(
        [
            [" 姓名 ", "身份证号 ", "联系电话"],
            ["  张 建国 ", f" {NUMBER[:6]} {NUMBER[6:14]} {NUMBER[14:]} ", " 138 0013 8000 "],
        ]
    )

    row = only_row(read(data))

    assert row.values["name"] == "张建国"
    assert row.values["id_number"] == NUMBER
    assert row.values["phone"] == "13800138000"


def test_a_lower_case_x_at_the_end_of_the_id_number_is_upper_cased():
    number = id_number_ending_in_x(BORN)
    data = xlsx([["姓名", "身份证号"], ["张建国", number.lower()]])

    row = only_row(read(data))

    assert row.values["id_number"] == number
    assert row.values["id_number"].endswith("X")


def test_line_breaks_inside_cells_are_read_as_spaces_or_removed():
    data = xlsx(
        [
            ["姓名", "身份证\n号码", "出生\n日期", "家庭\r\n住址"],
            ["张\n建国", f"{NUMBER[:9]}\n{NUMBER[9:]}", "1950.3.5", "东庄村\n3号"],
        ]
    )

    parsed = read(data)

    assert set(parsed.columns) == {"name", "id_number", "birth_date", "address"}
    row = only_row(parsed)
    assert row.values["name"] == "张建国"
    assert row.values["id_number"] == NUMBER
    assert row.values["birth_date"] == BORN
    assert row.values["address"] == "东庄村 3号"


def test_an_id_number_stored_as_a_number_rejects_the_row_and_explains_the_fix():
    data = xlsx([["姓名", "身份证号"], ["张建国", int(NUMBER[:17] + "3")]])

    row = only_row(read(data))

    assert row.values["id_number"] == ""
    [error] = row.errors
    assert (error.row, error.column) == (2, "身份证号")
    assert "1.30111E+17" in error.message
    assert "文本" in error.message  # format the column as text
    assert is_chinese(error.message)


def test_an_id_number_shown_in_scientific_notation_as_text_is_rejected_too():
    data = csv_bytes([["姓名", "身份证号"], ["张建国", "1.30111E+17"]])

    row = only_row(read(data, "名单.csv"))

    [error] = row.errors
    assert error.column == "身份证号"
    assert "1.30111E+17" in error.message and "文本" in error.message


def test_a_15_digit_id_number_is_read_as_written_for_the_upgrade_to_18():
    old = "130111500305001"
    data = xlsx([["姓名", "身份证号"], ["张建国", old]])

    row = only_row(read(data))

    assert row.values["id_number"] == old
    assert row.errors == []


def test_a_15_digit_id_number_stored_as_a_number_keeps_its_digits():
    old = "130111500305001"
    data = xlsx([["姓名", "身份证号"], ["张建国", int(old)]])  # Excel holds 15 digits exactly

    row = only_row(read(data))

    assert row.values["id_number"] == old
    assert row.errors == []


EXCEL_SERIAL = (BORN - dt.date(1899, 12, 30)).days


@pytest.mark.parametrize(
    "written",
    [
        EXCEL_SERIAL,  # a date cell whose format was lost: Excel's serial number
        BORN,  # a real date cell
        "1950.3.5",
        "1950年3月5日",
        "19500305",
        19500305,  # the same, typed into a number cell
        "1950-03-05",
        "1950/3/5",
        "１９５０．３．５",
    ],
    ids=[
        "excel-serial",
        "date-cell",
        "dots",
        "chinese",
        "digits",
        "digits-number",
        "iso",
        "slashes",
        "full-width",
    ],
)
def test_each_date_format_villages_use_is_read(written):
    data = xlsx([["姓名", "身份证号", "出生日期"], ["张建国", NUMBER, written]])

    row = only_row(read(data))

    assert row.values["birth_date"] == BORN
    assert row.errors == []


@pytest.mark.parametrize("written", ["1950.3", "1950年3月", "195003"])
def test_a_birth_month_column_is_read_as_year_and_month(written):
    data = xlsx([["姓名", "身份证号", "出生年月"], ["张建国", NUMBER, written]])

    row = only_row(read(data))

    assert row.values["_birth_month"] == (1950, 3)
    assert "birth_date" not in row.values
    assert row.errors == []


@pytest.mark.parametrize("written", ["1950.13.45", "去年", "1950年2月30日"])
def test_a_date_that_is_not_a_date_is_a_cell_error_with_the_accepted_formats(written):
    data = xlsx([["姓名", "身份证号", "出生日期"], ["张建国", NUMBER, written]])

    [error] = only_row(read(data)).errors

    assert error.column == "出生日期"
    assert "1950年3月5日" in error.message and "19500305" in error.message
    assert is_chinese(error.message.replace("1950年3月5日", ""))


def test_categories_are_read_from_the_words_villages_write():
    data = xlsx([["姓名", "身份证号", "人员类别"], ["张建国", NUMBER, "低保户、残疾人，五保"]])

    row = only_row(read(data))

    assert row.values["categories"] == [Category.DIBAO, Category.DISABLED, Category.TEKUN]


def test_the_category_chosen_for_the_whole_file_is_added_to_every_row():
    data = xlsx(
        [
            ["姓名", "身份证号", "类别"],
            ["张建国", NUMBER, "独居老人"],
            ["李秀英", id_number(BORN, 24), ""],
        ]
    )

    parsed = read(data, category=Category.DIBAO)

    assert [r.values["categories"] for r in parsed.rows] == [
        [Category.DIBAO, Category.LIVING_ALONE],
        [Category.DIBAO],
    ]


def test_an_unknown_category_is_a_cell_error_listing_the_known_ones():
    data = xlsx([["姓名", "身份证号", "类别"], ["张建国", NUMBER, "低保、贫困户"]])

    [error] = only_row(read(data)).errors

    assert error.column == "类别"
    assert "贫困户" in error.message and "特困" in error.message


def test_sex_and_disability_columns_are_read():
    data = xlsx(
        [
            ["姓名", "身份证号", "性别", "残疾类别", "残疾等级"],
            ["张建国", NUMBER, "男", "肢体残疾", "二级"],
            ["李秀英", id_number(BORN, 24), "未知", "", ""],
        ]
    )

    first, second = read(data).rows

    assert first.values["sex"] == Sex.MALE
    assert first.values["disability_kind"] == DisabilityKind.PHYSICAL
    assert first.values["disability_grade"] == 2
    [error] = second.errors
    assert error.column == "性别" and "男" in error.message


def test_guardian_columns_are_kept_for_the_relation_and_only_the_name_goes_in_the_notes():
    guardian = id_number(dt.date(1980, 1, 2), 15)
    data = xlsx(
        [
            ["姓名", "身份证号", "监护人", "监护人身份证号", "监护人电话", "备注"],
            [
                "张小明",
                id_number(dt.date(2015, 6, 1), 17),
                "张建国",
                guardian,
                "13900139000",
                "父母外出",
            ],
        ]
    )

    row = only_row(read(data))

    assert row.guardian == {"name": "张建国", "id_number": guardian, "phone": "13900139000"}
    assert row.values["notes"].startswith("父母外出")
    assert "张建国" in row.values["notes"]
    assert "13900139000" not in row.values["notes"]  # notes are not encrypted


def test_empty_rows_are_skipped_and_row_numbers_stay_the_spreadsheets():
    data = xlsx(
        [
            ["姓名", "身份证号"],
            ["张建国", NUMBER],
            [None, None],
            ["  ", ""],
            ["李秀英", id_number(BORN, 24)],
        ]
    )

    parsed = read(data)

    assert [r.row for r in parsed.rows] == [2, 5]


ROWS = [
    ["序号", "姓名", "身份证号", "家庭住址", "类别"],
    ["1", "张建国", NUMBER, "东庄村3号", "低保"],
    ["2", "李秀英", id_number(BORN, 24), "东庄村5号", "特困"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_csv_file_is_read_in_utf8_and_in_gbk(encoding):
    parsed = read(csv_bytes(ROWS, encoding=encoding), "名单.csv")

    assert [r.values["name"] for r in parsed.rows] == ["张建国", "李秀英"]
    assert [r.values["address"] for r in parsed.rows] == ["东庄村3号", "东庄村5号"]
    assert [r.values["categories"] for r in parsed.rows] == [[Category.DIBAO], [Category.TEKUN]]


def test_a_csv_file_in_neither_utf8_nor_gbk_is_refused():
    data = "姓名,身份证号\n张建国,1\n".encode("utf-16")

    with pytest.raises(roster.RosterError) as caught:
        read(data, "名单.csv")

    assert "UTF-8" in str(caught.value) and "GBK" in str(caught.value)


def test_an_xls_file_is_read_through_calamine():
    data = xls(
        [
            ["栾城镇东庄村低保名单", None, None, None],
            ["姓名", "身份证号", "出生日期", "家庭住址"],
            ["张建国", NUMBER, EXCEL_SERIAL, "东庄村3号"],
            ["李秀英", float(NUMBER[:17] + "4"), "1950.3.5", "东庄村5号"],
        ]
    )

    parsed = read(data, "名单.xls")

    assert parsed.header_row == 2
    first, second = parsed.rows
    assert (first.values["name"], first.values["id_number"]) == ("张建国", NUMBER)
    assert first.values["birth_date"] == BORN
    assert first.errors == []
    [error] = second.errors  # an .xls stores numbers the same lossy way
    assert error.column == "身份证号" and "文本" in error.message


@pytest.mark.parametrize("filename", ["名单.xls", "名单.xlsx"])
def test_a_corrupt_spreadsheet_gets_the_cannot_be_read_error(filename):
    with pytest.raises(roster.RosterError) as caught:
        roster.read_table(b"\xd0\xcf\x11\xe0 this is not a workbook", filename)

    message = str(caught.value)
    assert message == gettext(
        "The file cannot be read as a spreadsheet. Save it again as .xlsx and retry."
    )
    assert is_chinese(message) and ".xlsx" in message


def test_a_file_of_another_type_is_refused():
    with pytest.raises(roster.RosterError) as caught:
        roster.read_table(b"anything", "名单.docx")

    assert ".xlsx" in str(caught.value) and ".csv" in str(caught.value)
    assert is_chinese(str(caught.value))
