"""The visit tally's day index covers the count: a period's sums read the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0005_visited_month"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="visitday",
            name="dashboard_visit_day_by_day",
        ),
        migrations.AddIndex(
            model_name="visitday",
            index=models.Index(
                fields=["day", "region_id", "visit_count"], name="dashboard_visit_day_covering"
            ),
        ),
    ]
