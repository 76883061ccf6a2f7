"""The other process of the fault and concurrency tests: ``python -m shegong.tests.faults_child
SCENARIO '{json arguments}'``, run by :mod:`shegong.tests.faults_support` with the environment
pointing at the test's own database, media folder and Huey file.

A scenario may be told to stop at a point inside the work (``"pause": "<point>"``): there it
writes ``<label>.ready`` into ``FAULTS_PAUSE_DIR`` and sleeps until the test kills it. The stop
points are wrappers installed here, around the real functions; the product code has no hooks.
Results are printed as one JSON line on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def pause_here(label: str) -> None:
    """Tell the test we reached ``label`` and wait to be killed."""
    from django.db import connection

    # Nothing commits while we wait: the transaction we are inside stays open.
    Path(os.environ["FAULTS_PAUSE_DIR"], f"{label}.ready").write_text(str(os.getpid()))
    if not connection.in_atomic_block:
        connection.close()
    time.sleep(3600)


def _wrap(owner: Any, name: str, label: str, *, after_calls: int = 1, before: bool = False):
    """Pause on the ``after_calls``-th call of ``owner.name`` (after it returned, or before)."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if before and calls[0] == after_calls:
            pause_here(label)
        result = original(*args, **kwargs)
        if not before and calls[0] == after_calls:
            pause_here(label)
        return result

    setattr(owner, name, wrapper)


# -- the work ----------------------------------------------------------------------------------


def run_import(args: dict[str, Any]) -> dict[str, Any]:
    from shegong.accounts.models import User
    from shegong.people import imports

    if args.get("pause") == "import-mid-batches":
        # After the second batch of people is written, inside the import's transaction.
        imports.BATCH = args.get("batch", 50)
        _wrap(imports, "bulk_insert", "import-mid-batches", after_calls=4)
    job = imports.import_job_commit(args["job_id"], by=User.objects.get(pk=args["user_id"]))
    return {"status": job.status, "message": job.message}


def resume_imports(args: dict[str, Any]) -> dict[str, Any]:
    """The periodic resumption, with ``stale_after`` seconds of silence counting as stalled."""
    from shegong import progress
    from shegong.people import imports

    progress.STALE_AFTER_SECONDS = imports.STALE_AFTER_SECONDS = args["stale_after"]
    return {"resumed": imports.import_jobs_resume_stalled()}


def run_merge(args: dict[str, Any]) -> dict[str, Any]:
    from shegong.accounts.models import User
    from shegong.people import duplicates
    from shegong.people.models import Person

    if args.get("pause") == "merge-moved":
        _wrap(duplicates, "_move_related", "merge-moved")
    record = duplicates.person_merge(
        by=User.objects.get(pk=args["user_id"]),
        keep=Person.objects.get(pk=args["keep"]),
        merge=Person.objects.get(pk=args["merge"]),
        reason="fault test",
    )
    return {"record": record.pk}


def run_report(args: dict[str, Any]) -> dict[str, Any]:
    from django.core.files.storage import FileSystemStorage

    from shegong.reports import services

    if args.get("pause") == "report-first-file":
        # The workbook is on disk, the narrative is not, the row still says "running".
        _wrap(FileSystemStorage, "_save", "report-first-file")
    report = services.report_generate(args["report_id"])
    return {"status": report.status, "error": report.error}


def resume_reports(args: dict[str, Any]) -> dict[str, Any]:
    from shegong.reports import tasks

    tasks.resume_stuck_reports.call_local()
    return {}


