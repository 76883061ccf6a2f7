"""Many processes at once on one database: writers never see "database is locked", edits of
one record from the same version give one winner and a clear conflict for the others, and a
queue consumer killed with tasks queued loses none of them, repeats none, and still escalates
the alarms that fell overdue while it was down.

Each test shares a copy of the test database with its child processes (faults_support), so the
SQLite runs use a real file with the project's SQLITE_OPTIONS (WAL, IMMEDIATE, busy timeout).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone, translation

from shegong.accounts.models import Programme, Role, User
from shegong.casework import services as casework
from shegong.casework.models import CaseEvent, CaseEventKind, Stage, Visit
from shegong.devices.models import (
    ActionKind,
    Alarm,
    AlarmAction,
    Delivery,
    DeliveryStatus,
    Tier,
    Vendor,
)
from shegong.factories import PersonFactory, RegionFactory, UserFactory
from shegong.people import imports
from shegong.people.models import ImportStatus, Person
from shegong.people.tests.rosters import id_number, xlsx
from shegong.reports.models import MonthlyReport, ReportStatus
from shegong.reports.services import STALE_AFTER, previous_month
from shegong.tests.faults_support import media_files, new_alarm, scratch  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8
WRITE_SECONDS = 4
EDITORS = 6


@pytest.fixture
def village(scratch):  # noqa: F811 - the fixture imported above
    return RegionFactory(code="130111100201", name="东庄村")


@pytest.fixture
def director(village) -> User:
    user = UserFactory(username="director")
    user.memberships.create(role=Role.VILLAGE_DIRECTOR, region=village)
    return user


def test_eight_writers_at_once_never_see_database_is_locked(
    scratch,  # noqa: F811
    village,
    director,
    capsys,
):
    result = scratch.run(
        "writers", n=WRITERS, seconds=WRITE_SECONDS, user_id=director.pk, region=village.code
    )

    writers = result["writers"]
    assert [w.get("crash") for w in writers] == [None] * WRITERS
    errors = {message: n for w in writers for message, n in w["errors"].items()}
    assert errors == {}
    writes = {
        kind: sum(w["writes"][kind] for w in writers)
        for kind in ("person_create", "visit_record", "person_update")
    }
    # Every writer got work done, and every write it was told succeeded is in the database.
    assert all(w["writes"]["person_create"] > 0 for w in writers)
    ids = [pk for w in writers for pk in w["people"]]
    assert Person.objects.filter(pk__in=ids).count() == len(ids) == writes["person_create"]
    assert Visit.objects.filter(person__in=ids).count() == writes["visit_record"]
    assert Person.objects.filter(pk__in=ids, version=2).count() == writes["person_update"]
    with capsys.disabled():
        print(
            f"\n{scratch.vendor}: {WRITERS} writers, {WRITE_SECONDS} s:"
            f" {sum(writes.values())} writes {writes}, {len(errors)} errors"
        )


def conflict_message(exception: type[Exception]) -> str:
    with translation.override("zh-hans"):
        return str(exception() if exception is casework.StaleCase else exception(0))


def outcomes(editors: list[dict]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for editor in editors:
        counted[editor["outcome"]] = counted.get(editor["outcome"], 0) + 1
    return counted


def test_edits_of_one_person_from_the_same_version_give_one_winner(
    scratch,  # noqa: F811
    village,
    director,
    capsys,
):
    from shegong.people.services import StaleVersion

    person = PersonFactory(region=village, name="刘淑芬")

    editors = scratch.run(
        "editors",
        n=EDITORS,
        kind="person",
        pk=person.pk,
        version=person.version,
        user_id=director.pk,
    )["editors"]

    assert outcomes(editors) == {"saved": 1, "conflict": EDITORS - 1}
    message = conflict_message(StaleVersion)
    assert any("\u4e00" <= char <= "\u9fff" for char in message)  # the UI shows it in Chinese
    assert {e["message"] for e in editors if e["outcome"] == "conflict"} == {message}
    # The winner's edit is the one stored, once, and nothing else overwrote it.
    winner = next(e["index"] for e in editors if e["outcome"] == "saved")
    person.refresh_from_db()
    assert (person.address, person.version) == (f"editor {winner}", 2)
    with capsys.disabled():
        print(f"\n{scratch.vendor}: person edits {outcomes(editors)}")


def test_moves_of_one_case_from_the_same_version_give_one_winner(
    scratch,  # noqa: F811
    village,
    director,
    capsys,
):
    child = PersonFactory(region=village, name="李小花", birth_date=dt.date(2016, 5, 1))
    case = casework.case_open(
        by=director, person=child, programme=Programme.MINORS, reason="重点关注"
    )
    case.refresh_from_db()
    version = case.version
    moves_before = CaseEvent.objects.filter(case=case, kind=CaseEventKind.STAGE).count()

    editors = scratch.run(
        "editors",
        n=EDITORS,
        kind="case",
        pk=case.pk,
        version=case.version,
        to_stage=Stage.ASSESSMENT,
        user_id=director.pk,
    )["editors"]

    assert outcomes(editors) == {"saved": 1, "conflict": EDITORS - 1}
    message = conflict_message(casework.StaleCase)
    assert {e["message"] for e in editors if e["outcome"] == "conflict"} == {message}
    case.refresh_from_db()
    assert (case.stage, case.version) == (Stage.ASSESSMENT, version + 1)
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.STAGE).count() == moves_before + 1
    with capsys.disabled():
        print(f"\n{scratch.vendor}: case moves {outcomes(editors)}")


# -- the queue consumer ------------------------------------------------------------------------


def test_a_consumer_killed_with_tasks_queued_loses_none_repeats_none_and_escalates(
    scratch,  # noqa: F811
    village,
    director,
):
    township_worker = UserFactory(username="township")
    township_worker.memberships.create(role=Role.TOWNSHIP_WORKER, region=village.parent)
    rows = [["姓名", "身份证号"]] + [
        [f"队列{n}", id_number(dt.date(1950, 1, 1) + dt.timedelta(days=n), 21)] for n in range(30)
    ]
    created = imports.import_job_create(
        by=director, region_code=village.code, filename="名单.xlsx", content=xlsx(rows)
    )
    job = imports.import_job_confirm(by=director, job=imports.import_job_check(created.pk))
    report = MonthlyReport.objects.create(
        region=village.parent.parent, month=previous_month(timezone.localdate())
    )
    vendor = Vendor.objects.create(name="厂商", key="v_queue", secret_encrypted=b"")
    # An older alarm, told to the village long ago, whose escalation task is not on the queue
    # (lost with an earlier worker): only the periodic sweep can escalate it.
    older = new_alarm(
        vendor, village, 0, by=director, raised=timezone.now() - dt.timedelta(minutes=2)
    )
    Delivery.objects.create(
        alarm=older,
        tier=Tier.VILLAGE,
        channel="in_app",
        user=director,
        status=DeliveryStatus.SENT,
        attempts=1,
    )
    fresh = [new_alarm(vendor, village, n, by=director, raised=timezone.now()) for n in (1, 2)]
    queued = scratch.run(
        "enqueue",
        imports=[[job.pk, director.pk]],
        reports=[report.pk],
        alarms=[a.pk for a in fresh],
    )
    assert queued == {"queued": 4}

    # One worker takes the tasks in order: the import runs, then the consumer is killed in the
    # middle of the report, with the two new alarms' tasks still queued.
    consumer = scratch.child("consumer", pause="report-first-file")
    scratch.wait_and_kill(consumer, "report-first-file")
    job.refresh_from_db()
    report.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Person.objects.filter(name__startswith="队列").count() == 30
    assert report.status == ReportStatus.RUNNING
    assert Delivery.objects.count() == 1

    # The consumer stays down for half an hour: the report's worker is stale by now, and the
    # older alarm's five minutes to be acknowledged are over.
    MonthlyReport.objects.filter(pk=report.pk).update(
        updated_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1)
    )
    Alarm.objects.filter(pk=older.pk).update(ack_deadline=timezone.now() - dt.timedelta(minutes=1))

    consumer = scratch.child("consumer")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert consumer.poll() is None, scratch.errors(consumer)
            report.refresh_from_db()
            sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
            if report.status == ReportStatus.DONE and sent == 4:
                break
            time.sleep(0.5)
    finally:
        consumer.kill()
        consumer.communicate()

    # Every task ran once in effect: the import once, the report once with its two files, each
    # new alarm told to the village once, and the older one escalated by the sweep the consumer
    # runs as it starts and told to the township once.
    assert Person.objects.filter(name__startswith="队列").count() == 30
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    report_files = [p for p in media_files(scratch) if p.startswith("reports/")]
    assert report_files == sorted([report.xlsx.name, report.docx.name])
    deliveries = Delivery.objects.order_by("alarm_id", "id")
    assert [(d.alarm_id, d.tier, d.status) for d in deliveries] == [
        (older.pk, Tier.VILLAGE, DeliveryStatus.SENT),
        (older.pk, Tier.TOWNSHIP, DeliveryStatus.SENT),
        (fresh[0].pk, Tier.VILLAGE, DeliveryStatus.SENT),
        (fresh[1].pk, Tier.VILLAGE, DeliveryStatus.SENT),
    ]
    assert list(AlarmAction.objects.filter(kind=ActionKind.ESCALATED).values_list("alarm_id")) == [
        (older.pk,)
    ]
