"""Backups: a snapshot restores into a fresh database row for row; damaged files, wrong keys and
occupied targets are refused and change nothing; the nightly job keeps the newest few.

The backup must see committed data (SQLite's backup API and pg_dump read what other connections
see), so these tests commit: ``transaction=True``. The restore into a fresh database runs
``manage.py restore`` in a child process pointed at it, as an operator would.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from huey.contrib.djhuey import HUEY

from shegong.accounts.models import Programme
from shegong.casework import services as casework
from shegong.casework.models import VisitMode
from shegong.factories import PersonFactory, born_years_ago
from shegong.ops import backup_tasks
from shegong.ops.backup import backup_create
from shegong.ops.sealed import CHUNK, HEADER, TAG, SealedReader, SealedWriter, SealError
from shegong.people.models import ImportJob

# The backup reads through its own connection (or pg_dump's): the data must be committed.
committed = pytest.mark.django_db(transaction=True)

UPLOAD = "花名册 2024.xlsx".encode() + os.urandom(3000)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SHEGONG_BACKUP_DIR = tmp_path / "backups"
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def world(regions, village_director):
    """People, a case, a visit and an uploaded roster: one row or more in the main tables."""
    child = PersonFactory(region=regions.village, name="李小花", birth_date=born_years_ago(9))
    PersonFactory.create_batch(3, region=regions.sibling_village)
    case = casework.case_open(
        by=village_director, person=child, programme=Programme.MINORS, reason="重点关注"
    )
    casework.visit_record(
        by=village_director,
        person=child,
        programme=Programme.MINORS,
        visited_on=dt.date.today(),
        mode=VisitMode.HOME,
        observations="家中整洁",
    )
    job = ImportJob.objects.create(
        region=regions.village,
        file=SimpleUploadedFile("花名册.xlsx", UPLOAD),
        original_name="花名册.xlsx",
        created_by=village_director,
    )
    return case, job


# ------------------------------------------------------------------------- fresh databases


@dataclass
class Fresh:
    """An empty database (and an empty var folder for its uploads) for ``manage.py restore``."""

    var_dir: Path
    url: str
    sqlite_path: Path | None = None
    pg_name: str | None = None


def _pg_conninfo(name: str) -> dict[str, Any]:
    params = connection.settings_dict
    info = {
        "dbname": name,
        "user": params["USER"],
        "password": params["PASSWORD"],
        "host": params["HOST"],
        "port": params["PORT"],
    }
    return {key: value for key, value in info.items() if value}


@pytest.fixture
def fresh(tmp_path) -> Iterator[Fresh]:
    var_dir = tmp_path / "restored"
    var_dir.mkdir()
    if connection.vendor == "sqlite":
        path = var_dir / "shegong.sqlite3"
        yield Fresh(var_dir=var_dir, url=f"sqlite:///{path}", sqlite_path=path)
        return
    import psycopg

    name = f"shegong_restore_{secrets.token_hex(4)}"
    admin = _pg_conninfo("postgres")
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    p = connection.settings_dict
    auth = p["USER"] + (f":{p['PASSWORD']}" if p["PASSWORD"] else "")
    url = f"postgresql://{auth}@{p['HOST'] or '127.0.0.1'}:{p['PORT'] or 5432}/{name}"
    try:
        yield Fresh(var_dir=var_dir, url=url, pg_name=name)
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_restore(fresh: Fresh, snapshot: Path, *, key: str | None = None):
    env = {
        **os.environ,
        "DATABASE_URL": fresh.url,
        "SHEGONG_VAR_DIR": str(fresh.var_dir),
        "SHEGONG_TESTING": "1",
        "HUEY_IMMEDIATE": "1",
        "SHEGONG_BACKUP_KEY": key or settings.BACKUP_KEY,
        "LANGUAGE": "en",
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "restore", str(snapshot)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


# ------------------------------------------------------------------------- reading every row


class Reader:
    """Raw rows of every table, read the same way on both sides so that they compare equal."""

    def __init__(self, execute) -> None:
        self.execute = execute

    def tables(self) -> list[str]:
        if connection.vendor == "sqlite":
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        else:
            sql = (
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " ORDER BY tablename"
            )
        return [name for (name,) in self.execute(sql)]

    def schema(self) -> list[tuple]:
        """Tables, indexes and the dashboard's triggers must come back too."""
        if connection.vendor == "sqlite":
            return sorted(self.execute("SELECT type, name, sql FROM sqlite_master"))
        return sorted(
            self.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            )
            + self.execute(
                "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()"
            )
        )

    def rows(self, table: str) -> list[tuple]:
        return sorted(self.execute(f'SELECT * FROM "{table}"'), key=repr)  # noqa: S608


