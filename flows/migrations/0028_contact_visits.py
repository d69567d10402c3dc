"""Issue 20/21, 'contacts': filled in by that work."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0027_rectification_depth"),
    ]

    operations = []
