"""A process killed in the middle of its work leaves nothing half-done, and the work runs again
to the end state of one clean run: a roster import, a merge of two records, a monthly report,
and the handling of an alarm (escalating, telling, acknowledging).

The work runs in a child process on a database this test shares with it (faults_support); the
child stops at a chosen point inside the work and is killed with SIGKILL, as a worker is when
the machine runs out of memory or the power goes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from shegong.accounts.models import Programme, Role, User
from shegong.casework.models import Notification, Visit, VisitMode
from shegong.devices.models import (
    ActionKind,
    Alarm,
    AlarmStatus,
    Delivery,
    DeliveryStatus,
    Tier,
    Vendor,
)
from shegong.factories import PersonFactory, RegionFactory, UserFactory
from shegong.people import crypto, imports
from shegong.people.models import (
    ImportStatus,
    MergeRecord,
    Person,
    PersonCategory,
    PersonStatus,
    Relation,
    RelationKind,
)
from shegong.people.tests.rosters import id_number, xlsx
from shegong.reports.models import MonthlyReport, ReportStatus
from shegong.reports.services import STALE_AFTER, previous_month
from shegong.tests.faults_support import (  # noqa: F401
    media_files,
    new_alarm,
    scratch,
    table_counts,
)

# Committed data, as the children need; the work itself runs on the scratch copy (faults_support).
pytestmark = pytest.mark.django_db(transaction=True)

ROSTER_ROWS = 160


def staff(role: str, region, username: str) -> User:
    user = UserFactory(username=username)
    user.memberships.create(role=role, region=region)
    return user


@pytest.fixture
def village(scratch):  # noqa: F811 - the fixture imported above
    return RegionFactory(code="130111100201", name="东庄村")


@pytest.fixture
def director(village):
    return staff(Role.VILLAGE_DIRECTOR, village, "director")


# -- roster import ------------------------------------------------------------------------------


def roster() -> list[list[str]]:
    rows = [["姓名", "身份证号", "类别"]]
    for n in range(ROSTER_ROWS):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=n)
        rows.append([f"导入{n:03d}", id_number(birth, 11), "低保"])
    return rows


def registry_counts() -> dict[str, int]:
    return table_counts(Person, PersonCategory, LogEntry)


def test_a_killed_import_writes_nothing_and_is_resumed_to_one_clean_import(
    scratch,  # noqa: F811
    village,
    director,
):
    job = imports.import_job_create(
        by=director, region_code=village.code, filename="名单.xlsx", content=xlsx(roster())
    )
    job = imports.import_job_check(job.pk)
    assert job.count_new == ROSTER_ROWS
    imports.import_job_confirm(by=director, job=job)
    before = registry_counts()

    # Killed after the second batch of people was written, inside the import's transaction.
    scratch.kill_at("import", "import-mid-batches", job_id=job.pk, user_id=director.pk)

    assert registry_counts() == before
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING  # what the page shows as stalled

    # The periodic resumption runs it again once the job has been silent long enough.
    assert scratch.run("resume_imports", stale_after=0) == {"resumed": [job.pk]}

    job.refresh_from_db()
    assert (job.status, job.count_new, job.count_update) == (ImportStatus.DONE, ROSTER_ROWS, 0)
    expected = {crypto.blind_index(row[1]) for row in roster()[1:]}
    assert set(Person.objects.values_list("id_number_hash", flat=True)) == expected
    assert registry_counts() == {
        "people.Person": ROSTER_ROWS,
        "people.PersonCategory": ROSTER_ROWS,
        "auditlog.LogEntry": before["auditlog.LogEntry"] + ROSTER_ROWS,
    }
    # Done is done: a later resumption finds nothing to run again.
    assert scratch.run("resume_imports", stale_after=0) == {"resumed": []}
    assert Person.objects.count() == ROSTER_ROWS


# -- merging duplicates -------------------------------------------------------------------------


def merge_state(keep: Person, merge: Person) -> dict[str, object]:
    keep.refresh_from_db()
    merge.refresh_from_db()
    return {
        "statuses": (keep.status, merge.status),
        "versions": (keep.version, merge.version),
        "visits": (keep.visits.count(), merge.visits.count()),
        "categories": (
            sorted(keep.categories.values_list("category", flat=True)),
            sorted(merge.categories.values_list("category", flat=True)),
        ),
        "relations": (keep.relations.count(), merge.relations.count()),
        "records": MergeRecord.objects.count(),
    }


def test_a_killed_merge_changes_nothing_and_runs_again_to_one_merge(
    scratch,  # noqa: F811
    village,
    director,
):
    keep = PersonFactory(region=village, name="王秀英", categories=["dibao"])
    merge = PersonFactory(region=village, name="王秀英", categories=["dibao", "disabled"])
    guardian = PersonFactory(region=village, name="王建军")
    Relation.objects.create(person=merge, relative=guardian, kind=RelationKind.GUARDIAN)
    for day in (1, 2):
        Visit.objects.create(
            person=merge,
            programme=Programme.ELDERLY,
            visited_on=dt.date(2025, 3, day),
            mode=VisitMode.HOME,
            visited_by=director,
        )
    before = merge_state(keep, merge)

    # Killed after every record was moved to the kept person, before the merge was recorded.
    scratch.kill_at("merge", "merge-moved", keep=keep.pk, merge=merge.pk, user_id=director.pk)

    assert merge_state(keep, merge) == before
    scratch.run("merge", keep=keep.pk, merge=merge.pk, user_id=director.pk)
    assert merge_state(keep, merge) == {
        "statuses": (PersonStatus.ACTIVE, PersonStatus.MERGED),
        "versions": (before["versions"][0] + 1, before["versions"][1] + 1),
        "visits": (2, 0),
        "categories": (["dibao", "disabled"], []),
        "relations": (1, 0),
        "records": 1,
    }


# -- the monthly report -------------------------------------------------------------------------


def test_a_killed_report_leaves_no_stray_file_and_is_generated_again_once(
    scratch,  # noqa: F811
    village,
):
    district = village.parent.parent
    report = MonthlyReport.objects.create(
        region=district, month=previous_month(timezone.localdate())
    )

    # Killed with the workbook on disk and the narrative not yet written.
    scratch.kill_at("report", "report-first-file", report_id=report.pk)

    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING and not report.xlsx and not report.docx
    assert len(media_files(scratch)) == 1  # the killed run's workbook, recorded nowhere

    # Not moved for STALE_AFTER: the periodic resumption generates it again.
    MonthlyReport.objects.filter(pk=report.pk).update(
        updated_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1)
    )
    scratch.run("resume_reports")

    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.progress == 100
    # Exactly the two files of one clean run, under the names a clean run gives them.
    stem = f"reports/{district.code}/{report.month:%Y-%m}/{district.code}-{report.month:%Y%m}"
    assert (report.xlsx.name, report.docx.name) == (
        f"{stem}-{report.pk}.xlsx",
        f"{stem}-{report.pk}.docx",
    )
    assert media_files(scratch) == sorted([report.docx.name, report.xlsx.name])
    assert MonthlyReport.objects.count() == 1


# -- handling an alarm --------------------------------------------------------------------------


@pytest.fixture
def overdue_alarm(village, director) -> Alarm:
    """A critical alarm the village station did not acknowledge within its window."""
    township = village.parent
    for n in range(3):
        staff(Role.TOWNSHIP_WORKER, township, f"township{n}")
    vendor = Vendor.objects.create(name="厂商", key="v_test", secret_encrypted=b"")
    return new_alarm(
        vendor, village, 1, by=director, raised=timezone.now() - dt.timedelta(minutes=10)
    )


def township_notices(alarm: Alarm) -> dict[str, int]:
    deliveries = Delivery.objects.filter(alarm=alarm, tier=Tier.TOWNSHIP)
    return {
        "planned": deliveries.count(),
        "sent": deliveries.filter(status=DeliveryStatus.SENT).count(),
        "notifications": Notification.objects.filter(
            key=f"alarm:{alarm.pk}:{Tier.TOWNSHIP}"
        ).count(),
    }


def test_a_sweep_killed_inside_the_escalation_leaves_the_alarm_where_it_was(
    scratch,  # noqa: F811
    overdue_alarm,
):
    scratch.kill_at("sweep", "escalation-uncommitted")

    overdue_alarm.refresh_from_db()
    assert (overdue_alarm.tier, overdue_alarm.version) == (Tier.VILLAGE, 1)
    assert not overdue_alarm.actions.filter(kind=ActionKind.ESCALATED).exists()
    assert not Delivery.objects.exists()

    assert scratch.run("sweep") == {"moved": 1}
    overdue_alarm.refresh_from_db()
    assert overdue_alarm.tier == Tier.TOWNSHIP
    assert township_notices(overdue_alarm) == {"planned": 3, "sent": 3, "notifications": 3}


def test_a_sweep_killed_after_escalating_still_tells_everyone_once(
    scratch,  # noqa: F811
    overdue_alarm,
):
    # Killed after the alarm moved to the township and the first of three workers was told.
    scratch.kill_at("sweep", "escalated-first-notice")

    overdue_alarm.refresh_from_db()
    assert overdue_alarm.tier == Tier.TOWNSHIP
    assert township_notices(overdue_alarm) == {"planned": 3, "sent": 1, "notifications": 1}

    # The next minute's sweep tells the two others, escalates nothing twice, repeats nobody.
    assert scratch.run("sweep", clock_ahead=60) == {"moved": 0}
    overdue_alarm.refresh_from_db()
    assert (overdue_alarm.tier, overdue_alarm.version) == (Tier.TOWNSHIP, 2)
    assert overdue_alarm.actions.filter(kind=ActionKind.ESCALATED).count() == 1
    assert township_notices(overdue_alarm) == {"planned": 3, "sent": 3, "notifications": 3}


def test_a_killed_acknowledgement_changes_nothing_and_can_be_given_again(
    scratch,  # noqa: F811
    overdue_alarm,
    director,
):
    scratch.kill_at(
        "acknowledge", "acknowledge-uncommitted", alarm_id=overdue_alarm.pk, user_id=director.pk
    )

    overdue_alarm.refresh_from_db()
    assert (overdue_alarm.status, overdue_alarm.acknowledged_by) == (AlarmStatus.OPEN, None)

    scratch.run("acknowledge", alarm_id=overdue_alarm.pk, user_id=director.pk)
    overdue_alarm.refresh_from_db()
    assert (overdue_alarm.status, overdue_alarm.acknowledged_by) == (
        AlarmStatus.ACKNOWLEDGED,
        director,
    )
    assert overdue_alarm.actions.filter(kind=ActionKind.ACKNOWLEDGED).count() == 1
