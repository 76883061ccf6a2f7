"""Visits per region and day (models.VisitDay), kept by triggers and filled from the visits.

The tally counts the visits of every programme but the justice-involved minors' (closed
programme, never in the dashboard) under the region of the visit's person. SQLite: AFTER row
triggers with an upsert; PostgreSQL: one plpgsql function per table. Both run in the writer's
transaction, so the tally is exact at every commit, bulk and raw SQL included.
"""

from django.db import migrations, models

JUVENILE = "juvenile"

SQLITE = [
    # One visit in or out of (region of its person, day); zero rows stay (a few bytes).
    f"""CREATE TRIGGER dashboard_visit_day_insert AFTER INSERT ON casework_visit
    WHEN NEW.programme != '{JUVENILE}'
    BEGIN
        INSERT INTO dashboard_visit_day (region_id, day, visit_count)
        SELECT region_id, NEW.visited_on, 1 FROM people_person WHERE id = NEW.person_id
        ON CONFLICT (region_id, day) DO UPDATE SET visit_count = visit_count + 1;
    END""",
    f"""CREATE TRIGGER dashboard_visit_day_delete AFTER DELETE ON casework_visit
    WHEN OLD.programme != '{JUVENILE}'
    BEGIN
        UPDATE dashboard_visit_day SET visit_count = visit_count - 1
        WHERE day = OLD.visited_on
          AND region_id = (SELECT region_id FROM people_person WHERE id = OLD.person_id);
    END""",
    f"""CREATE TRIGGER dashboard_visit_day_update
    AFTER UPDATE OF visited_on, programme, person_id ON casework_visit
    WHEN OLD.visited_on IS NOT NEW.visited_on OR OLD.programme IS NOT NEW.programme
      OR OLD.person_id IS NOT NEW.person_id
    BEGIN
        UPDATE dashboard_visit_day SET visit_count = visit_count - 1
        WHERE OLD.programme != '{JUVENILE}' AND day = OLD.visited_on
          AND region_id = (SELECT region_id FROM people_person WHERE id = OLD.person_id);
        INSERT INTO dashboard_visit_day (region_id, day, visit_count)
        SELECT region_id, NEW.visited_on, 1 FROM people_person
        WHERE id = NEW.person_id AND NEW.programme != '{JUVENILE}'
        ON CONFLICT (region_id, day) DO UPDATE SET visit_count = visit_count + 1;
    END""",
    f"""CREATE TRIGGER dashboard_visit_day_person AFTER UPDATE OF region_id ON people_person
    WHEN OLD.region_id IS NOT NEW.region_id
    BEGIN
        UPDATE dashboard_visit_day SET visit_count = visit_count - (
            SELECT COUNT(*) FROM casework_visit
            WHERE person_id = NEW.id AND programme != '{JUVENILE}'
              AND visited_on = dashboard_visit_day.day
        )
        WHERE region_id = OLD.region_id AND day IN (
            SELECT visited_on FROM casework_visit
            WHERE person_id = NEW.id AND programme != '{JUVENILE}'
        );
        INSERT INTO dashboard_visit_day (region_id, day, visit_count)
        SELECT NEW.region_id, visited_on, COUNT(*) FROM casework_visit
        WHERE person_id = NEW.id AND programme != '{JUVENILE}'
        GROUP BY visited_on
        ON CONFLICT (region_id, day) DO UPDATE SET visit_count = visit_count + excluded.visit_count;
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_visit_day_insert",
    "DROP TRIGGER IF EXISTS dashboard_visit_day_delete",
    "DROP TRIGGER IF EXISTS dashboard_visit_day_update",
    "DROP TRIGGER IF EXISTS dashboard_visit_day_person",
]

PG = [
    """CREATE OR REPLACE FUNCTION dashboard_visit_day_add(region text, on_day date, n integer)
    RETURNS void AS $$
    BEGIN
        IF region IS NULL OR n = 0 THEN
            RETURN;
        END IF;
        INSERT INTO dashboard_visit_day (region_id, day, visit_count) VALUES (region, on_day, n)
        ON CONFLICT (region_id, day) DO UPDATE
            SET visit_count = dashboard_visit_day.visit_count + EXCLUDED.visit_count;
    END
    $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION dashboard_visit_day_visit() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.programme <> '{JUVENILE}' THEN
            PERFORM dashboard_visit_day_add(
                (SELECT region_id FROM people_person WHERE id = OLD.person_id),
                OLD.visited_on, -1);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.programme <> '{JUVENILE}' THEN
            PERFORM dashboard_visit_day_add(
                (SELECT region_id FROM people_person WHERE id = NEW.person_id),
                NEW.visited_on, 1);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION dashboard_visit_day_person() RETURNS trigger AS $$
    DECLARE
        found record;
    BEGIN
        FOR found IN
            SELECT visited_on, COUNT(*)::integer AS n FROM casework_visit
            WHERE person_id = NEW.id AND programme <> '{JUVENILE}' GROUP BY visited_on
        LOOP
            PERFORM dashboard_visit_day_add(OLD.region_id, found.visited_on, -found.n);
            PERFORM dashboard_visit_day_add(NEW.region_id, found.visited_on, found.n);
        END LOOP;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER dashboard_visit_day AFTER INSERT OR DELETE ON casework_visit
    FOR EACH ROW EXECUTE FUNCTION dashboard_visit_day_visit()""",
    """CREATE TRIGGER dashboard_visit_day_update
    AFTER UPDATE OF visited_on, programme, person_id ON casework_visit FOR EACH ROW
    WHEN (OLD.visited_on IS DISTINCT FROM NEW.visited_on
          OR OLD.programme IS DISTINCT FROM NEW.programme
          OR OLD.person_id IS DISTINCT FROM NEW.person_id)
    EXECUTE FUNCTION dashboard_visit_day_visit()""",
    """CREATE TRIGGER dashboard_visit_day AFTER UPDATE OF region_id ON people_person
    FOR EACH ROW WHEN (OLD.region_id IS DISTINCT FROM NEW.region_id)
    EXECUTE FUNCTION dashboard_visit_day_person()""",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS dashboard_visit_day ON casework_visit",
    "DROP TRIGGER IF EXISTS dashboard_visit_day_update ON casework_visit",
    "DROP TRIGGER IF EXISTS dashboard_visit_day ON people_person",
    "DROP FUNCTION IF EXISTS dashboard_visit_day_person()",
    "DROP FUNCTION IF EXISTS dashboard_visit_day_visit()",
    "DROP FUNCTION IF EXISTS dashboard_visit_day_add(text, date, integer)",
]

FILL = f"""INSERT INTO dashboard_visit_day (region_id, day, visit_count)
SELECT p.region_id, v.visited_on, COUNT(*) FROM casework_visit v
JOIN people_person p ON p.id = v.person_id
WHERE v.programme <> '{JUVENILE}'
GROUP BY p.region_id, v.visited_on"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no visit tally triggers for {vendor}")
    for statement in SQLITE if vendor == "sqlite" else PG:
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else PG_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_person_columns"),
        ("casework", "0001_initial"),
        ("people", "0006_leaner_person_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="VisitDay",
            fields=[
                ("pk", models.CompositePrimaryKey("region_id", "day", blank=True, editable=False, primary_key=True, serialize=False)),
                ("region_id", models.CharField(max_length=12)),
                ("day", models.DateField()),
                ("visit_count", models.IntegerField(default=0)),
            ],
            options={
                "db_table": "dashboard_visit_day",
                "indexes": [models.Index(fields=["day", "region_id"], name="dashboard_visit_day_by_day")],
            },
        ),
        migrations.RunPython(create, drop),
    ]
