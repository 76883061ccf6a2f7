"""A database that other processes can share with the test, and a way to kill them mid-work.

pytest-django's SQLite test database lives in this process's memory and its PostgreSQL one is
wrapped in a transaction: neither is visible to a second process. :func:`scratch` copies the
migrated test database (SQLite: the backup API into a file; PostgreSQL: ``CREATE DATABASE …
TEMPLATE``), points this process's default connection at the copy for the length of the test,
and gives the environment that points a child process at the same database, media folder and
Huey file. The child is :mod:`shegong.tests.faults_child`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.db.utils import load_backend

from shegong.accounts.models import User
from shegong.devices.models import (
    ActionKind,
    Alarm,
    AlarmAction,
    Device,
    DeviceKind,
    Severity,
    Vendor,
)
from shegong.factories import PersonFactory

ROOT = Path(__file__).resolve().parents[2]
PAUSE_TIMEOUT = 90


@dataclass
class Scratch:
    vendor: str
    env: dict[str, str]
    var_dir: Path
    pause_dir: Path

    def child(self, scenario: str, **args: Any) -> subprocess.Popen:
        """Start the child process on ``scenario``; it prints its result as JSON."""
        # stderr goes to a file: a pipe nobody reads until the end could fill up and stall a
        # long-running child (the consumer logs every task).
        log = open(self.pause_dir.parent / f"{scenario}-{time.monotonic_ns()}.log", "w+")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "shegong.tests.faults_child", scenario, json.dumps(args)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        process.log = log  # type: ignore[attr-defined]
        return process

    @staticmethod
    def errors(process: subprocess.Popen) -> str:
        """The end of what the child wrote to stderr."""
        process.log.seek(0)  # type: ignore[attr-defined]
        return process.log.read()[-5000:]  # type: ignore[attr-defined]

    def run(self, scenario: str, timeout: float = 120, **args: Any) -> dict[str, Any]:
        """Run ``scenario`` to the end and return its result."""
        process = self.child(scenario, **args)
        out, _err = process.communicate(timeout=timeout)
        assert process.returncode == 0, self.errors(process)
        return json.loads(out.strip().splitlines()[-1])

    def kill_at(self, scenario: str, pause: str, **args: Any) -> None:
        """Run ``scenario`` until it reaches the stop point ``pause``, then SIGKILL it."""
        process = self.child(scenario, pause=pause, **args)
        self.wait_and_kill(process, pause)

    def wait_and_kill(self, process: subprocess.Popen, pause: str) -> None:
        ready = self.pause_dir / f"{pause}.ready"
        deadline = time.monotonic() + PAUSE_TIMEOUT
        while not ready.exists():
            if process.poll() is not None:
                process.communicate()
                pytest.fail(f"the child ended before {pause}: {self.errors(process)}")
            if time.monotonic() > deadline:
                process.kill()
                process.communicate()
                pytest.fail(f"the child never reached {pause}: {self.errors(process)}")
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL
        ready.unlink()


def _pg_admin(settings_dict: dict[str, Any]):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        autocommit=True,
    )


def _pg_url(settings_dict: dict[str, Any], name: str) -> str:
    user = settings_dict["USER"] or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgresql://{user}{password}@{host}{port}/{name}"


@pytest.fixture
def scratch(django_db_setup, django_db_blocker, settings, tmp_path) -> Iterator[Scratch]:
    """A committed database shared with child processes; see the module docstring."""
    var_dir = tmp_path / "var"
    pause_dir = tmp_path / "pause"
    var_dir.mkdir()
    pause_dir.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "HUEY_IMMEDIATE", "DATABASE_URL", "PYTEST_XDIST_WORKER"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shegong.settings",
        SHEGONG_TESTING="1",
        SHEGONG_VAR_DIR=str(var_dir),
        FAULTS_PAUSE_DIR=str(pause_dir),
        PYTHONPATH=str(ROOT),
    )
    with django_db_blocker.unblock():
        source = connections["default"]
        settings_dict = dict(source.settings_dict)
        if source.vendor == "sqlite":
            path = tmp_path / "shared.sqlite3"
            source.ensure_connection()
            copy = sqlite3.connect(path)
            source.connection.backup(copy)
            copy.close()
            settings_dict.update(NAME=str(path), OPTIONS=dict(django_settings.SQLITE_OPTIONS))
            env["DATABASE_URL"] = f"sqlite:///{path}"
        else:
            template = settings_dict["NAME"]
            name = f"{template}_faults"[:63]
            source.close()  # a template database must have no other session
            with _pg_admin(settings_dict) as admin:
                # Nor an idle one that an earlier test's thread left open (a live server's, a
                # writer thread's): those threads are gone, their sessions only hold it up.
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [template],
                )
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            settings_dict["NAME"] = name
            env["DATABASE_URL"] = _pg_url(settings_dict, name)
        settings_dict["CONN_MAX_AGE"] = 0
        shared = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
        connections["default"] = shared
        settings.MEDIA_ROOT = var_dir / "media"
        try:
            yield Scratch(shared.vendor, env, var_dir, pause_dir)
        finally:
            shared.close()
            connections["default"] = source
            if shared.vendor == "postgresql":
                with _pg_admin(settings_dict) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


def media_files(scratch: Scratch) -> list[str]:
    """Every file under the media folder, relative to it."""
    media = scratch.var_dir / "media"
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def table_counts(*models: Any) -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in models}


def new_alarm(vendor: Vendor, village, n: int, *, by: User, raised: dt.datetime) -> Alarm:
    person = PersonFactory(region=village, name=f"老人{n}")
    device = Device.objects.create(
        vendor=vendor, serial=f"SOS-{n}", kind=DeviceKind.SOS_BUTTON, person=person, bound_by=by
    )
    alarm = Alarm.objects.create(
        person=person,
        device=device,
        kind="sos",
        severity=Severity.CRITICAL,
        raised_at=raised,
        last_event_at=raised,
        ack_deadline=raised + dt.timedelta(minutes=5),
    )
    AlarmAction.objects.create(alarm=alarm, kind=ActionKind.RAISED, tier=alarm.tier, at=raised)
    return alarm