@pytest.fixture
def source() -> Iterator[Reader]:
    """The test database, through a raw connection of its own (only committed rows)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection  # in memory: only this connection reaches it
        yield Reader(lambda sql: raw.execute(sql).fetchall())
        return
    import psycopg

    with psycopg.connect(**_pg_conninfo(connection.settings_dict["NAME"])) as raw:
        yield Reader(lambda sql: raw.execute(sql).fetchall())
        raw.rollback()


def restored(fresh: Fresh):
    if fresh.sqlite_path is not None:
        # Django's own type detection, as on the source side.
        raw = sqlite3.connect(
            fresh.sqlite_path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
        )
        return raw, Reader(lambda sql: raw.execute(sql).fetchall())
    import psycopg

    raw = psycopg.connect(**_pg_conninfo(fresh.pg_name))
    return raw, Reader(lambda sql: raw.execute(sql).fetchall())


def database_rows(reader: Reader) -> dict[str, list[tuple]]:
    return {table: reader.rows(table) for table in reader.tables()}


def media_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# ------------------------------------------------------------------------- tests


@committed
def test_a_backup_restores_every_row_and_file_into_a_fresh_database(world, source, fresh):
    case, job = world
    result = backup_create()
    assert result.path.parent == settings.SHEGONG_BACKUP_DIR
    assert result.path.name.startswith("shegong-") and result.path.suffix == ".backup"
    manifest = result.manifest
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["people_person"] == 4
    assert manifest["tables"]["casework_case"] == 1
    assert manifest["tables"]["casework_visit"] == 1
    assert "0001_initial" in manifest["migrations"]["people"]
    assert f"media/{job.file.name}" in manifest["members"]
    # Encrypted: neither names nor the uploaded file can be read in it.
    raw = result.path.read_bytes()
    assert "李小花".encode() not in raw and UPLOAD[:40] not in raw and b"CREATE TABLE" not in raw

    done = run_restore(fresh, result.path)

    assert done.returncode == 0, done.stderr
    conn, copy = restored(fresh)
    try:
        expected = database_rows(source)
        got = database_rows(copy)
        assert sorted(got) == sorted(expected)
        for table, rows in expected.items():
            assert got[table] == rows, table
        assert copy.schema() == source.schema()
    finally:
        conn.close()
    media = media_files(fresh.var_dir / "media")
    assert media == media_files(Path(settings.MEDIA_ROOT))
    assert media[job.file.name] == UPLOAD


@committed
def test_a_tampered_file_restores_nothing_into_a_fresh_database(world, fresh):
    snapshot = backup_create().path
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0x01
    snapshot.write_bytes(bytes(data))

    done = run_restore(fresh, snapshot)

    assert done.returncode == 1
    # The command speaks the site's language, Chinese first.
    assert "备份文件已损坏、不完整或被篡改" in done.stderr
    assert media_files(fresh.var_dir / "media") == {}
    conn, copy = restored(fresh)
    try:
        assert copy.tables() == []
    finally:
        conn.close()


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        return counts


@committed
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[:100] + bytes([d[100] ^ 0x80]) + d[101:], "has been altered"),
        (lambda d: d[:-1], "cut off"),
        (lambda d: b"PK\x03\x04" + d[4:], "not a shegong backup file"),
    ],
    ids=["flipped-bit", "cut-off", "not-a-backup"],
)
def test_a_damaged_file_is_refused_and_changes_nothing(world, damage, message):
    snapshot = backup_create().path
    snapshot.write_bytes(damage(snapshot.read_bytes()))
    before, files_before = _counts(), media_files(Path(settings.MEDIA_ROOT))

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(snapshot))

    assert _counts() == before
    assert media_files(Path(settings.MEDIA_ROOT)) == files_before


@committed
def test_a_wrong_key_is_refused_as_such(world, settings):
    snapshot = backup_create().path
    settings.BACKUP_KEY = "another-key-altogether"
    before = _counts()

    with pytest.raises(CommandError, match="backup key does not open this file"):
        call_command("restore", str(snapshot))

    assert _counts() == before


@committed
def test_restore_refuses_a_database_that_holds_data(world):
    snapshot = backup_create().path
    ImportJob.objects.all().delete()  # the database differs from the snapshot now
    before, files_before = _counts(), media_files(Path(settings.MEDIA_ROOT))

    with pytest.raises(CommandError, match="target database is not empty"):
        call_command("restore", str(snapshot))

    assert _counts() == before
    assert media_files(Path(settings.MEDIA_ROOT)) == files_before


@committed
def test_restore_refuses_an_uploads_folder_that_holds_files(regions, fresh):
    snapshot = backup_create().path
    (fresh.var_dir / "media" / "imports").mkdir(parents=True)
    (fresh.var_dir / "media" / "imports" / "old.xlsx").write_bytes(b"old")

    done = run_restore(fresh, snapshot)

    assert done.returncode == 1
    assert "上传文件目录" in done.stderr and "不为空" in done.stderr
    conn, copy = restored(fresh)
    try:
        assert copy.tables() == []
    finally:
        conn.close()


def test_backup_refuses_without_a_key(settings):
    settings.BACKUP_KEY = ""

    with pytest.raises(CommandError, match="SHEGONG_BACKUP_KEY is not set"):
        call_command("backup")

    assert not settings.SHEGONG_BACKUP_DIR.exists() or not any(
        settings.SHEGONG_BACKUP_DIR.iterdir()
    )


def test_backup_refuses_the_field_key(settings):
    settings.BACKUP_KEY = settings.FIELD_KEY

    with pytest.raises(CommandError, match="must differ from SECRET_KEY and from SHEGONG_FIELD"):
        call_command("backup")


@committed
def test_backup_command_writes_into_the_output_folder(world, tmp_path):
    call_command("backup", "--output", str(tmp_path / "elsewhere"))

    assert len(list((tmp_path / "elsewhere").glob("shegong-*.backup"))) == 1


@committed
def test_the_nightly_backup_keeps_the_newest_snapshots(world, settings):
    settings.SHEGONG_BACKUP_KEEP = 2

    made = [Path(backup_tasks.nightly_backup.call_local()) for _ in range(3)]

    kept = sorted(settings.SHEGONG_BACKUP_DIR.glob("shegong-*.backup"))
    assert kept == sorted(made[1:])
    assert not made[0].exists()
    # Nothing else is left behind: no half-written file, no scratch folder.
    assert sorted(p.name for p in settings.SHEGONG_BACKUP_DIR.iterdir()) == [p.name for p in kept]


@committed
def test_the_nightly_backup_skips_while_another_runs(world, settings):
    with HUEY.lock_task("ops-nightly-backup"):
        assert backup_tasks.nightly_backup.call_local() == ""

    assert not settings.SHEGONG_BACKUP_DIR.exists() or not any(
        settings.SHEGONG_BACKUP_DIR.glob("*.backup")
    )


def test_the_nightly_backup_runs_at_half_past_one_beijing_time():
    names = {task.name for task in HUEY.read_periodic(dt.datetime(2025, 3, 1, 17, 30))}
    assert "nightly_backup" in names
    names = {task.name for task in HUEY.read_periodic(dt.datetime(2025, 3, 1, 1, 30))}
    assert "nightly_backup" not in names


# ------------------------------------------------------------------------- the sealed stream


def _seal(data: bytes, key: str = "k") -> bytes:
    out = io.BytesIO()
    writer = SealedWriter(out, secret=key)
    writer.write(data)
    writer.finish()
    return out.getvalue()


def _open(sealed: bytes, key: str = "k") -> bytes:
    reader = SealedReader(io.BytesIO(sealed), secret=key)
    return b"".join(iter(lambda: reader.read(1 << 16), b""))


# Random bytes do not compress: several chunks.
BIG = os.urandom(3 * CHUNK + 5)


def test_a_sealed_stream_of_several_chunks_opens_whole():
    assert _open(_seal(BIG)) == BIG
    assert _open(_seal(b"")) == b""


def test_a_stream_cut_at_a_chunk_boundary_reads_as_cut_off():
    sealed = _seal(BIG)
    with pytest.raises(SealError, match="cut off"):
        _open(sealed[: HEADER.size + 2 * (CHUNK + TAG)])


def test_chunks_in_another_order_do_not_open():
    sealed = _seal(BIG)
    first = slice(HEADER.size, HEADER.size + CHUNK + TAG)
    second = slice(first.stop, first.stop + CHUNK + TAG)
    swapped = sealed[: first.start] + sealed[second] + sealed[first] + sealed[second.stop :]
    with pytest.raises(SealError, match="altered"):
        _open(swapped)


def test_an_altered_header_does_not_open():
    sealed = bytearray(_seal(b"data" * 100))
    sealed[HEADER.size - 1] ^= 0x01  # the chunk size: authenticated with every chunk
    with pytest.raises(SealError):
        _open(bytes(sealed))


def test_a_wrong_key_is_told_apart_from_damage():
    with pytest.raises(SealError, match="backup key does not open this file"):
        _open(_seal(b"data"), key="other")
