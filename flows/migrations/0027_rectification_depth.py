"""Issue 20, 'rectification': plans, interim progress, extension history and re-checks (回头看)."""

import django.core.validators
import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0026_consolidation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="rectificationitem",
            name="plan",
            field=models.TextField(blank=True, verbose_name="rectification plan"),
        ),
        migrations.AddField(
            model_name="rectificationitem",
            name="plan_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="plan written at"),
        ),
        migrations.AddField(
            model_name="rectificationitem",
            name="plan_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="plan written by",
            ),
        ),
        migrations.AddField(
            model_name="rectificationitem",
            name="recheck_due",
            field=models.DateField(blank=True, null=True, verbose_name="re-check due"),
        ),
        migrations.AddField(
            model_name="reviewcycle",
            name="recheck_interval_days",
            field=models.PositiveSmallIntegerField(
                default=90,
                help_text="A verified rectification item is re-checked (回头看) this many days later.",
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(730)],
                verbose_name="re-check after (days)",
            ),
        ),
        migrations.CreateModel(
            name="RectificationProgress",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("on", models.DateField(verbose_name="as of")),
                ("text", models.TextField(verbose_name="progress")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                (
                    "by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reported by",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="progress_reports",
                        to="flows.rectificationitem",
                        verbose_name="rectification item",
                    ),
                ),
            ],
            options={
                "verbose_name": "rectification progress report",
                "verbose_name_plural": "rectification progress reports",
                "ordering": ["on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="RectificationExtension",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("old_due", models.DateField(verbose_name="due date before")),
                ("new_due", models.DateField(verbose_name="due date asked for")),
                ("reason", models.TextField(verbose_name="reason for the extension")),
                ("requested_at", models.DateTimeField(auto_now_add=True, verbose_name="requested at")),
                (
                    "decision",
                    models.CharField(
                        choices=[("pending", "Awaiting decision"), ("approved", "Approved"), ("refused", "Refused")],
                        default="pending",
                        max_length=12,
                        verbose_name="decision",
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided at")),
                ("comment", models.TextField(blank=True, verbose_name="reviewer's comment")),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decided by",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="extensions",
                        to="flows.rectificationitem",
                        verbose_name="rectification item",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "extension request",
                "verbose_name_plural": "extension requests",
                "ordering": ["requested_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("decision", "pending")),
                        fields=("item",),
                        name="rectification_one_pending_extension",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("new_due__gt", models.F("old_due"))),
                        name="rectification_extension_is_later",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="RectificationRecheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("due", models.DateField(verbose_name="re-check due")),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("confirmed", "Confirmed: the rectification holds"),
                            ("reopened", "Reopened: the problem is back"),
                        ],
                        default="scheduled",
                        max_length=50,
                        protected=True,
                        verbose_name="state",
                    ),
                ),
                ("opened_at", models.DateTimeField(blank=True, null=True, verbose_name="task opened at")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="re-checked at")),
                ("comment", models.TextField(blank=True, verbose_name="findings")),
                ("new_due", models.DateField(blank=True, null=True, verbose_name="new due date")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="scheduled at")),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="re-checked by",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rechecks",
                        to="flows.rectificationitem",
                        verbose_name="rectification item",
                    ),
                ),
            ],
            options={
                "verbose_name": "re-check",
                "verbose_name_plural": "re-checks",
                "ordering": ["due", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state", "scheduled")),
                        fields=("item",),
                        name="rectification_one_scheduled_recheck",
                    )
                ],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
        ),
    ]
