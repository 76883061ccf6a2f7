"""A person's row raises its table's generation only when a column the figures count really
changes value (region, date of birth, status) or the row is deleted — not when a person is
registered, nor when a form saves the row with those columns unchanged.

No figure counts people rows themselves: they are counted through their categories, files,
visits, alarms, orders and cases, each of which raises its own table's generation when it is
added. A new person therefore changes no figure, and registering people (or importing a
village roster) no longer recounts every figure that finds its region through the person.
Migration 0002 already limited updates to those columns, but an update that set them to the
same values (a whole-row save after correcting a phone number) still counted as a change.
"""

from importlib import import_module

from django.db import migrations

first = import_module("shegong.dashboard.migrations.0001_table_generation")
second = import_module("shegong.dashboard.migrations.0002_person_columns")

TABLE = "people_person"
COLUMNS = ["region_id", "birth_date", "status"]
# TABLE is the constant above, not input.
BUMP = f"UPDATE dashboard_generation SET value = value + 1 WHERE \"table\" = '{TABLE}';"  # noqa: S608


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in COLUMNS)


SQLITE = [
    # Numbered as migration 0001 numbers them (0: insert, 1: update, 2: delete).
    f"""CREATE TRIGGER dashboard_generation_{TABLE}_1 AFTER UPDATE OF {", ".join(COLUMNS)}
    ON {TABLE} WHEN {_changed("IS NOT")} BEGIN {BUMP} END""",
    f"CREATE TRIGGER dashboard_generation_{TABLE}_2 AFTER DELETE ON {TABLE} BEGIN {BUMP} END",
]
PG = [
    f"""CREATE CONSTRAINT TRIGGER dashboard_generation AFTER UPDATE OF {", ".join(COLUMNS)}
    ON {TABLE} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({_changed("IS DISTINCT FROM")})
    EXECUTE FUNCTION dashboard_generation_bump()""",
    # A DELETE trigger's condition cannot read NEW: its own trigger.
    f"""CREATE CONSTRAINT TRIGGER dashboard_generation_delete AFTER DELETE
    ON {TABLE} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION dashboard_generation_bump()""",
]


def _drop(apps, schema_editor):
    first.drop_triggers(apps, schema_editor, tables=[TABLE])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS dashboard_generation_delete ON {TABLE}")


def changes_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no dashboard generation triggers for {vendor}")
    _drop(apps, schema_editor)
    for statement in SQLITE if vendor == "sqlite" else PG:
        schema_editor.execute(statement)


def every_write_of_the_columns(apps, schema_editor):
    _drop(apps, schema_editor)
    second.only_counted_columns(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0007_visit_month")]

    operations = [migrations.RunPython(changes_only, every_write_of_the_columns)]
