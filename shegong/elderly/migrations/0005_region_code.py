"""The person's region on each row, kept by database triggers (dashboard migration 0009)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('elderly', '0004_period_index'),
        ('people', '0007_person_left_on_anonymised_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='serviceorder',
            name='serviceorder_created_at',
        ),
        migrations.AddField(
            model_name='serviceorder',
            name='region_code',
            field=models.CharField(default='', editable=False, max_length=12),
        ),
        migrations.AddIndex(
            model_name='serviceorder',
            index=models.Index(fields=['region_code', 'created_at'], name='serviceorder_region_created'),
        ),
    ]
