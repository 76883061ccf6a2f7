"""The dashboard reads a period's alarms by the time they were raised."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0002_lean_event_indexes'),
        ('people', '0007_person_left_on_anonymised_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='alarm',
            index=models.Index(fields=['raised_at'], name='alarm_raised_at'),
        ),
    ]
