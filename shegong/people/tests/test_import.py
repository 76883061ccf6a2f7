"""Roster import: planning (new / update / unchanged / error), the all-or-nothing commit, jobs,
the management command, guardians and the audit trail."""

import datetime as dt
from contextlib import contextmanager
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.http import Http404
from django.utils.translation import gettext

from shegong.accounts.models import Role
from shegong.factories import HouseholdFactory, PersonFactory, RegionFactory
from shegong.people import crypto, idnumbers, imports, roster, services
from shegong.people.models import (
    Category,
    ImportJob,
    ImportStatus,
    OnExisting,
    Person,
    PersonCategory,
    Relation,
    RelationKind,
)
from shegong.people.tests.rosters import csv_bytes, id_number, read_xlsx, xlsx
from shegong.progress import progress_get
from shegong.testing import is_chinese

pytestmark = pytest.mark.django_db

BORN = dt.date(1950, 3, 5)
ZHANG = id_number(BORN, 13)  # 张建国, male
LI = id_number(dt.date(1948, 11, 20), 24)  # 李秀英, female
WANG = id_number(dt.date(1962, 1, 9), 35)  # 王福来, male
HEADER = ["序号", "姓名", "身份证号", "联系电话", "家庭住址", "所属村", "类别"]


@pytest.fixture
def township_worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="township")


def plan(data, *, region, by, filename="花名册.xlsx", **kwargs) -> imports.Plan:
    return imports.plan_import(
        table=roster.read_table(data, filename), region=region, by=by, **kwargs
    )


def commit(data, *, region, by, **kwargs) -> tuple[imports.Plan, imports.ImportResult]:
    with transaction.atomic():
        planned = plan(data, region=region, by=by, **kwargs)
        return planned, imports.apply_plan(planned, by=by)


def upload(data, *, region, by, filename="花名册.xlsx", **kwargs) -> ImportJob:
    job = imports.import_job_create(
        by=by, region_code=region.code, filename=filename, content=data, **kwargs
    )
    return imports.import_job_check(job.pk)


def confirm_and_run(job: ImportJob, *, by) -> ImportJob:
    imports.import_job_confirm(by=by, job=job)
    return imports.import_job_commit(job.pk, by=by)


def registry_state():
    """Everything an import may touch, to compare before and after."""
    people = sorted(
        Person.objects.values_list(
            "pk",
            "name",
            "sex",
            "birth_date",
            "id_number_hash",
            "phone_hash",
            "region_id",
            "address",
            "household_id",
            "status",
            "disability_kind",
            "disability_grade",
            "notes",
            "version",
        )
    )
    categories = sorted(PersonCategory.objects.values_list("person_id", "category"))
    relations = sorted(
        Relation.objects.values_list("person_id", "relative_id", "kind", "is_primary_guardian")
    )
    return people, categories, relations, LogEntry.objects.count()


def errors_of(planned: imports.Plan) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in planned.errors]


def registered(number: str) -> Person:
    return Person.objects.get(id_number_hash=crypto.blind_index(number))


# -- the messy cases that need the registry -------------------------------------------------


def test_a_15_digit_id_number_is_converted_to_18_digits(regions, village_director):
    old = "130111500305131"  # born 1950-03-05, sequence 131 (male)
    data = xlsx([["姓名", "身份证号"], ["张建国", old]])

    planned, result = commit(data, region=regions.village, by=village_director)

    assert result.created == 1
    person = Person.objects.get()
    assert person.id_number == "13011119500305131" + idnumbers.check_char("13011119500305131")
    assert (person.birth_date, person.sex) == (BORN, "M")


def test_a_village_column_places_each_person_in_the_village_it_names(regions, township_worker):
    data = xlsx(
        [
            ["姓名", "身份证号", "村(社区)"],
            ["张建国", ZHANG, "东庄村"],
            ["李秀英", LI, "西庄"],  # the 村 suffix left off, as villages often write it
        ]
    )

    commit(data, region=regions.township, by=township_worker)

    assert registered(ZHANG).region == regions.village
    assert registered(LI).region == regions.sibling_village


