"""Copy a seeded SQLite bench database into a new PostgreSQL bench database, row for row.

Seeding 300,000 people (or a city of 3,000,000) takes tens of minutes; copying a seeded SQLite
set takes a few, and both engines then measure the same rows::

    .venv/bin/python bench/sqlite_to_pg.py --var-dir var/bench/dash300k \\
        --database-url postgresql://postgres@127.0.0.1:5432/shegong_bench_dash300k

The PostgreSQL database (name *bench*) is dropped and created, migrated by Django (schema,
triggers, functions), then every table is emptied and filled with COPY from the SQLite rows
with the triggers off (``session_replication_role = replica``: the copied tallies and table
generations are already exact), sequences are moved past the highest ids, and every table's
row count is compared. Bench data only: generated people, marked as such.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
BATCH = 20_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var-dir", required=True, help="SHEGONG_VAR_DIR of the SQLite set")
    parser.add_argument("--database-url", required=True, help="PostgreSQL database (*bench*)")
    return parser.parse_args()


def text(value: object, kind: str) -> str:
    """One value in COPY's text format, for a column of PostgreSQL type ``kind``."""
    if value is None:
        return "\\N"
    if kind == "bytea":
        return "\\\\x" + bytes(value).hex()
    if kind == "boolean":
        return "t" if value else "f"
    if kind == "interval" and isinstance(value, int):
        return f"{value} microseconds"  # Django's DurationField on SQLite
    if kind.startswith("timestamp") and isinstance(value, str) and "+" not in value[10:]:
        value += "+00"  # Django stores UTC without an offset on SQLite
    out = str(value)
    return out.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def main() -> int:
    args = parse_args()
    name = args.database_url.rsplit("/", 1)[-1]
    if "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: use a dedicated one named *bench*")
    server = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": args.database_url, "DEBUG": "1"}
    env["SHEGONG_VAR_DIR"] = str(Path(args.var_dir).resolve())
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    source = sqlite3.connect(Path(args.var_dir) / "shegong.sqlite3")
    started = time.perf_counter()
    copied = 0
    with psycopg.connect(args.database_url) as target:
        target.execute("SET session_replication_role = replica")
        target.execute("SET TIME ZONE 'UTC'")
        tables = [
            row[0]
            for row in target.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        target.execute(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
        )
        for table in tables:
            kinds = dict(
                target.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND table_name = %s",
                    [table],
                ).fetchall()
            )
            columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
            columns = [column for column in columns if column in kinds]
            if not columns:
                continue
            listed = ", ".join(f'"{column}"' for column in columns)
            rows = source.execute(f'SELECT {listed} FROM "{table}"')  # noqa: S608
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with target.cursor().copy(statement) as copy:
                while batch := rows.fetchmany(BATCH):
                    buffer = io.StringIO()
                    for row in batch:
                        buffer.write(
                            "\t".join(
                                text(value, kinds[column])
                                for value, column in zip(row, columns, strict=True)
                            )
                        )
                        buffer.write("\n")
                    copy.write(buffer.getvalue())
                    copied += len(batch)
            if "id" in columns:
                target.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1))"
                    f' FROM "{table}"',  # noqa: S608
                    [table],
                )
        target.commit()
        target.execute("ANALYZE")
        different = []
        for table in tables:
            mine = target.execute(
                sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            theirs = source.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            if mine != theirs:
                different.append((table, theirs, mine))
    seconds = time.perf_counter() - started
    print(f"copied {copied:,} rows of {len(tables)} tables in {seconds:.0f} s")
    if different:
        print(f"row counts differ: {different}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
