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