def test_an_unknown_village_name_is_a_row_error(regions, township_worker):
    data = xlsx([["姓名", "身份证号", "所属村"], ["张建国", ZHANG, "北庄村"]])

    planned = plan(data, region=regions.township, by=township_worker)

    [(row, column, message)] = errors_of(planned)
    assert (row, column) == (2, "所属村")
    assert "北庄村" in message and "栾城镇" in message
    assert is_chinese(message.replace("北庄村", "").replace("栾城镇", ""))
    assert planned.new == []


def test_a_village_of_another_township_is_a_row_error(regions, township_worker):
    data = xlsx([["姓名", "身份证号", "所属村"], ["张建国", ZHANG, "南营村"]])

    planned = plan(data, region=regions.township, by=township_worker)

    [(row, column, message)] = errors_of(planned)
    assert column == "所属村" and "南营村" in message


def test_a_village_name_two_villages_share_is_a_row_error(regions, township_worker):
    RegionFactory(code="130111100203", name="东庄村")  # a second 东庄村 in the township
    data = xlsx([["姓名", "身份证号", "所属村"], ["张建国", ZHANG, "东庄"]])

    [(row, column, message)] = errors_of(plan(data, region=regions.township, by=township_worker))

    assert column == "所属村" and "东庄" in message and is_chinese(message)


def test_a_township_file_without_a_village_column_is_a_row_error(regions, township_worker):
    data = xlsx([["姓名", "身份证号"], ["张建国", ZHANG]])

    [(_row, _column, message)] = errors_of(plan(data, region=regions.township, by=township_worker))

    assert is_chinese(message)


def test_the_same_person_twice_in_the_file_is_an_error_naming_the_first_row(
    regions, village_director
):
    data = xlsx(
        [["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", LI], ["张建国", ZHANG.lower()]]
    )

    planned = plan(data, region=regions.village, by=village_director)

    [(row, column, message)] = errors_of(planned)
    assert (row, column) == (4, "身份证号")
    assert "2" in message and is_chinese(message)
    assert [r.row for r, _cleaned in planned.new] == [2, 3]


def test_the_same_person_with_an_old_and_a_new_id_number_is_caught_too(regions, village_director):
    old = "130111500305131"
    data = xlsx([["姓名", "身份证号"], ["张建国", idnumbers.upgrade_15(old)], ["张建国", old]])

    [(row, column, message)] = errors_of(plan(data, region=regions.village, by=village_director))

    assert (row, column) == (3, "身份证号") and is_chinese(message)


def test_a_person_already_registered_is_updated_when_the_user_chooses_update(
    regions, village_director
):
    existing = PersonFactory(
        region=regions.village, name="张建国", birth_date=BORN, sex="M", id_number=ZHANG
    )
    data = xlsx([HEADER, [1, "张建国", ZHANG, "13800138000", "东庄村3号", "东庄村", "低保"]])

    planned, result = commit(
        data, region=regions.village, by=village_director, on_existing=OnExisting.UPDATE
    )

    assert (result.created, result.updated) == (0, 1)
    assert Person.objects.count() == 1  # never a second record
    existing.refresh_from_db()
    assert existing.phone == "13800138000"
    assert existing.address == "东庄村3号"
    assert existing.category_codes == [Category.DIBAO]
    assert existing.version == 2


def test_a_person_already_registered_is_left_as_is_when_the_user_chooses_skip(
    regions, village_director
):
    existing = PersonFactory(
        region=regions.village, name="张建国", birth_date=BORN, sex="M", id_number=ZHANG
    )
    before = registry_state()
    data = xlsx([HEADER, [1, "张建国", ZHANG, "13800138000", "东庄村3号", "东庄村", "低保"]])

    planned, result = commit(
        data, region=regions.village, by=village_director, on_existing=OnExisting.SKIP
    )

    assert [person for _row, person in planned.unchanged] == [existing]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert registry_state() == before


def test_a_person_registered_outside_the_importers_area_is_a_row_error(regions, village_director):
    PersonFactory(
        region=regions.sibling_village, name="张建国", birth_date=BORN, sex="M", id_number=ZHANG
    )
    data = xlsx([["姓名", "身份证号"], ["张建国", ZHANG]])

    for choice in OnExisting.values:
        planned = plan(data, region=regions.village, by=village_director, on_existing=choice)

        [(row, column, message)] = errors_of(planned)
        assert (row, column) == (2, "身份证号")
        assert is_chinese(message)
        assert planned.new == planned.update == planned.unchanged == []
    assert Person.objects.count() == 1


