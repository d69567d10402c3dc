"""Issue 20/21, 'consolidation': filled in by that work."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0025_duty_lists"),
    ]

    operations = []
