"""The region of the person on each alarm and service order (``region_code``), copied by
triggers, so that the dashboard finds an area's alarms and orders of a period by one index
range — not by going through every person of the area, nor through every alarm of the city
in the period. Filled here from the people.

The copy is exact at every commit, whatever writes it: an alarm or order inserted (ORM, bulk
or raw SQL), given another person, or saved from a stale instance, and a person moved to
another region. SQLite: AFTER triggers that correct the row; PostgreSQL: a BEFORE trigger that
sets it, and an AFTER trigger on the people.
"""

from importlib import import_module

from django.db import migrations

first = import_module("shegong.dashboard.migrations.0001_table_generation")

# ruff: noqa: S608 — the SQL is built from the constant table names below, never from input.

TABLES = ("devices_alarm", "elderly_serviceorder")
OF_PERSON = "(SELECT region_id FROM people_person WHERE id = NEW.person_id)"


def _sqlite(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_region_insert AFTER INSERT ON {table}
        WHEN NEW.region_code IS NOT {OF_PERSON}
        BEGIN UPDATE {table} SET region_code = {OF_PERSON} WHERE id = NEW.id; END""",
        f"""CREATE TRIGGER {table}_region_update AFTER UPDATE OF person_id, region_code ON {table}
        WHEN NEW.region_code IS NOT {OF_PERSON}
        BEGIN UPDATE {table} SET region_code = {OF_PERSON} WHERE id = NEW.id; END""",
        f"""CREATE TRIGGER {table}_region_person AFTER UPDATE OF region_id ON people_person
        WHEN OLD.region_id IS NOT NEW.region_id
        BEGIN UPDATE {table} SET region_code = NEW.region_id WHERE person_id = NEW.id; END""",
    ]


def _sqlite_drop(table: str) -> list[str]:
    events = ("insert", "update", "person")
    return [f"DROP TRIGGER IF EXISTS {table}_region_{event}" for event in events]


PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION shegong_region_code() RETURNS trigger AS $$
    BEGIN
        NEW.region_code := COALESCE({OF_PERSON}, '');
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION shegong_region_code_person() RETURNS trigger AS $$
    BEGIN
        UPDATE devices_alarm SET region_code = NEW.region_id WHERE person_id = NEW.id;
        UPDATE elderly_serviceorder SET region_code = NEW.region_id WHERE person_id = NEW.id;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
]


def _pg(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_region BEFORE INSERT OR UPDATE OF person_id, region_code
        ON {table} FOR EACH ROW EXECUTE FUNCTION shegong_region_code()""",
    ]


PG_PERSON = """CREATE TRIGGER shegong_region_code AFTER UPDATE OF region_id ON people_person
    FOR EACH ROW WHEN (OLD.region_id IS DISTINCT FROM NEW.region_id)
    EXECUTE FUNCTION shegong_region_code_person()"""
PG_DROP = [
    "DROP TRIGGER IF EXISTS shegong_region_code ON people_person",
    *(f"DROP TRIGGER IF EXISTS {table}_region ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS shegong_region_code_person()",
    "DROP FUNCTION IF EXISTS shegong_region_code()",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no region code triggers for {vendor}")
    # Adding the column made SQLite copy both tables into new ones, without their triggers:
    # their generation triggers (migration 0001) come back first.
    first.drop_triggers(apps, schema_editor, tables=list(TABLES))
    first.create_triggers(apps, schema_editor, tables=list(TABLES))
    for table in TABLES:
        schema_editor.execute(
            f"UPDATE {table} SET region_code = COALESCE("
            f"(SELECT region_id FROM people_person WHERE id = {table}.person_id), '')"
        )
    if vendor == "sqlite":
        statements = [statement for table in TABLES for statement in _sqlite(table)]
    else:
        statements = [*PG_FUNCTIONS, *(s for table in TABLES for s in _pg(table)), PG_PERSON]
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [statement for table in TABLES for statement in _sqlite_drop(table)]
    else:
        statements = PG_DROP
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0008_person_changes"),
        ("devices", "0004_region_code"),
        ("elderly", "0005_region_code"),
    ]

    operations = [migrations.RunPython(create, drop)]