def test_a_birth_month_that_disagrees_with_the_id_number_is_a_row_error(regions, village_director):
    data = xlsx([["姓名", "身份证号", "出生年月"], ["张建国", ZHANG, "1950.4"]])

    [(row, column, message)] = errors_of(plan(data, region=regions.village, by=village_director))

    assert column == "出生年月" and "1950-03-05" in message


def test_a_date_of_birth_that_disagrees_with_the_id_number_is_a_row_error(
    regions, village_director
):
    data = xlsx([["姓名", "身份证号", "出生日期"], ["张建国", ZHANG, "1950.3.6"]])

    [(row, column, message)] = errors_of(plan(data, region=regions.village, by=village_director))

    assert column == "出生日期" and "1950-03-05" in message and is_chinese(message)


def test_a_disabled_person_without_a_disability_column_gets_an_error_on_a_readable_column(
    regions, village_director
):
    data = xlsx([["姓名", "身份证号", "类别"], ["张建国", ZHANG, "残疾"]])

    [(row, column, message)] = errors_of(plan(data, region=regions.village, by=village_director))

    assert is_chinese(column), f"the column is shown to the worker as {column!r}"
    assert is_chinese(message)


# -- preview, errors, error file -------------------------------------------------------------


def five_kinds_of_row(regions):
    """A file with two new people, one update, one unchanged and one error (wrong check digit)."""
    PersonFactory(region=regions.village, name="王福来", birth_date=WANG_BORN, id_number=WANG)
    PersonFactory(
        region=regions.village,
        name="赵桂兰",
        birth_date=ZHAO_BORN,
        sex="F",
        id_number=ZHAO,
        phone="13700137000",
    )
    wrong = ZHANG[:17] + ("0" if ZHANG[17] != "0" else "1")
    return xlsx(
        [
            HEADER,
            [1, "张建国", ZHANG, "", "东庄村3号", "东庄村", "低保"],
            [2, "李秀英", LI, "", "", "东庄村", "特困"],
            [3, "王福来", WANG, "13600136000", "", "东庄村", ""],  # gains a phone: update
            [4, "赵桂兰", ZHAO, "13700137000", "", "东庄村", ""],  # as registered: unchanged
            [5, "钱多多", wrong, "", "", "东庄村", ""],
        ],
        title_rows=[["东庄村困难群众花名册"]],
    )


WANG_BORN = dt.date(1962, 1, 9)
ZHAO_BORN = dt.date(1955, 8, 8)
ZHAO = id_number(ZHAO_BORN, 46)


def test_the_check_counts_new_update_unchanged_and_error_rows_and_writes_nothing(
    regions, village_director
):
    data = five_kinds_of_row(regions)
    before = registry_state()

    job = upload(data, region=regions.village, by=village_director)

    assert job.status == ImportStatus.CHECKED
    assert job.rows_total == 5
    assert (job.count_new, job.count_update, job.count_unchanged, job.count_error) == (2, 1, 1, 1)
    assert registry_state() == before


def test_every_error_carries_row_number_column_heading_and_a_chinese_explanation(
    regions, township_worker
):
    wrong = ZHANG[:17] + ("0" if ZHANG[17] != "0" else "1")
    data = xlsx(
        [
            ["序号", "姓名", "公民身份号码", "出生年月", "村（社区）"],
            [1, "张建国", wrong, "", "东庄村"],
            [2, "李秀英", float(LI[:15] + "000"), "", "东庄村"],
            [3, "王福来", WANG, "1962年13月", "东庄村"],
            [4, "赵桂兰", ZHAO, "", "不存在村"],
        ],
        title_rows=[["栾城镇困难群众花名册"], []],
    )

    job = upload(data, region=regions.township, by=township_worker)

    assert job.count_error == 4
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (4, "公民身份号码"),
        (5, "公民身份号码"),
        (6, "出生年月"),
        (7, "村(社区)"),
    ]
    for error in job.errors:
        assert is_chinese(error["message"]), error
    assert ZHANG[17] in job.errors[0]["message"]  # says which check digit is right


