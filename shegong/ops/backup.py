"""Backups: one consistent, encrypted snapshot file of the database and the uploaded files.

A snapshot is a tar archive sealed with ``SHEGONG_BACKUP_KEY`` (see sealed.py) holding

- ``database/shegong.sqlite3`` (SQLite's online backup API: a consistent copy while the app
  writes) or ``database/shegong.pgdump`` (``pg_dump`` in custom format, run inside an exported
  snapshot so that the row counts below describe exactly what it dumped);
- ``media/…``: every file under MEDIA_ROOT, copied after the database (a file uploaded after the
  database snapshot is an unreferenced extra, never a missing file);
- ``manifest.json`` last: format, time, engine, applied migrations per app, rows per table, and
  the SHA-256 and size of every other member.

Restoring (restore.py) checks all of it before touching anything, refuses a target that holds
data, then loads, copies the files back and recounts every table against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from .sealed import SealedWriter

MANIFEST_FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/shegong.sqlite3"
PGDUMP_MEMBER = "database/shegong.pgdump"
MEDIA_PREFIX = "media/"
FILE_PATTERN = "shegong-*.backup"
COPY_BLOCK = 1 << 20
# libpq reads these from the environment; pg_dump and pg_restore get the password this way
# rather than on a command line that every user of the machine can read.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass
class BackupResult:
    path: Path
    size: int
    seconds: float
    manifest: dict[str, Any]


def backup_key() -> str:
    key = settings.BACKUP_KEY
    if not key:
        raise BackupError(
            _(
                "SHEGONG_BACKUP_KEY is not set. Set it to a long random secret (and keep a copy "
                "away from the backups) before making or restoring a backup."
            )
        )
    if key in {settings.SECRET_KEY, settings.FIELD_KEY}:
        raise BackupError(
            _("SHEGONG_BACKUP_KEY must differ from SECRET_KEY and from SHEGONG_FIELD_KEY.")
        )
    return key


def database_engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(_("Backups support SQLite and PostgreSQL only."))
    return vendor


# ---------------------------------------------------------------------------------- database


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    return [name for (name,) in rows]


def pg_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"
    )
    return [name for (name,) in cursor.fetchall()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_rows(execute: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        counts[table] = execute(f"SELECT COUNT(*) FROM {_quote(table)}")[0][0]  # noqa: S608
    return counts


def _migrations(execute: Any, tables: list[str]) -> dict[str, list[str]]:
    if "django_migrations" not in tables:
        return {}
    state: dict[str, list[str]] = {}
    for app, name in execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
        state.setdefault(app, []).append(name)
    return state


def _sqlite_snapshot(using: str, into: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """One step of the online backup API copies every page under one read transaction: with WAL
    the app keeps writing meanwhile, and the copy is the database as of that instant."""
    connection = connections[using]
    connection.ensure_connection()
    target = sqlite3.connect(into)
    try:
        connection.connection.backup(target)
        # One self-contained file: no -wal beside it to forget.
        target.execute("PRAGMA journal_mode=DELETE")

        def execute(sql: str) -> list[tuple]:
            return target.execute(sql).fetchall()

        tables = sqlite_tables(target)
        return count_rows(execute, tables), _migrations(execute, tables)
    finally:
        target.close()


def pg_env(settings_dict: dict[str, Any], *, name: str | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGDATABASE": name or settings_dict["NAME"],
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
    }
    for option, variable in PG_OPTION_ENV.items():
        values[variable] = (settings_dict.get("OPTIONS") or {}).get(option)
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def pg_tool(name: str) -> str:
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(path).exists():
        raise BackupError(
            _("%(tool)s was not found: install the PostgreSQL client tools.") % {"tool": name}
        )
    return path


def run_tool(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": done.stderr.strip()[-2000:]}
        )


def _pg_snapshot(using: str, into: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """pg_dump runs inside a snapshot exported by our own REPEATABLE READ transaction, which
    also counts the rows and reads the migrations: all three see the same instant."""
    connection = connections[using]
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        cursor = raw.cursor()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()

        def execute(sql: str) -> list[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        # Compression off: the sealed stream compresses everything once.
        run_tool(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--compress=0",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={into}",
            ],
            pg_env(connection.settings_dict),
        )
        tables = pg_tables(cursor)
        return count_rows(execute, tables), _migrations(execute, tables)
    finally:
        raw.rollback()
        raw.close()


# ---------------------------------------------------------------------------------- backup


class _Hashing:
    """A read-only file wrapper that hashes what tarfile reads through it."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.sha256.update(data)
        return data


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield MEDIA_PREFIX + path.relative_to(root).as_posix(), path


