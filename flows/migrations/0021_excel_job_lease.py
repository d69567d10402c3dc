# The lease of the run working on an Excel job (issue 23: a job whose worker died is noticed and resumed).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0020_meeting_reporter_excused'),
    ]

    operations = [
        migrations.AddField(
            model_name='exceljob',
            name='interrupted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='exceljob',
            name='lease_owner',
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name='exceljob',
            name='lease_until',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name='exceljob',
            index=models.Index(
                condition=models.Q(('lease_until__isnull', False)), fields=['lease_until'], name='flows_excel_job_lease'
            ),
        ),
    ]
