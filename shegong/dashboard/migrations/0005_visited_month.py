"""Elderly-care visits per month, region and person (models.VisitedMonth), kept by triggers
and filled from the visits, as migration 0003 keeps the visits per region and day."""

from django.db import migrations, models

ELDERLY = "elderly"
MONTH = "strftime('%Y-%m-01', {day})"

SQLITE = [
    f"""CREATE TRIGGER dashboard_visited_month_insert AFTER INSERT ON casework_visit
    WHEN NEW.programme = '{ELDERLY}'
    BEGIN
        INSERT INTO dashboard_visited_month (month, region_id, person_id, visit_count)
        SELECT {MONTH.format(day="NEW.visited_on")}, region_id, id, 1
        FROM people_person WHERE id = NEW.person_id
        ON CONFLICT (month, region_id, person_id) DO UPDATE SET visit_count = visit_count + 1;
    END""",
    f"""CREATE TRIGGER dashboard_visited_month_delete AFTER DELETE ON casework_visit
    WHEN OLD.programme = '{ELDERLY}'
    BEGIN
        UPDATE dashboard_visited_month SET visit_count = visit_count - 1
        WHERE month = {MONTH.format(day="OLD.visited_on")} AND person_id = OLD.person_id
          AND region_id = (SELECT region_id FROM people_person WHERE id = OLD.person_id);
        DELETE FROM dashboard_visited_month WHERE visit_count <= 0
          AND month = {MONTH.format(day="OLD.visited_on")} AND person_id = OLD.person_id;
    END""",
    f"""CREATE TRIGGER dashboard_visited_month_update
    AFTER UPDATE OF visited_on, programme, person_id ON casework_visit
    WHEN OLD.visited_on IS NOT NEW.visited_on OR OLD.programme IS NOT NEW.programme
      OR OLD.person_id IS NOT NEW.person_id
    BEGIN
        UPDATE dashboard_visited_month SET visit_count = visit_count - 1
        WHERE OLD.programme = '{ELDERLY}'
          AND month = {MONTH.format(day="OLD.visited_on")} AND person_id = OLD.person_id
          AND region_id = (SELECT region_id FROM people_person WHERE id = OLD.person_id);
        DELETE FROM dashboard_visited_month WHERE visit_count <= 0
          AND month = {MONTH.format(day="OLD.visited_on")} AND person_id = OLD.person_id;
        INSERT INTO dashboard_visited_month (month, region_id, person_id, visit_count)
        SELECT {MONTH.format(day="NEW.visited_on")}, region_id, id, 1
        FROM people_person WHERE id = NEW.person_id AND NEW.programme = '{ELDERLY}'
        ON CONFLICT (month, region_id, person_id) DO UPDATE SET visit_count = visit_count + 1;
    END""",
    """CREATE TRIGGER dashboard_visited_month_person AFTER UPDATE OF region_id ON people_person
    WHEN OLD.region_id IS NOT NEW.region_id
    BEGIN
        UPDATE dashboard_visited_month SET region_id = NEW.region_id
        WHERE person_id = NEW.id AND region_id = OLD.region_id;
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_visited_month_insert",
    "DROP TRIGGER IF EXISTS dashboard_visited_month_delete",
    "DROP TRIGGER IF EXISTS dashboard_visited_month_update",
    "DROP TRIGGER IF EXISTS dashboard_visited_month_person",
]

PG = [
    """CREATE OR REPLACE FUNCTION dashboard_visited_month_add(person bigint, on_day date, n integer)
    RETURNS void AS $$
    DECLARE
        first date := date_trunc('month', on_day)::date;
    BEGIN
        INSERT INTO dashboard_visited_month (month, region_id, person_id, visit_count)
        SELECT first, region_id, id, n FROM people_person WHERE id = person
        ON CONFLICT (month, region_id, person_id) DO UPDATE
            SET visit_count = dashboard_visited_month.visit_count + EXCLUDED.visit_count;
        DELETE FROM dashboard_visited_month
        WHERE month = first AND person_id = person AND visit_count <= 0;
    END
    $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION dashboard_visited_month_visit() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.programme = '{ELDERLY}' THEN
            PERFORM dashboard_visited_month_add(OLD.person_id, OLD.visited_on, -1);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.programme = '{ELDERLY}' THEN
            PERFORM dashboard_visited_month_add(NEW.person_id, NEW.visited_on, 1);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION dashboard_visited_month_person() RETURNS trigger AS $$
    BEGIN
        UPDATE dashboard_visited_month SET region_id = NEW.region_id
        WHERE person_id = NEW.id AND region_id = OLD.region_id;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER dashboard_visited_month AFTER INSERT OR DELETE ON casework_visit
    FOR EACH ROW EXECUTE FUNCTION dashboard_visited_month_visit()""",
    """CREATE TRIGGER dashboard_visited_month_update
    AFTER UPDATE OF visited_on, programme, person_id ON casework_visit FOR EACH ROW
    WHEN (OLD.visited_on IS DISTINCT FROM NEW.visited_on
          OR OLD.programme IS DISTINCT FROM NEW.programme
          OR OLD.person_id IS DISTINCT FROM NEW.person_id)
    EXECUTE FUNCTION dashboard_visited_month_visit()""",
    """CREATE TRIGGER dashboard_visited_month AFTER UPDATE OF region_id ON people_person
    FOR EACH ROW WHEN (OLD.region_id IS DISTINCT FROM NEW.region_id)
    EXECUTE FUNCTION dashboard_visited_month_person()""",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_visited_month ON casework_visit",
    "DROP TRIGGER IF EXISTS dashboard_visited_month_update ON casework_visit",
    "DROP TRIGGER IF EXISTS dashboard_visited_month ON people_person",
    "DROP FUNCTION IF EXISTS dashboard_visited_month_person()",
    "DROP FUNCTION IF EXISTS dashboard_visited_month_visit()",
    "DROP FUNCTION IF EXISTS dashboard_visited_month_add(bigint, date, integer)",
]

FILL = {
    "sqlite": f"""INSERT INTO dashboard_visited_month (month, region_id, person_id, visit_count)
SELECT {MONTH.format(day="v.visited_on")}, p.region_id, p.id, COUNT(*) FROM casework_visit v
JOIN people_person p ON p.id = v.person_id
WHERE v.programme = '{ELDERLY}'
GROUP BY 1, p.region_id, p.id""",
    "postgresql": f"""INSERT INTO dashboard_visited_month (month, region_id, person_id, visit_count)
SELECT date_trunc('month', v.visited_on)::date, p.region_id, p.id, COUNT(*)
FROM casework_visit v JOIN people_person p ON p.id = v.person_id
WHERE v.programme = '{ELDERLY}'
GROUP BY 1, p.region_id, p.id""",
}


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no visit tally triggers for {vendor}")
    for statement in SQLITE if vendor == "sqlite" else PG:
        schema_editor.execute(statement)
    schema_editor.execute(FILL[vendor])


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else PG_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0004_profile_columns")]

    operations = [
        migrations.CreateModel(
            name="VisitedMonth",
            fields=[
                ("pk", models.CompositePrimaryKey("month", "region_id", "person_id", blank=True, editable=False, primary_key=True, serialize=False)),
                ("month", models.DateField()),
                ("region_id", models.CharField(max_length=12)),
                ("person_id", models.BigIntegerField()),
                ("visit_count", models.IntegerField(default=0)),
            ],
            options={"db_table": "dashboard_visited_month"},
        ),
        migrations.RunPython(create, drop),
    ]
