"""Issue 20/21, 'counts': filled in by that work."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0028_contact_visits"),
    ]

    operations = []