def run_sweep(args: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from shegong.devices import notify, services, tasks

    ahead = dt.timedelta(seconds=args.get("clock_ahead", 0))
    tasks._now = lambda: timezone.now() + ahead  # the sweep of a later minute
    pause = args.get("pause")
    if pause == "escalation-uncommitted":
        _wrap(services, "_action", pause, before=True)
    elif pause == "escalated-first-notice":
        _wrap(notify, "attempt", pause)
    return {"moved": tasks.sweep.call_local()}


def run_acknowledge(args: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from shegong.accounts.models import User
    from shegong.devices import services

    if args.get("pause") == "acknowledge-uncommitted":
        _wrap(services, "_action", "acknowledge-uncommitted", before=True)
    alarm = services.alarm_acknowledge(
        by=User.objects.get(pk=args["user_id"]), alarm_id=args["alarm_id"], now=timezone.now()
    )
    return {"status": alarm.status}


# -- many processes at once --------------------------------------------------------------------


def _fork_all(n: int, target, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``target(index, barrier, args)`` in ``n`` forked processes that start together."""
    from django.db import connections

    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(n)
    queue = context.Queue()

    def main(index: int) -> None:
        try:
            queue.put(target(index, barrier, args))
        except BaseException:
            queue.put({"crash": traceback.format_exc()})
        finally:
            connections.close_all()

    processes = [context.Process(target=main, args=(i,)) for i in range(n)]
    for process in processes:
        process.start()
    results = [queue.get(timeout=300) for _process in processes]
    for process in processes:
        process.join()
    return results


def _writer(index: int, barrier, args: dict[str, Any]) -> dict[str, Any]:
    """Register people, record a visit for each and correct their address, through the
    services, for ``seconds``; count what was written and every error by its message."""
    from django.db import OperationalError, connection

    from shegong.accounts.models import Programme, User
    from shegong.casework.models import VisitMode
    from shegong.casework.services import visit_record
    from shegong.people import idnumbers
    from shegong.people import services as people

    user = User.objects.get(pk=args["user_id"])
    connection.ensure_connection()
    barrier.wait()
    stop = time.monotonic() + args["seconds"]
    writes = {"person_create": 0, "visit_record": 0, "person_update": 0}
    errors: dict[str, int] = {}
    ids = []
    serial = 0
    while time.monotonic() < stop:
        serial += 1
        number = index * 10_000 + serial
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=number // 900)
        try:
            person = people.person_create(
                by=user,
                data={
                    "name": f"并发{index}-{serial}",
                    "id_number": idnumbers.make("130111", birth, number % 900),
                    "region_code": args["region"],
                },
            )
            writes["person_create"] += 1
            ids.append(person.pk)
            visit_record(
                by=user,
                person=person,
                programme=Programme.ELDERLY,
                visited_on=dt.date.today(),
                mode=VisitMode.HOME,
                observations="concurrency",
            )
            writes["visit_record"] += 1
            people.person_update(
                by=user,
                person_id=person.pk,
                version=person.version,
                changes={"address": f"{index}号院{serial}"},
            )
            writes["person_update"] += 1
        except OperationalError as exc:
            errors[str(exc)] = errors.get(str(exc), 0) + 1
    return {"index": index, "writes": writes, "errors": errors, "people": ids}


def run_writers(args: dict[str, Any]) -> dict[str, Any]:
    return {"writers": _fork_all(args["n"], _writer, args)}


def _editor(index: int, barrier, args: dict[str, Any]) -> dict[str, Any]:
    """One of N people saving an edit of the same record, all from the same version."""
    from django.db import connection

    from shegong.accounts.models import User
    from shegong.casework import services as casework
    from shegong.people import services as people

    user = User.objects.get(pk=args["user_id"])
    connection.ensure_connection()
    barrier.wait()
    try:
        if args["kind"] == "person":
            people.person_update(
                by=user,
                person_id=args["pk"],
                version=args["version"],
                changes={"address": f"editor {index}"},
            )
        else:
            casework.case_move(
                by=user,
                case_id=args["pk"],
                version=args["version"],
                to_stage=args["to_stage"],
                note=f"editor {index}",
            )
    except (people.StaleVersion, casework.StaleCase) as exc:
        return {"index": index, "outcome": "conflict", "message": str(exc)}
    except Exception as exc:  # anything else is a failure the test reports
        return {"index": index, "outcome": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"index": index, "outcome": "saved", "message": ""}


def run_editors(args: dict[str, Any]) -> dict[str, Any]:
    from django.utils import translation

    translation.activate("zh-hans")
    return {"editors": _fork_all(args["n"], _editor, args)}


# -- the queue ---------------------------------------------------------------------------------


def enqueue(args: dict[str, Any]) -> dict[str, Any]:
    """Put the test's tasks on the real queue (the Huey file of this media folder)."""
    from huey.contrib.djhuey import HUEY

    from shegong.devices import tasks as device_tasks
    from shegong.people import tasks as people_tasks
    from shegong.reports import tasks as report_tasks

    assert not HUEY.immediate
    for job_id, user_id in args.get("imports", []):
        people_tasks.run_import(job_id, user_id)
    for report_id in args.get("reports", []):
        report_tasks.generate_report(report_id)
    for alarm_id in args.get("alarms", []):
        device_tasks.alarm_raised(alarm_id)
    return {"queued": len(HUEY)}


def consumer(args: dict[str, Any]) -> dict[str, Any]:
    """``manage.py run_huey``, optionally stopping inside the Nth report generation."""
    from django.core.management import call_command

    if args.get("pause") == "report-first-file":
        from django.core.files.storage import FileSystemStorage

        _wrap(FileSystemStorage, "_save", "report-first-file")
    call_command("run_huey", "--workers", "1")
    return {}


SCENARIOS = {
    "import": run_import,
    "resume_imports": resume_imports,
    "merge": run_merge,
    "resume_reports": resume_reports,
    "report": run_report,
    "sweep": run_sweep,
    "acknowledge": run_acknowledge,
    "writers": run_writers,
    "editors": run_editors,
    "enqueue": enqueue,
    "consumer": consumer,
}


def main() -> None:
    import django

    django.setup()
    scenario, raw = sys.argv[1], sys.argv[2]
    result = SCENARIOS[scenario](json.loads(raw))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