def test_the_error_rows_download_as_xlsx_with_an_extra_error_column(regions, village_director):
    data = five_kinds_of_row(regions)

    job = upload(data, region=regions.village, by=village_director)

    path = imports.error_file(job)
    assert path is not None and path.suffix == ".xlsx"
    header, *rows = read_xlsx(str(path))
    assert header == [gettext("row"), *HEADER, "错误说明"]
    [row] = rows
    assert row[0] == 7  # the row number in the uploaded file (a title row sits above the header)
    assert row[2] == "钱多多"
    assert row[3] == ZHANG[:17] + ("0" if ZHANG[17] != "0" else "1")
    assert row[-1].startswith("身份证号：")
    assert is_chinese(row[-1].removeprefix("身份证号："))


def test_the_error_column_stays_last_when_csv_rows_are_longer_than_the_header(
    regions, village_director
):
    data = csv_bytes(
        [["姓名", "身份证号"], ["张建国", ZHANG, "", ""], ["李秀英", "1.30111E+17", "备用", ""]],
        encoding="gbk",
    )

    job = upload(data, region=regions.village, by=village_director, filename="名单.csv")

    header, *rows = read_xlsx(str(imports.error_file(job)))
    [row] = rows
    assert len(row) == len(header)
    assert header[-1] == "错误说明"
    assert row[1:4] == ["李秀英", "1.30111E+17", "备用"]
    assert "文本" in row[-1]


def test_a_file_without_errors_has_no_error_file(regions, village_director):
    job = upload(
        xlsx([["姓名", "身份证号"], ["张建国", ZHANG]]), region=regions.village, by=village_director
    )

    assert job.count_error == 0
    assert imports.error_file(job) is None


def test_an_unreadable_file_fails_the_check_with_the_reason(regions, village_director):
    job = upload(
        b"\xd0\xcf\x11\xe0 not a workbook",
        region=regions.village,
        by=village_director,
        filename="名单.xls",
    )

    assert job.status == ImportStatus.FAILED
    assert job.message == gettext(
        "The file cannot be read as a spreadsheet. Save it again as .xlsx and retry."
    )
    assert job.finished_at is not None


def test_the_check_reports_progress_for_the_page(regions, village_director):
    data = xlsx([["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", LI]])

    job = upload(data, region=regions.village, by=village_director)

    progress = progress_get(f"import:{job.pk}")
    assert (progress["phase"], progress["done"], progress["total"]) == ("check", 2, 2)
    assert progress["percent"] == 100 and not progress["stale"]


# -- the commit ------------------------------------------------------------------------------


def test_a_confirmed_job_imports_and_records_who_when_and_how_many(regions, village_director):
    data = xlsx([["姓名", "身份证号", "类别"], ["张建国", ZHANG, "低保"], ["李秀英", LI, "特困"]])
    job = upload(data, region=regions.village, by=village_director)

    job = confirm_and_run(job, by=village_director)

    assert job.status == ImportStatus.DONE
    assert (job.count_new, job.count_update, job.count_error) == (2, 0, 0)
    assert job.confirmed_by == village_director and job.created_by == village_director
    assert job.finished_at is not None and job.elapsed_seconds is not None
    assert job.original_name == "花名册.xlsx"
    zhang = registered(ZHANG)
    assert (zhang.name, zhang.region, zhang.created_by) == (
        "张建国",
        regions.village,
        village_director,
    )
    assert zhang.category_codes == [Category.DIBAO]
    assert (zhang.version, zhang.status, zhang.is_demo) == (1, "active", False)
    assert zhang.created_at is not None and zhang.updated_at is not None
    assert registered(LI).sex == "F"
    progress = progress_get(f"import:{job.pk}")
    assert (progress["phase"], progress["done"], progress["total"]) == ("import", 2, 2)


@contextmanager
def database_fails_on(model, statement: str, nth: int):
    """The database fails on the ``nth`` INSERT into (or UPDATE of) ``model``'s table, as a
    killed worker or a full disk would. Works at the connection, so it does not depend on
    which helper functions apply_plan uses to write."""
    table = connection.ops.quote_name(model._meta.db_table)
    prefix = f"INSERT INTO {table}" if statement == "INSERT" else f"UPDATE {table}"
    seen = {"statements": 0, "people_at_crash": None}

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().startswith(prefix):
            seen["statements"] += 1
            if seen["statements"] == nth:
                seen["people_at_crash"] = Person.objects.count()
                raise RuntimeError("the worker was killed")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


