"""The dashboard reads a period's service orders by the time they were created."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('elderly', '0003_elderly_visits'),
        ('people', '0007_person_left_on_anonymised_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='serviceorder',
            index=models.Index(fields=['created_at'], name='serviceorder_created_at'),
        ),
    ]
