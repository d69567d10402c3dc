"""Issue 20/21, 'rectification': filled in by that work."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0026_consolidation"),
    ]

    operations = []