@pytest.mark.parametrize(
    ("model", "statement", "nth", "where"),
    [
        (Person, "INSERT", 2, "second batch of new people"),
        (LogEntry, "INSERT", 2, "audit rows of the second batch"),
        (Person, "UPDATE", 2, "second batch of updates"),
        (Relation, "INSERT", 1, "guardian relations, after every person is written"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_a_crash_in_the_middle_of_the_commit_leaves_the_registry_exactly_as_before(
    regions, village_director, monkeypatch, model, statement, nth, where
):
    guardian = PersonFactory(region=regions.village, name="张父", birth_date=dt.date(1975, 1, 1))
    existing = [
        PersonFactory(
            region=regions.village,
            name=f"老人{n}",
            birth_date=dt.date(1940, 1, 1 + n),
            id_number=id_number(dt.date(1940, 1, 1 + n), 21 + 2 * n),
            categories=["dibao"],
        )
        for n in range(3)
    ]
    rows = [["姓名", "身份证号", "联系电话", "类别", "监护人", "监护人身份证号"]]
    for n in range(5):
        child = id_number(dt.date(2010, 1, 1 + n), 11 + 2 * n)
        rows.append([f"新人{n}", child, "", "留守儿童", "张父", guardian.id_number])
    for n, person in enumerate(existing):
        rows.append([person.name, person.id_number, f"1360013600{n}", "特困", "", ""])
    job = upload(xlsx(rows), region=regions.village, by=village_director)
    assert (job.count_new, job.count_update, job.count_error) == (5, 3, 0)
    imports.import_job_confirm(by=village_director, job=job)
    before = registry_state()
    monkeypatch.setattr(imports, "BATCH", 2)

    with database_fails_on(model, statement, nth) as crash, pytest.raises(RuntimeError):
        imports.import_job_commit(job.pk, by=village_director)

    assert crash["statements"] == nth, f"the crash ({where}) was never reached"
    assert crash["people_at_crash"] > len(before[0]), "nothing had been written before the crash"
    assert registry_state() == before
    assert [p.category_codes for p in Person.objects.filter(pk__in=[p.pk for p in existing])] == [
        [Category.DIBAO]
    ] * 3
    assert not Relation.objects.exists()


def test_the_command_path_is_all_or_nothing_too(regions, monkeypatch, tmp_path):
    rows = [["姓名", "身份证号"]] + [
        [f"新人{n}", id_number(dt.date(2010, 1, 1 + n), 11 + 2 * n)] for n in range(5)
    ]
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx(rows))
    before = registry_state()
    monkeypatch.setattr(imports, "BATCH", 2)

    with database_fails_on(Person, "INSERT", 3) as crash, pytest.raises(RuntimeError):
        imports.run_file(path=path, region_code=regions.village.code)

    assert crash["people_at_crash"] == 4
    assert registry_state() == before


def test_running_the_same_file_again_changes_nothing(regions, village_director):
    guardian = PersonFactory(region=regions.village, name="张父", birth_date=dt.date(1975, 1, 1))
    child = id_number(dt.date(2015, 6, 1), 17)
    data = xlsx(
        [
            [
                "姓名",
                "身份证号",
                "性别",
                "出生日期",
                "联系电话",
                "家庭住址",
                "类别",
                "残疾类别",
                "残疾等级",
                "监护人",
                "监护人身份证号",
                "备注",
            ],
            [
                "张建国",
                ZHANG,
                "男",
                "1950.3.5",
                "13800138000",
                "东庄村 3号",
                "低保、独居",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "李秀英",
                LI,
                "女",
                "19481120",
                "",
                "东庄村5号",
                "残疾",
                "肢体",
                "二级",
                "",
                "",
                "需要上门",
            ],
            [
                "张小明",
                child,
                "男",
                "2015年6月1日",
                "",
                "",
                "留守儿童",
                "",
                "",
                "张父",
                guardian.id_number,
                "父母外出",
            ],
        ]
    )
    first = confirm_and_run(
        upload(data, region=regions.village, by=village_director), by=village_director
    )
    assert (first.status, first.count_new) == (ImportStatus.DONE, 3)
    assert Relation.objects.filter(kind=RelationKind.GUARDIAN).count() == 1
    before = registry_state()

    again = upload(data, region=regions.village, by=village_director)

    assert (again.count_new, again.count_update, again.count_unchanged, again.count_error) == (
        0,
        0,
        3,
        0,
    )
    again = confirm_and_run(again, by=village_director)
    assert again.status == ImportStatus.DONE
    assert registry_state() == before


def test_a_job_whose_file_gains_an_error_between_check_and_confirm_is_refused(
    regions, village_director, district_admin
):
    data = xlsx([["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", LI]])
    job = upload(data, region=regions.village, by=village_director)
    assert (job.count_new, job.count_error) == (2, 0)
    imports.import_job_confirm(by=village_director, job=job)
    # Meanwhile the district registers 李秀英 in another village, outside the director's area.
    services.person_create(
        by=district_admin,
        data={"name": "李秀英", "id_number": LI, "region_code": regions.far_village.code},
    )
    before = registry_state()

    job = imports.import_job_commit(job.pk, by=village_director)

    assert job.status == ImportStatus.FAILED
    assert is_chinese(job.message) and "1" in job.message
    assert job.finished_at is not None
    assert registry_state() == before
    assert not Person.objects.filter(name="张建国").exists()


def test_a_person_registered_in_the_area_between_check_and_confirm_is_not_duplicated(
    regions, village_director, make_user
):
    data = xlsx(
        [["姓名", "身份证号", "联系电话"], ["张建国", ZHANG, "13800138000"], ["李秀英", LI, ""]]
    )
    job = upload(data, region=regions.village, by=village_director)
    assert (job.count_new, job.count_error) == (2, 0)
    imports.import_job_confirm(by=village_director, job=job)
    assistant = make_user(Role.VILLAGE_ASSISTANT)
    services.person_create(
        by=assistant,
        data={"name": "张建国", "id_number": ZHANG, "region_code": regions.village.code},
    )

    job = imports.import_job_commit(job.pk, by=village_director)

    assert job.status == ImportStatus.DONE
    assert (job.count_new, job.count_update) == (1, 1)
    assert Person.objects.filter(name="张建国").count() == 1
    assert registered(ZHANG).phone == "13800138000"


def test_the_import_never_writes_rows_the_preview_did_not_show(regions, village_director):
    job = upload(
        xlsx([["姓名", "身份证号"], ["张建国", ZHANG]]), region=regions.village, by=village_director
    )
    imports.import_job_confirm(by=village_director, job=job)
    # The stored file is replaced after the check (a new row, and the checked row broken).
    with open(job.file.path, "wb") as handle:
        handle.write(xlsx([["姓名", "身份证号"], ["张建国", ZHANG[:17] + "Y"], ["李秀英", LI]]))
    before = registry_state()

    job = imports.import_job_commit(job.pk, by=village_director)

    if job.status == ImportStatus.FAILED:
        assert registry_state() == before
    else:  # the import kept to what the check saw
        assert job.status == ImportStatus.DONE
        assert list(Person.objects.values_list("name", flat=True)) == ["张建国"]
        assert registered(ZHANG).name == "张建国"


def test_a_checked_job_with_errors_cannot_be_confirmed(regions, village_director):
    job = upload(
        xlsx([["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", "1.30111E+17"]]),
        region=regions.village,
        by=village_director,
    )

    with pytest.raises(imports.ImportRefused):
        imports.import_job_confirm(by=village_director, job=job)

    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    with pytest.raises(imports.ImportRefused):
        imports.import_job_commit(job.pk, by=village_director)  # not confirmed: never runs
    assert not Person.objects.exists()


def test_a_job_is_confirmed_only_once(regions, village_director):
    job = upload(
        xlsx([["姓名", "身份证号"], ["张建国", ZHANG]]), region=regions.village, by=village_director
    )
    confirm_and_run(job, by=village_director)

    with pytest.raises(imports.ImportRefused):
        imports.import_job_confirm(by=village_director, job=job)

    assert Person.objects.count() == 1


def test_apply_refuses_a_plan_with_errors(regions, village_director):
    planned = plan(
        xlsx([["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", "1.30111E+17"]]),
        region=regions.village,
        by=village_director,
    )

    with pytest.raises(imports.ImportRefused):
        imports.apply_plan(planned, by=village_director)

    assert not Person.objects.exists()


# -- scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["sibling_village", "far_village", "township", "district"])
def test_a_village_director_cannot_import_outside_their_village(regions, village_director, where):
    with pytest.raises(Http404):
        imports.import_job_create(
            by=village_director,
            region_code=getattr(regions, where).code,
            filename="花名册.xlsx",
            content=xlsx([["姓名", "身份证号"], ["张建国", ZHANG]]),
        )

    assert not ImportJob.objects.exists()


def test_a_volunteer_cannot_import_anywhere(regions, make_user):
    volunteer = make_user(Role.VOLUNTEER)

    with pytest.raises(Http404):
        imports.import_job_create(
            by=volunteer, region_code=regions.village.code, filename="a.xlsx", content=b"x"
        )


@pytest.mark.parametrize(
    ("filename", "content"), [("名单.docx", b"x"), ("名单.xlsx", b""), ("名单", b"x")]
)
def test_an_upload_that_is_not_a_roster_file_is_refused_before_it_is_stored(
    regions, village_director, filename, content
):
    with pytest.raises(imports.ValidationError) as caught:
        imports.import_job_create(
            by=village_director,
            region_code=regions.village.code,
            filename=filename,
            content=content,
        )

    assert is_chinese(" ".join(caught.value.messages))
    assert not ImportJob.objects.exists()


# -- guardians and audit ------------------------------------------------------------------------


def test_a_guardian_id_number_links_the_guardian_already_in_the_registry(regions, village_director):
    guardian = PersonFactory(region=regions.village, name="张父", birth_date=dt.date(1975, 1, 1))
    child = id_number(dt.date(2015, 6, 1), 17)
    data = xlsx(
        [
            ["姓名", "身份证号", "监护人", "监护人身份证号"],
            ["张小明", child, "张父", guardian.id_number],
        ]
    )

    planned, result = commit(data, region=regions.village, by=village_director)

    assert result.relations == 1
    relation = Relation.objects.get()
    assert (relation.person, relation.relative) == (registered(child), guardian)
    assert relation.kind == RelationKind.GUARDIAN and relation.is_primary_guardian


def test_a_guardian_id_number_links_a_guardian_imported_in_the_same_file(regions, village_director):
    parent = id_number(dt.date(1980, 2, 2), 15)
    child = id_number(dt.date(2015, 6, 1), 17)
    data = xlsx(
        [
            ["姓名", "身份证号", "监护人", "监护人身份证号"],
            ["张小明", child, "张建军", parent],
            ["张建军", parent, "", ""],
        ]
    )

    planned, result = commit(data, region=regions.village, by=village_director)

    relation = Relation.objects.get()
    assert (relation.person, relation.relative) == (registered(child), registered(parent))


def test_a_guardian_outside_the_importers_area_is_not_linked(regions, village_director):
    guardian = PersonFactory(
        region=regions.far_village, name="张父", birth_date=dt.date(1975, 1, 1)
    )
    child = id_number(dt.date(2015, 6, 1), 17)
    data = xlsx(
        [
            ["姓名", "身份证号", "监护人", "监护人身份证号"],
            ["张小明", child, "张父", guardian.id_number],
        ]
    )

    planned, result = commit(data, region=regions.village, by=village_director)

    assert result.created == 1 and result.relations == 0
    assert not Relation.objects.exists()


def test_a_wrong_guardian_id_number_is_a_row_error(regions, village_director):
    child = id_number(dt.date(2015, 6, 1), 17)
    data = xlsx([["姓名", "身份证号", "监护人身份证号"], ["张小明", child, "130111198001011234"]])

    [(row, column, message)] = errors_of(plan(data, region=regions.village, by=village_director))

    assert (row, column) == (2, "监护人身份证号") and is_chinese(message)


def history_of(person: Person):
    return LogEntry.objects.get_for_object(person).order_by("pk")


def test_imported_people_get_audit_entries_naming_the_importer(regions, village_director):
    PersonFactory(region=regions.village, name="王福来", birth_date=WANG_BORN, id_number=WANG)
    data = xlsx(
        [
            HEADER,
            [1, "张建国", ZHANG, "", "", "东庄村", "低保"],
            [2, "王福来", WANG, "13600136000", "", "东庄村", ""],
        ]
    )
    job = confirm_and_run(
        upload(data, region=regions.village, by=village_director), by=village_director
    )

    [created] = history_of(registered(ZHANG))
    assert created.action == LogEntry.Action.CREATE
    assert created.actor == village_director
    assert created.additional_data == {"import_job": job.pk}
    assert created.changes["name"] == ["None", "张建国"]
    assert created.changes["id_number_masked"] == ["None", crypto.mask_id_number(ZHANG)]
    assert created.changes["categories"] == ["None", str(Category.DIBAO.label)]
    assert ZHANG not in str(created.changes)  # never the full number
    *_factory, updated = history_of(registered(WANG))
    assert updated.action == LogEntry.Action.UPDATE and updated.actor == village_director
    assert updated.changes == {"phone_masked": ["None", crypto.mask_phone("13600136000")]}


def test_categories_added_by_an_import_are_in_the_persons_history(regions, village_director):
    existing = PersonFactory(
        region=regions.village,
        name="王福来",
        birth_date=WANG_BORN,
        id_number=WANG,
        categories=["tekun"],
    )
    data = xlsx([["姓名", "身份证号", "类别"], ["王福来", WANG, "低保"]])

    confirm_and_run(upload(data, region=regions.village, by=village_director), by=village_director)

    last = history_of(existing).last()
    assert last.actor == village_director
    both = "、".join(str(Category(c).label) for c in sorted(["dibao", "tekun"]))
    assert last.changes == {"categories": [str(Category.TEKUN.label), both]}


# -- the management command ---------------------------------------------------------------------


def roster_file(tmp_path, rows, name="名单.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    return path


def test_the_command_imports_a_file(regions, tmp_path):
    path = roster_file(
        tmp_path,
        [["姓名", "身份证号", "所属村"], ["张建国", ZHANG, "东庄村"], ["李秀英", LI, "西庄村"]],
    )
    out = StringIO()

    call_command(
        "import_people",
        str(path),
        "--region",
        regions.township.code,
        "--category",
        "dibao",
        stdout=out,
    )

    assert "new 2" in out.getvalue()
    assert registered(ZHANG).category_codes == [Category.DIBAO]
    assert registered(LI).region == regions.sibling_village


def test_the_command_dry_run_changes_nothing(regions, tmp_path):
    path = roster_file(tmp_path, [["姓名", "身份证号"], ["张建国", ZHANG]])
    before = registry_state()
    out = StringIO()

    call_command(
        "import_people", str(path), "--region", regions.village.code, "--dry-run", stdout=out
    )

    assert "new 1" in out.getvalue()
    assert registry_state() == before


def test_the_command_fails_on_errors_and_changes_nothing(regions, tmp_path):
    path = roster_file(
        tmp_path, [["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", "1.30111E+17"]]
    )
    before = registry_state()
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("import_people", str(path), "--region", regions.village.code, stdout=out)

    assert "row 3 [身份证号]" in out.getvalue()
    assert registry_state() == before


def test_the_command_acting_as_a_user_keeps_to_their_area(regions, tmp_path, village_director):
    PersonFactory(region=regions.far_village, name="张建国", birth_date=BORN, id_number=ZHANG)
    path = roster_file(tmp_path, [["姓名", "身份证号"], ["张建国", ZHANG]])

    with pytest.raises(CommandError):
        call_command(
            "import_people",
            str(path),
            "--region",
            regions.village.code,
            "--user",
            "director",
            stdout=StringIO(),
        )

    assert registered(ZHANG).region == regions.far_village


@pytest.mark.parametrize(
    "arguments",
    [["--region", "130111999999"], ["--region", "130111100201", "--user", "nobody"]],
)
def test_the_command_refuses_an_unknown_region_or_user(regions, tmp_path, arguments):
    path = roster_file(tmp_path, [["姓名", "身份证号"], ["张建国", ZHANG]])

    with pytest.raises(CommandError):
        call_command("import_people", str(path), *arguments, stdout=StringIO())


def test_the_command_refuses_an_unreadable_file(regions, tmp_path):
    path = tmp_path / "名单.xls"
    path.write_bytes(b"garbage")

    with pytest.raises(CommandError):
        call_command(
            "import_people", str(path), "--region", regions.village.code, stdout=StringIO()
        )


def test_a_household_is_kept_when_a_person_is_updated(regions, village_director):
    household = HouseholdFactory(region=regions.village)
    existing = PersonFactory(
        region=regions.village, name="张建国", birth_date=BORN, id_number=ZHANG, household=household
    )
    data = xlsx([["姓名", "身份证号", "联系电话"], ["张建国", ZHANG, "13800138000"]])

    commit(data, region=regions.village, by=village_director)

    existing.refresh_from_db()
    assert existing.household == household and existing.phone == "13800138000"
