"""Issue 20/21, 'duties': filled in by that work."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0024_draw_witnessed"),
    ]

    operations = []
