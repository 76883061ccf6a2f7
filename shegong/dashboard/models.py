"""How often each table the dashboard counts has changed: the figures cache's key.

Database triggers (migration 0001 and later ones that add tables) raise a table's ``value``
once in every transaction that inserts, updates or deletes its rows, bulk and raw SQL
included, on SQLite and PostgreSQL alike. A cached figure is keyed by the values of the tables
it counts, so it is served only while none of them changed: figures stay exact, and a new
visit recomputes the visit figures only.
"""

from django.db import models


class TableGeneration(models.Model):
    table = models.CharField(max_length=63, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "dashboard_generation"

    def __str__(self) -> str:
        return f"{self.table}: {self.value}"


class VisitDay(models.Model):
    """Visits per region and day (all programmes but the justice-involved minors'), the
    dashboard's visit figures: counting them sums a few rows per village and day instead of
    joining every visit to its person. Database triggers (migration 0003) keep it exact —
    a visit recorded, moved to another day, person or programme, or deleted, and a person
    moved to another region — in the writer's transaction; ``region_id`` is the region of
    the visit's person now, as the figures count it."""

    pk = models.CompositePrimaryKey("region_id", "day")
    region_id = models.CharField(max_length=12)
    day = models.DateField()
    visit_count = models.IntegerField(default=0)

    class Meta:
        db_table = "dashboard_visit_day"
        # Covering: a period's sums are read from the index alone (on SQLite 4× faster
        # for a year of a district than looking each row up in the table).
        indexes = [
            models.Index(
                fields=["day", "region_id", "visit_count"], name="dashboard_visit_day_covering"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.day}: {self.visit_count}"


class VisitedMonth(models.Model):
    """Elderly-care visits per month, region and person: who had a visit in a month, read as
    one range of rows per area (the visit rate's numerator), instead of one look-up in the
    visits per person due. Kept exact by triggers like :class:`VisitDay` (migration 0005);
    ``region_id`` is the person's region now."""

    pk = models.CompositePrimaryKey("month", "region_id", "person_id")
    month = models.DateField()
    region_id = models.CharField(max_length=12)
    person_id = models.BigIntegerField()
    visit_count = models.IntegerField(default=0)

    class Meta:
        db_table = "dashboard_visited_month"

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_id} {self.person_id}: {self.visit_count}"


class VisitMonth(models.Model):
    """:class:`VisitDay` summed per region and month (``month``: its first day), so that a
    period of many months sums a dozen rows per village: whole months come from here, the
    days at either end from VisitDay. Kept exact by triggers on the day tally itself
    (migration 0007), in the same transaction."""

    pk = models.CompositePrimaryKey("region_id", "month")
    region_id = models.CharField(max_length=12)
    month = models.DateField()
    visit_count = models.IntegerField(default=0)

    class Meta:
        db_table = "dashboard_visit_month"
        indexes = [
            models.Index(
                fields=["month", "region_id", "visit_count"], name="dashboard_visit_month_cover"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m}: {self.visit_count}"
