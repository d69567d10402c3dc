"""Issue 22: the audit head when a cycle's results were published, printed on the 公示 page."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0029_dashboard_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="audit_head",
            field=models.CharField(blank=True, editable=False, max_length=90, verbose_name="audit head when published"),
        ),
    ]
