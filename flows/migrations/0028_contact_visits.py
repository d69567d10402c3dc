"""Issue 20, 'contacts': contact points (联系点) and leaders' visits (观摩 / 督导调研) with the problems found."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0027_rectification_depth"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Visit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(verbose_name="visit date")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("observation", "Observation visit"),
                            ("supervision", "Supervision visit"),
                            ("research", "Fact-finding visit"),
                        ],
                        max_length=16,
                        verbose_name="kind of visit",
                    ),
                ),
                ("seen", models.TextField(verbose_name="what was seen")),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                (
                    "leaders",
                    models.ManyToManyField(related_name="visits", to=settings.AUTH_USER_MODEL, verbose_name="leaders"),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="visits",
                        to="flows.organisation",
                        verbose_name="organisation",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "visit",
                "verbose_name_plural": "visits",
                "ordering": ["-date", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="VisitProblem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("order", models.PositiveIntegerField(verbose_name="order")),
                ("text", models.CharField(max_length=500, verbose_name="problem found")),
                (
                    "item",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="visit_problem",
                        to="flows.rectificationitem",
                        verbose_name="rectification item",
                    ),
                ),
                (
                    "visit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="problems",
                        to="flows.visit",
                        verbose_name="visit",
                    ),
                ),
            ],
            options={
                "verbose_name": "problem found on a visit",
                "verbose_name_plural": "problems found on visits",
                "ordering": ["visit", "order"],
            },
        ),
        migrations.CreateModel(
            name="ContactPoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveIntegerField(verbose_name="year")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "leader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contact_points",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="leader",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contact_points",
                        to="flows.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "contact point",
                "verbose_name_plural": "contact points",
                "ordering": ["-year", "organisation__path", "pk"],
                "indexes": [models.Index(fields=["organisation", "year"], name="contact_point_org_year")],
                "constraints": [
                    models.UniqueConstraint(fields=("leader", "organisation", "year"), name="contact_point_unique_year")
                ],
            },
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["organisation", "date"], name="visit_org_date"),
        ),
        migrations.AddConstraint(
            model_name="visitproblem",
            constraint=models.UniqueConstraint(fields=("visit", "order"), name="visit_problem_unique_order"),
        ),
    ]
