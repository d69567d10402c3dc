"""Issue 22, the draw: the public notice, the audit head at freezing, witnessed numbers and witnesses, and the
reason a plan was cancelled (listed on every later plan's certificate)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    # written against 0020_meeting_reporter_excused; pointed at the chain's current leaf so that the graph has one
    dependencies = [
        ("flows", "0023_ballot_seal"),
    ]

    operations = [
        migrations.AddField(
            model_name="spotcheckplan",
            name="public_token",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="randomness_source",
            field=models.CharField(blank=True, max_length=200, verbose_name="source of the witnessed numbers"),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="frozen_head_seq",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="audit chain head at freezing (seq)"),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="frozen_head_hash",
            field=models.CharField(blank=True, max_length=64, verbose_name="audit chain head at freezing (hash)"),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="witnessed_numbers",
            field=models.CharField(blank=True, max_length=200, verbose_name="witnessed numbers"),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="witnesses",
            field=models.JSONField(blank=True, default=list, verbose_name="witnesses"),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="cancel_reason",
            field=models.TextField(blank=True, verbose_name="reason for cancelling"),
        ),
        migrations.AddField(
            model_name="spotcheckplan",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
