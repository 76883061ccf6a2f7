"""Visits per region and month (models.VisitMonth), kept by triggers on the day tally
(dashboard_visit_day, itself kept by the triggers of migration 0003) and filled from it.

Every change of a day row — inserted, its count raised or lowered by an upsert or an update,
deleted — moves the same difference into its month's row, in the same transaction: the month
tally is the day tally summed, at every commit.
"""

from django.db import migrations, models

SQLITE_MONTH = "strftime('%Y-%m-01', {day})"


def _sqlite_add(row: str, sign: str) -> str:
    month = SQLITE_MONTH.format(day=f"{row}.day")
    if sign == "-":
        # Taking out only ever lowers an existing month row: when the month rows are gone
        # first (a whole-table delete, e.g. a test database's flush), nothing is left behind.
        return f"""UPDATE dashboard_visit_month SET visit_count = visit_count - {row}.visit_count
        WHERE region_id = {row}.region_id AND month = {month};"""
    return f"""INSERT INTO dashboard_visit_month (region_id, month, visit_count)
        VALUES ({row}.region_id, {month}, {row}.visit_count)
        ON CONFLICT (region_id, month) DO UPDATE
            SET visit_count = visit_count + excluded.visit_count;"""


SQLITE = [
    f"""CREATE TRIGGER dashboard_visit_month_insert AFTER INSERT ON dashboard_visit_day
    BEGIN
        {_sqlite_add("NEW", "")}
    END""",
    f"""CREATE TRIGGER dashboard_visit_month_update AFTER UPDATE ON dashboard_visit_day
    BEGIN
        {_sqlite_add("OLD", "-")}
        {_sqlite_add("NEW", "")}
    END""",
    f"""CREATE TRIGGER dashboard_visit_month_delete AFTER DELETE ON dashboard_visit_day
    BEGIN
        {_sqlite_add("OLD", "-")}
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_visit_month_insert",
    "DROP TRIGGER IF EXISTS dashboard_visit_month_update",
    "DROP TRIGGER IF EXISTS dashboard_visit_month_delete",
]

PG = [
    """CREATE OR REPLACE FUNCTION dashboard_visit_month_add(region text, on_day date, n integer)
    RETURNS void AS $$
    BEGIN
        IF n = 0 THEN
            RETURN;
        END IF;
        IF n < 0 THEN  -- only ever lowers an existing month row (see the SQLite triggers)
            UPDATE dashboard_visit_month SET visit_count = visit_count + n
            WHERE region_id = region AND month = date_trunc('month', on_day)::date;
            RETURN;
        END IF;
        INSERT INTO dashboard_visit_month (region_id, month, visit_count)
        VALUES (region, date_trunc('month', on_day)::date, n)
        ON CONFLICT (region_id, month) DO UPDATE
            SET visit_count = dashboard_visit_month.visit_count + EXCLUDED.visit_count;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION dashboard_visit_month_day() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM dashboard_visit_month_add(OLD.region_id, OLD.day, -OLD.visit_count);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            PERFORM dashboard_visit_month_add(NEW.region_id, NEW.day, NEW.visit_count);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER dashboard_visit_month AFTER INSERT OR UPDATE OR DELETE
    ON dashboard_visit_day FOR EACH ROW EXECUTE FUNCTION dashboard_visit_month_day()""",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_visit_month ON dashboard_visit_day",
    "DROP FUNCTION IF EXISTS dashboard_visit_month_day()",
    "DROP FUNCTION IF EXISTS dashboard_visit_month_add(text, date, integer)",
]


def _fill(vendor: str) -> str:
    month = SQLITE_MONTH.format(day="day") if vendor == "sqlite" else "date_trunc('month', day)"
    return f"""INSERT INTO dashboard_visit_month (region_id, month, visit_count)
    SELECT region_id, {month}, SUM(visit_count) FROM dashboard_visit_day
    GROUP BY region_id, {month}"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no visit tally triggers for {vendor}")
    for statement in SQLITE if vendor == "sqlite" else PG:
        schema_editor.execute(statement)
    schema_editor.execute(_fill(vendor))


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else PG_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0006_visit_day_covering")]

    operations = [
        migrations.CreateModel(
            name="VisitMonth",
            fields=[
                ("pk", models.CompositePrimaryKey("region_id", "month", blank=True, editable=False, primary_key=True, serialize=False)),
                ("region_id", models.CharField(max_length=12)),
                ("month", models.DateField()),
                ("visit_count", models.IntegerField(default=0)),
            ],
            options={
                "db_table": "dashboard_visit_month",
                "indexes": [models.Index(fields=["month", "region_id", "visit_count"], name="dashboard_visit_month_cover")],
            },
        ),
        migrations.RunPython(create, drop),
    ]  # fmt: skip