def _add(tar: tarfile.TarFile, arcname: str, path: Path) -> dict[str, Any] | None:
    """Add one file, hashing it as it goes in; None when it vanished meanwhile (a deleted
    upload: the database snapshot may still name it, as it did at that instant)."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    with file:
        info = tar.gettarinfo(arcname=arcname, fileobj=file)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        hashing = _Hashing(file)
        tar.addfile(info, hashing)
    return {"sha256": hashing.sha256.hexdigest(), "size": info.size}


def _snapshot_name(directory: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = directory / f"shegong-{stamp}.backup"
    n = 2
    while path.exists():
        path = directory / f"shegong-{stamp}-{n}.backup"
        n += 1
    return path


def backup_create(*, output_dir: Path | None = None, using: str = "default") -> BackupResult:
    """Write one snapshot file into ``output_dir`` (SHEGONG_BACKUP_DIR by default).

    The file appears under its final name only when complete: it is written as ``….part``
    and renamed, so a crash or a full disk never leaves a snapshot that looks whole."""
    started = time.monotonic()
    key = backup_key()
    engine = database_engine(using)
    directory = Path(output_dir or settings.SHEGONG_BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    created_at = timezone.now()
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        if engine == "sqlite":
            member, dump = SQLITE_MEMBER, Path(work) / "shegong.sqlite3"
            tables, migrations = _sqlite_snapshot(using, dump)
        else:
            member, dump = PGDUMP_MEMBER, Path(work) / "shegong.pgdump"
            tables, migrations = _pg_snapshot(using, dump)
        path = _snapshot_name(directory)
        partial = path.with_name(path.name + ".part")
        members: dict[str, dict[str, Any]] = {}
        try:
            with partial.open("wb") as out:
                sealed = SealedWriter(out, secret=key)
                with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                    members[member] = _add(tar, member, dump)
                    for arcname, file in _media_files(Path(settings.MEDIA_ROOT)):
                        entry = _add(tar, arcname, file)
                        if entry is not None:
                            members[arcname] = entry
                    manifest = {
                        "format": MANIFEST_FORMAT,
                        "app": "shegong",
                        "created_at": created_at.isoformat(),
                        "engine": engine,
                        "database": member,
                        "migrations": migrations,
                        "tables": tables,
                        "rows": sum(tables.values()),
                        "media_files": len(members) - 1,
                        "members": members,
                    }
                    data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
                    tar.addfile(info, _BytesReader(data))
                sealed.finish()
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(
        path=path,
        size=path.stat().st_size,
        seconds=time.monotonic() - started,
        manifest=manifest,
    )


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


def backup_prune(*, directory: Path | None = None, keep: int | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` snapshots (SHEGONG_BACKUP_KEEP); returns the deleted.
    Half-written ``.part`` files older than a day (a run killed mid-way) go too."""
    directory = Path(directory or settings.SHEGONG_BACKUP_DIR)
    keep = max(1, settings.SHEGONG_BACKUP_KEEP if keep is None else keep)
    if not directory.is_dir():
        return []
    snapshots = sorted(directory.glob(FILE_PATTERN), key=lambda p: (p.stat().st_mtime_ns, p.name))
    doomed = snapshots[:-keep]
    cutoff = time.time() - 24 * 3600
    doomed += [p for p in directory.glob(FILE_PATTERN + ".part") if p.stat().st_mtime < cutoff]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
