"""Restoring a snapshot (see backup.py for what one holds).

Everything that can be checked is checked before anything is written: the key, every checksum,
the engine, the migrations this code knows, the emptiness of the target database and uploads
folder. Then the database is loaded in one transaction, the uploads put back, and every table
recounted against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from .backup import (
    COPY_BLOCK,
    MANIFEST,
    MANIFEST_FORMAT,
    MEDIA_PREFIX,
    BackupError,
    backup_key,
    count_rows,
    database_engine,
    pg_env,
    pg_tables,
    pg_tool,
    run_tool,
    sqlite_tables,
)
from .sealed import SealedReader, SealError

# Tables that `migrate` itself fills: a database holding rows only in these is still "empty".
MIGRATE_TABLES = frozenset(
    {"django_migrations", "django_content_type", "auth_permission", "dashboard_generation"}
)


@dataclass
class RestoreResult:
    engine: str
    tables: int
    rows: int
    media_files: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def _member_path(root: Path, name: str) -> Path:
    """Where a member is unpacked; anything but a plain relative path is refused."""
    parts = PurePosixPath(name).parts
    if (
        not parts
        or name.startswith("/")
        or any(part in {"", ".", ".."} for part in parts)
        or "\\" in name
        or not (name == MANIFEST or name.startswith(("database/", MEDIA_PREFIX)))
    ):
        raise BackupError(_("The backup file holds an unexpected entry: %(name)s") % {"name": name})
    return root.joinpath(*parts)


def _unpack(path: Path, key: str, into: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Decrypt and unpack into ``into``; returns the manifest and the SHA-256 of each member."""
    digests: dict[str, str] = {}
    try:
        with path.open("rb") as source:
            reader = SealedReader(source, secret=key)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for info in tar:
                    if not info.isfile():
                        raise BackupError(
                            _("The backup file holds an unexpected entry: %(name)s")
                            % {"name": info.name}
                        )
                    target = _member_path(into, info.name)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    with tar.extractfile(info) as data, target.open("wb") as out:
                        while block := data.read(COPY_BLOCK):
                            digest.update(block)
                            out.write(block)
                    digests[info.name] = digest.hexdigest()
            # The tar end marker may sit before the last chunk: read to the end, so that a
            # cut-off or altered tail is noticed too.
            while reader.read(COPY_BLOCK):
                pass
    except FileNotFoundError:
        raise BackupError(_("No such backup file: %(path)s") % {"path": path}) from None
    except SealError as error:
        raise BackupError(_("%(reason)s Nothing was changed.") % {"reason": error}) from None
    except tarfile.TarError:
        reason = _("The backup file is damaged, cut off or has been altered.")
        raise BackupError(_("%(reason)s Nothing was changed.") % {"reason": reason}) from None
    if MANIFEST not in digests:
        raise BackupError(_("The backup file has no manifest: it is incomplete."))
    manifest = json.loads((into / MANIFEST).read_text())
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("app") != "shegong":
        raise BackupError(_("This backup file was written by a newer version of shegong."))
    return manifest, digests


def _verify(manifest: dict[str, Any], digests: dict[str, str]) -> None:
    listed = manifest["members"]
    problems = [name for name, entry in listed.items() if digests.get(name) != entry["sha256"]]
    problems += [name for name in digests if name != MANIFEST and name not in listed]
    if problems:
        raise BackupError(
            _("Checksums do not match for: %(names)s. The backup was not restored.")
            % {"names": ", ".join(sorted(problems)[:10])}
        )


def _unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]


