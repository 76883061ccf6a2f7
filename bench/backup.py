#!/usr/bin/env python
"""Benchmark: backup and restore of an existing data set, beside the bare copy of its database.

    .venv/bin/python bench/backup.py --var-dir var/bench/dash300k      # SQLite (+ its media/)
    .venv/bin/python bench/backup.py --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench

Backup = ``backup_create`` in this process (database snapshot, row counts, uploads, tar, zlib,
AES-GCM). Restore = ``backup_restore`` (what ``manage.py restore`` runs) in a child process into
a new, empty target: a new SQLite file in a scratch folder, or a new PostgreSQL database
``<name>_restore`` that is dropped afterwards. The source is only read. The floor = the
database copy alone: SQLite's backup API into a file, or ``pg_dump --format=custom``.
Prints one JSON document. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# What ``manage.py restore`` runs, with its own timing printed as JSON.
CHILD = """
import json, sys, django
django.setup()
from shegong.ops.restore import backup_restore
result = backup_restore(path=sys.argv[1])
print(json.dumps({"seconds": result.seconds, "rows": result.rows}))
"""


def setup_django(var_dir: Path, database_url: str | None) -> None:
    os.environ["SHEGONG_VAR_DIR"] = str(var_dir)
    os.environ["DEBUG"] = "0"
    os.environ["SHEGONG_DEMO"] = "1"  # allows the built-in dev keys without DEBUG
    os.environ.setdefault("SHEGONG_BACKUP_KEY", "bench-backup-key-" + "x" * 32)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shegong.settings"
    import django

    django.setup()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def floor(work: Path) -> dict:
    """The bare database copy, without counts, tar, compression or encryption."""
    import sqlite3

    from django.db import connection

    from shegong.ops.backup import pg_env, pg_tool

    started = time.monotonic()
    if connection.vendor == "sqlite":
        target = work / "floor.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        connection.connection.backup(copy)
        copy.close()
    else:
        target = work / "floor.pgdump"
        subprocess.run(  # noqa: S603
            [pg_tool("pg_dump"), "--format=custom", f"--file={target}"],
            env=pg_env(connection.settings_dict),
            check=True,
        )
    seconds = time.monotonic() - started
    size = target.stat().st_size
    target.unlink()
    return {
        "what": "sqlite backup API" if connection.vendor == "sqlite" else "pg_dump -Fc",
        "seconds": round(seconds, 2),
        "bytes": size,
    }


def restore(snapshot: Path, work: Path, database_url: str | None) -> dict:
    import psycopg

    var_dir = work / "restored"
    var_dir.mkdir()
    env = {**os.environ, "SHEGONG_VAR_DIR": str(var_dir), "PYTHONPATH": str(ROOT)}
    drop = None
    if database_url:
        base, name = database_url.rsplit("/", 1)
        target = f"{name}_restore"
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
            conn.execute(f'CREATE DATABASE "{target}"')
        env["DATABASE_URL"] = f"{base}/{target}"

        def drop() -> None:
            with psycopg.connect(base + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    else:
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'shegong.sqlite3'}"
    try:
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", CHILD, str(snapshot)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"restore failed:\n{done.stderr}")
        inside = json.loads(done.stdout.strip().splitlines()[-1])
        restored = var_dir / "shegong.sqlite3"
        return {
            "seconds": round(inside["seconds"], 2),
            "process_seconds": round(seconds, 2),  # with the child's Django start-up
            "database_bytes": restored.stat().st_size if restored.exists() else None,
        }
    finally:
        if drop is not None:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--var-dir", type=Path, help="SQLite data set: shegong.sqlite3 and media/")
    where.add_argument("--database-url", help="PostgreSQL data set (only read)")
    parser.add_argument("--media-var-dir", type=Path, help="with --database-url: its var dir")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the snapshot and the restore")
    args = parser.parse_args()

    var_dir = (args.var_dir or args.media_var_dir or ROOT / "var" / "bench" / "backup").resolve()
    if args.var_dir and not (var_dir / "shegong.sqlite3").exists():
        raise SystemExit(f"no shegong.sqlite3 in {var_dir}")
    setup_django(var_dir, args.database_url)
    from django.conf import settings
    from django.db import connection

    from shegong.ops.backup import backup_create

    work = Path(tempfile.mkdtemp(prefix="shegong-bench-backup-", dir=args.work))
    try:
        source_bytes = None
        if connection.vendor == "sqlite":
            db = Path(settings.DATABASES["default"]["NAME"])
            source_bytes = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
        log("floor: copying the database alone …")
        bare = floor(work)
        log("backup …")
        result = backup_create(output_dir=work / "backups")
        manifest = result.manifest
        log(f"backup: {result.size / 1e6:.1f} MB in {result.seconds:.1f} s; restore …")
        restored = restore(result.path, work, args.database_url)
        report = {
            "engine": connection.vendor,
            "source": {
                "database_bytes": source_bytes,
                "tables": len(manifest["tables"]),
                "rows": manifest["rows"],
                "people": manifest["tables"].get("people_person"),
                "visits": manifest["tables"].get("casework_visit"),
                "media_files": manifest["media_files"],
            },
            "floor": bare,
            "backup": {
                "seconds": round(result.seconds, 2),
                "bytes": result.size,
                "vs_database_copy": round(result.size / bare["bytes"], 3),
                "x_floor_time": round(result.seconds / max(bare["seconds"], 1e-6), 2),
            },
            "restore": restored,
        }
        if args.keep:
            report["kept"] = str(work)
        print(json.dumps(report, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
