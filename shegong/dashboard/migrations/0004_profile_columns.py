"""An elderly or child profile raises its table's generation only when a column the figures
count changes (or the row comes or goes): recording a visit moves the profile's next visit
date, which no figure counts, and must not recount the elderly and colour-card figures."""

from importlib import import_module

from django.db import migrations

first = import_module("shegong.dashboard.migrations.0001_table_generation")

COLUMNS = {
    "elderly_elderlyprofile": [
        "person_id",
        "living_situations",
        "cognitive_impairment",
        "level",
        "high_risk_until",
    ],
    "children_childprofile": ["person_id", "colour"],
}


def only_counted_columns(apps, schema_editor):
    first.drop_triggers(apps, schema_editor, tables=list(COLUMNS))
    first.UPDATE_OF.update(COLUMNS)
    try:
        first.create_triggers(apps, schema_editor, tables=list(COLUMNS))
    finally:
        for table in COLUMNS:
            del first.UPDATE_OF[table]


def every_column(apps, schema_editor):
    first.drop_triggers(apps, schema_editor, tables=list(COLUMNS))
    first.create_triggers(apps, schema_editor, tables=list(COLUMNS))


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0003_visit_day")]

    operations = [migrations.RunPython(only_counted_columns, every_column)]
