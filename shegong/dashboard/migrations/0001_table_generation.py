"""The table generations and the triggers that raise them (see models.py).

SQLite: AFTER INSERT/UPDATE/DELETE row triggers in the writer's transaction (SQLite has one
writer at a time, so the counter row adds no contention). PostgreSQL: deferred constraint
triggers, so the counter rows are locked only at commit, after every other lock of the
transaction, under one transaction-level advisory lock (so no two commits can deadlock on
them), and at most once per transaction and table (a transaction-local setting remembers).
Tests never commit: they set the triggers immediate and raising on every row
(dashboard/tests/conftest.py).
"""

from django.db import migrations, models

# Tables the dashboard figures count; accounts_user only for is_active (not every login).
TABLES = [
    "regions_region",
    "regions_station",
    "accounts_membership",
    "accounts_user",
    "people_person",
    "people_personcategory",
    "children_childprofile",
    "elderly_elderlyprofile",
    "elderly_serviceorder",
    "casework_visit",
    "casework_case",
    "devices_alarm",
    "community_activity",
    "community_volunteer",
    "community_resourcelink",
    "community_assignment",
]
UPDATE_OF = {"accounts_user": ["is_active"]}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION dashboard_generation_bump() RETURNS trigger AS $$
DECLARE
    marker text := 'shegong.generation_' || TG_TABLE_NAME;
BEGIN
    IF current_setting(marker, true) = txid_current()::text
       AND current_setting('shegong.generation_each_row', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(marker, txid_current()::text, true);
    -- Commit-time row locks on several counters could deadlock two transactions that
    -- changed the same tables in another order: take them one transaction at a time.
    PERFORM pg_advisory_xact_lock(hashtext('shegong.dashboard_generation'));
    UPDATE dashboard_generation SET value = value + 1 WHERE "table" = TG_TABLE_NAME;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def _events(table: str, vendor: str) -> list[str]:
    columns = UPDATE_OF.get(table)
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    if vendor == "postgresql":
        return [f"INSERT OR {update} OR DELETE"]
    return ["INSERT", update, "DELETE"]


def create_triggers(apps, schema_editor, tables=TABLES):
    connection = schema_editor.connection
    TableGeneration = apps.get_model("dashboard", "TableGeneration")
    for table in tables:
        TableGeneration.objects.get_or_create(table=table)
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in tables:
            schema_editor.execute(
                f"CREATE CONSTRAINT TRIGGER dashboard_generation AFTER {_events(table, 'postgresql')[0]}"
                f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                " EXECUTE FUNCTION dashboard_generation_bump()"
            )
    elif connection.vendor == "sqlite":
        for table in tables:
            for n, event in enumerate(_events(table, "sqlite")):
                schema_editor.execute(
                    f"CREATE TRIGGER dashboard_generation_{table}_{n} AFTER {event} ON {table}"
                    " BEGIN UPDATE dashboard_generation SET value = value + 1"
                    f" WHERE \"table\" = '{table}'; END"
                )
    else:
        raise RuntimeError(f"no dashboard generation triggers for {connection.vendor}")


def drop_triggers(apps, schema_editor, tables=TABLES):
    connection = schema_editor.connection
    for table in tables:
        if connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS dashboard_generation ON {table}")
        else:
            for n in range(3):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS dashboard_generation_{table}_{n}")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("casework", "0001_initial"),
        ("children", "0001_initial"),
        ("community", "0001_initial"),
        ("devices", "0002_lean_event_indexes"),
        ("elderly", "0003_elderly_visits"),
        ("people", "0006_leaner_person_indexes"),
        ("regions", "0002_station_wecom_webhook"),
    ]

    operations = [
        migrations.CreateModel(
            name="TableGeneration",
            fields=[
                ("table", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"db_table": "dashboard_generation"},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