def _rows_outside_migrate(using: str) -> dict[str, int]:
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)

        def execute(sql: str) -> list[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        counts = count_rows(execute, [t for t in tables if t not in MIGRATE_TABLES])
    return {table: n for table, n in counts.items() if n}


def _target_counts(using: str) -> dict[str, int]:
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = sqlite_tables(connection.connection) if connection.vendor == "sqlite" else None
        if tables is None:
            tables = pg_tables(cursor)

        def execute(sql: str) -> list[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        return count_rows(execute, tables)


def _sqlite_load(using: str, snapshot: Path) -> None:
    """The backup API again, from the snapshot into the target: page by page under the
    target's own lock, replacing whatever (empty) schema was there in one transaction."""
    connection = connections[using]
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError(_("Cannot restore into an in-memory database."))
    connection.close()
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(snapshot)
    target = sqlite3.connect(name)
    try:
        # WAL refuses a page size change; an empty target may be rewritten at any page size.
        target.execute("PRAGMA journal_mode=DELETE")
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _pg_load(using: str, dump: Path, *, has_tables: bool) -> None:
    connection = connections[using]
    connection.close()
    command = [
        pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]
    if has_tables:  # a migrated but empty database: its empty tables make way
        command += ["--clean", "--if-exists"]
    command += [f"--dbname={connection.settings_dict['NAME']}", str(dump)]
    run_tool(command, pg_env(connection.settings_dict))


def backup_restore(*, path: Path, using: str = "default") -> RestoreResult:
    """Restore a snapshot into an empty database and an empty MEDIA_ROOT.

    Everything that can be checked is checked before anything is written: the key, every
    checksum, the engine, the migrations this code knows, the emptiness of the target. After
    loading, every table is recounted against the manifest."""
    started = time.monotonic()
    key = backup_key()
    engine = database_engine(using)
    media_root = Path(settings.MEDIA_ROOT)
    scratch = Path(settings.VAR_DIR)
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".restore-") as work:
        root = Path(work)
        manifest, digests = _unpack(Path(path), key, root)
        _verify(manifest, digests)
        if manifest["engine"] != engine:
            raise BackupError(
                _(
                    "This backup was made on %(source)s and cannot be restored into "
                    "%(target)s: restore it into a database of the same kind."
                )
                % {"source": manifest["engine"], "target": engine}
            )
        unknown = _unknown_migrations(manifest)
        if unknown:
            raise BackupError(
                _(
                    "This backup was made by a newer version of shegong (unknown migrations: "
                    "%(names)s). Install that version, then restore."
                )
                % {"names": ", ".join(unknown[:5])}
            )
        occupied = _rows_outside_migrate(using)
        if occupied:
            raise BackupError(
                _(
                    "The target database is not empty (%(tables)s hold rows). Restore only into "
                    "a new, empty database; nothing was changed."
                )
                % {"tables": ", ".join(sorted(occupied)[:5])}
            )
        media = [name for name in manifest["members"] if name.startswith(MEDIA_PREFIX)]
        if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")):
            raise BackupError(
                _(
                    "The uploads folder %(path)s is not empty. Restore only into an empty one; "
                    "nothing was changed."
                )
                % {"path": media_root}
            )
        has_tables = bool(connections[using].introspection.table_names())
        database = root.joinpath(*PurePosixPath(manifest["database"]).parts)
        if engine == "sqlite":
            _sqlite_load(using, database)
        else:
            _pg_load(using, database, has_tables=has_tables)
        for name in media:
            destination = media_root.joinpath(*PurePosixPath(name[len(MEDIA_PREFIX) :]).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(root.joinpath(*PurePosixPath(name).parts), destination)
    counts = _target_counts(using)
    expected = manifest["tables"]
    wrong = [
        f"{table}: {expected.get(table, 0)} → {counts.get(table, 0)}"
        for table in sorted(set(expected) | set(counts))
        if expected.get(table, 0) != counts.get(table, 0)
    ]
    if wrong:
        raise BackupError(
            _(
                "The restored database does not match the backup's row counts: %(tables)s. "
                "Do not use it: drop it and restore again."
            )
            % {"tables": "; ".join(wrong[:20])}
        )
    warnings = [
        _("Table %(table)s is not in the backup (empty here).") % {"table": table}
        for table in sorted(set(counts) - set(expected))
    ]
    return RestoreResult(
        engine=engine,
        tables=len(expected),
        rows=sum(expected.values()),
        media_files=len(media),
        seconds=time.monotonic() - started,
        warnings=warnings,
    )
