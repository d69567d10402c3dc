"""Issue 21, 'counts': the counts the cycle dashboard and year over year read (flows/models/counts.py), filled from
the assessments and classification records already there."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from flows.services.counts import assessment_rows, classification_rows

    Assessment = apps.get_model("flows", "Assessment")
    AssessmentCount = apps.get_model("flows", "AssessmentCount")
    ClassificationRecord = apps.get_model("flows", "ClassificationRecord")
    ClassificationCount = apps.get_model("flows", "ClassificationCount")
    MoveCount = apps.get_model("flows", "MoveCount")
    for cycle_id in Assessment.objects.order_by().values_list("cycle_id", flat=True).distinct():
        source = Assessment.objects.filter(cycle_id=cycle_id).values_list(
            "state", "rating", "organisation__path", "organisation__sector", "organisation__level"
        )
        AssessmentCount.objects.bulk_create(
            [AssessmentCount(cycle_id=cycle_id, **row) for row in assessment_rows(source.iterator())], batch_size=2000
        )
    records = ClassificationRecord.objects.values_list(
        "organisation_id", "organisation__path", "year", "rating", "classification"
    )
    years, moves = classification_rows(records.iterator())
    ClassificationCount.objects.bulk_create([ClassificationCount(**row) for row in years], batch_size=2000)
    MoveCount.objects.bulk_create([MoveCount(**row) for row in moves], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0028_contact_visits"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClassificationCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("node", models.CharField(max_length=255)),
                ("year", models.IntegerField()),
                ("rating", models.CharField(blank=True, max_length=12)),
                ("classification", models.CharField(blank=True, max_length=12)),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("node", "year", "rating", "classification"), name="classification_count_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MoveCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("node", models.CharField(max_length=255)),
                ("year", models.IntegerField()),
                ("previous_year", models.IntegerField()),
                ("classification", models.CharField(blank=True, max_length=12)),
                ("previous", models.CharField(blank=True, max_length=12)),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("node", "year", "previous_year", "classification", "previous"), name="move_count_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AssessmentCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("node", models.CharField(blank=True, max_length=255)),
                ("state", models.CharField(max_length=24)),
                ("rating", models.CharField(blank=True, max_length=12)),
                ("sector", models.CharField(blank=True, max_length=24)),
                ("level", models.CharField(blank=True, max_length=16)),
                ("n", models.IntegerField(default=0)),
                (
                    "cycle",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="flows.reviewcycle",
                        verbose_name="cycle",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cycle", "node", "state", "rating", "sector", "level"), name="assessment_count_key"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
