""" "My work" as .xlsx: the user's own items, one row each under its section; nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shegong.casework import services
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db


def test_my_work_exports_the_users_own_items(
    client, case, village_director, assistant, outsider, regions
):
    today = timezone.localdate()
    for title, owner, days in (
        ("家访", village_director, -2),
        ("联系学校", village_director, 30),
        ("助理的任务", assistant, -1),
    ):
        services.plan_task_add(
            by=village_director, case_id=case.pk, title=title, owner=owner,
            due_on=today + dt.timedelta(days=days),
        )  # fmt: skip
    client = login(client, village_director)
    rows = xlsx_rows(client.get("/work/my-work/", {"export": "xlsx"}))
    # Overdue, later tasks, open cases: three sections (named in the page's language).
    assert [(row[2], row[4]) for row in rows[:2]] == [("李小花", "家访"), ("李小花", "联系学校")]
    assert len(rows) == 3 and rows[2][2] == "李小花"
    assert len({row[0] for row in rows}) == 3
    assert rows[0][5] == dt.datetime.combine(today - dt.timedelta(days=2), dt.time())
    assert "export=xlsx" in client.get("/work/my-work/").content.decode()
    rows = xlsx_rows(login(client, outsider).get("/work/my-work/", {"export": "xlsx"}))
    assert rows == []
