"""A person's row raises its table's generation only when a counted column changes (its region,
date of birth or status) or the row comes or goes: correcting a phone number or an address no
longer recounts every figure that finds its region through the person."""

from importlib import import_module

from django.db import migrations

first = import_module("shegong.dashboard.migrations.0001_table_generation")

TABLE = "people_person"
COLUMNS = ["region_id", "birth_date", "status"]


def only_counted_columns(apps, schema_editor):
    first.drop_triggers(apps, schema_editor, tables=[TABLE])
    first.UPDATE_OF[TABLE] = COLUMNS
    try:
        first.create_triggers(apps, schema_editor, tables=[TABLE])
    finally:
        del first.UPDATE_OF[TABLE]


def every_column(apps, schema_editor):
    first.drop_triggers(apps, schema_editor, tables=[TABLE])
    first.create_triggers(apps, schema_editor, tables=[TABLE])


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_table_generation")]

    operations = [migrations.RunPython(only_counted_columns, every_column)]
